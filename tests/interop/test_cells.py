"""Reading one cell (remission.interop.cells): dates in declared formats, numbers, yes/no, units."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remission.interop.cells import (
    CellError,
    DateColumn,
    load_units,
    parse_boolean,
    parse_date,
    parse_number,
)
from remission.model.time import PartialDate, Precision

# --- dates -----------------------------------------------------------------------------------------


def test_a_date_keeps_the_precision_of_the_format_that_read_it():
    assert parse_date("2019-09-10") == (PartialDate(2019, 9, 10), "%Y-%m-%d")
    assert parse_date("2019-09") == (PartialDate(2019, 9), "%Y-%m")
    assert parse_date("2019")[0].precision is Precision.YEAR
    assert parse_date("14/09/2016", ["%d/%m/%Y"])[0] == PartialDate(2016, 9, 14)
    assert parse_date("03/2012", ["%d/%m/%Y", "%m/%Y"])[0] == PartialDate(2012, 3)


def test_a_date_in_another_format_is_refused_with_what_it_looks_like():
    with pytest.raises(
        CellError, match=r"not a date in the declared format \(YYYY-MM-DD\).*DD/MM/YYYY"
    ):
        parse_date("14/09/2016", ["%Y-%m-%d"])
    with pytest.raises(CellError, match="not a date"):
        parse_date("last spring")


def test_a_date_two_declared_formats_read_differently_is_ambiguous():
    with pytest.raises(CellError, match=r"ambiguous.*2020-04-03.*2020-03-04"):
        parse_date("03/04/2020", ["%d/%m/%Y", "%m/%d/%Y"])
    # the same day either way is not ambiguous
    assert parse_date("05/05/2020", ["%d/%m/%Y", "%m/%d/%Y"])[0] == PartialDate(2020, 5, 5)


def test_impossible_and_implausible_dates_are_refused():
    with pytest.raises(CellError):
        parse_date("2021-02-30")
    with pytest.raises(CellError, match="1900-2200"):
        parse_date("1850-01-01")


def test_a_column_mixing_two_formats_of_one_precision_is_mixed():
    column = DateColumn()
    for row in (1, 2, 3):
        column.add("%Y-%m-%d", row)
    column.add("%d/%m/%Y", 4)
    column.add("%Y-%m", 5)  # a partial date, not a mix
    assert column.mixed() == [("%d/%m/%Y", "%Y-%m-%d", [4])]


_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y"]


@given(
    day=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31)),
    fmt=st.sampled_from(_FORMATS),
)
def test_any_date_written_in_a_declared_format_reads_back(day, fmt):
    text = day.strftime(fmt)
    point, used = parse_date(text, [fmt])
    assert point == PartialDate(day.year, day.month, day.day) and used == fmt


@given(st.text(max_size=40))
def test_arbitrary_text_is_a_date_or_a_cell_error(text):
    try:
        point, _ = parse_date(text, ["%Y-%m-%d", "%d/%m/%Y", "%Y"])
    except CellError:
        return
    assert isinstance(point, PartialDate)


# --- numbers and yes/no ----------------------------------------------------------------------------


def test_numbers_are_plain_decimals():
    assert parse_number("2.1") == 2.1
    assert parse_number(" -3e-4 ") == -3e-4
    assert parse_number("1,5", decimal=",") == 1.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5,200", "thousands separator"),
        ("1.250.000", "thousands separator"),
        ("1,5", "decimal comma"),
        ("inf", "not a number"),
        ("nan", "not a number"),
        ("12 mg", "not a number"),
        ("", "not a number"),
    ],
)
def test_ambiguous_or_non_numbers_are_refused(text, message):
    with pytest.raises(CellError, match=message):
        parse_number(text)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_number_reads_back(x):
    assert parse_number(repr(x)) == x


@given(st.text(max_size=30))
def test_arbitrary_text_is_a_finite_number_or_a_cell_error(text):
    try:
        value = parse_number(text, decimal=",")
    except CellError:
        return
    assert math.isfinite(value)


def test_yes_no_in_the_usual_spellings():
    assert [parse_boolean(t) for t in ("1", "Yes", "y", "TRUE", "0", "no", "N", "false")] == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    with pytest.raises(CellError, match="not yes/no"):
        parse_boolean("maybe")


# --- units -----------------------------------------------------------------------------------------


def test_the_unit_table_loads_and_knows_the_usual_spellings():
    units = load_units()
    assert units.canonical("µg/L") == units.canonical("mcg/L") == "ug/L"
    assert units.canonical("°F") == "degF"
    assert units.canonical("G/L") == "10^9/L" and units.canonical("g/L") == "g/L"
    assert units.canonical("furlongs") is None


def test_safe_conversions():
    units = load_units()
    assert units.convert(6400, "µg/L", "ng/mL") == 6400  # ferritin: one quantity, two names
    assert units.convert(14.2, "mg/dL", "mg/L") == 142
    assert units.convert(98.6, "°F", "°C") == pytest.approx(37.0)
    assert units.convert(0.02, "%", "fraction") == pytest.approx(2e-4)
    assert units.convert(48200, "/uL", "10^9/L") == pytest.approx(48.2)
    assert units.convert(37.0, "degC", "degF") == pytest.approx(98.6)


def test_a_conversion_that_needs_more_than_a_scale_is_refused():
    units = load_units()
    with pytest.raises(CellError, match="cannot be converted to 'U/mL' safely"):
        units.convert(200, "pg/mL", "U/mL")
    with pytest.raises(CellError, match="unit mix-up"):
        units.convert(5, "mg/L", "ng/mL")


_PAIRS = [
    ("ug/L", "ng/mL"),
    ("mg/dL", "mg/L"),
    ("degF", "degC"),
    ("%", "fraction"),
    ("/uL", "10^9/L"),
]


@given(st.sampled_from(_PAIRS), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_a_conversion_and_its_reverse_give_the_value_back(pair, x):
    units = load_units()
    there = units.convert(x, *pair)
    back = units.convert(there, pair[1], pair[0])
    assert back == pytest.approx(x, rel=1e-9, abs=1e-6)
