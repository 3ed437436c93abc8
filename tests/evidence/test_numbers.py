"""Numbers as reports write them: words, ordinals, ages, durations, dates, relative days."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from remission.evidence.numbers import (
    AGE,
    DURATION,
    age_years,
    calendar_date,
    duration_months,
    number,
    ordinal,
    relative_day,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        ("one", 1),
        ("twelve", 12),
        ("twenty-one", 21),
        ("forty two", 42),
        ("2.5", 2.5),
        ("2,5", 2.5),
        ("one and a half", 1.5),
    ],
)
def test_numbers_in_digits_and_words(text, value):
    assert number(text) == value


def test_a_word_that_is_not_a_number_is_none():
    assert number("several") is None


@pytest.mark.parametrize(
    ("text", "value"), [("4th", 4), ("second", 2), ("2nd", 2), ("third", 3), ("1st", 1)]
)
def test_ordinals(text, value):
    assert ordinal(text) == value


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("a 7-year-old boy", 7),
        ("aged 34 years", 34),
        ("at the age of 41 he", 41),
        ("an 18-month-old girl", 1.5),
        ("at 7 years of age", 7),
        ("a twenty-one-year-old man", 21),
        ("diagnosed at 5 months of age", 0.42),
        ("Pt: M, 16 y.", 16),
    ],
)
def test_ages_in_years_and_months(text, years):
    m = AGE.search(text)
    assert m is not None
    assert age_years(m) == pytest.approx(years, abs=0.01)


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("36 months", 36),
        ("one year", 12),
        ("40 days", 40 / 30.4375),
        ("2 weeks", 14 / 30.4375),
        ("1.5 years", 18),
    ],
)
def test_durations_in_months(text, months):
    m = DURATION.search(text)
    assert m is not None
    assert duration_months(m.group("n"), m.group("u")) == pytest.approx(months)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("In November 2016, a second relapse", "2016-11"),
        ("on 3 March 2021", "2021-03-03"),
        ("in 2014", "2014"),
        ("12/2013", "2013-12"),
        ("2020-06-01", "2020-06-01"),
    ],
)
def test_calendar_dates_keep_their_precision(text, iso):
    assert calendar_date(text) == iso


@pytest.mark.parametrize(
    ("text", "day"), [("on day +28", 28), ("D28 marrow", 28), ("day 7", 7), ("d+14", 14)]
)
def test_relative_days(text, day):
    assert relative_day(text) == day


@given(st.integers(min_value=1, max_value=99))
def test_any_digit_age_reads_back(n):
    m = AGE.search(f"a {n}-year-old patient")
    assert m is not None and age_years(m) == n
