"""CSV profiles (remission.interop.profile_csv): formats accepted, every problem located."""

from __future__ import annotations

import math

import pytest

from remission.exceptions import KineticsInputError
from remission.interop.profile_csv import parse_profile_csv, read_profile_csv


def test_minimal_file():
    p = parse_profile_csv("day,value\n0,0\n7,1200\n14,300\n", where="a.csv", unit="copies/ug")
    assert p.days.tolist() == [0, 7, 14]
    assert p.blq.tolist() == [True, False, False]
    assert p.unit == "copies/ug" and p.label == "a.csv"
    assert p.lines == (2, 3, 4)


def test_blq_marks_lloq_column_comments_and_unit_column():
    text = (
        "# patient 3, qPCR\n"
        " Day , VALUE , lloq , blq, unit\n"
        "0,,10,yes,copies/ug\n"
        "\n"
        "3,<10,,,copies/ug\n"
        "7,BLQ,10,,copies/ug\n"
        "10,8000,10,no,copies/ug\n"
        "14,ND,,,copies/ug\n"
        "21,900,10,0,copies/ug\n"
    )
    p = parse_profile_csv(text)
    assert p.blq.tolist() == [True, True, True, False, True, False]
    assert p.lloq[1] == 10 and math.isnan(p.lloq[4])
    assert p.unit == "copies/ug"
    assert p.lines == (3, 5, 6, 7, 8, 9)


def test_every_problem_with_line_and_column():
    text = (
        "day,value,blq\n"
        "0,1,false\n"
        "7,lots,false\n"
        "x,5,false\n"
        "10,,false\n"
        "12,5,perhaps\n"
    )
    with pytest.raises(KineticsInputError) as exc:
        parse_profile_csv(text, where="p.csv")
    got = {(p.line, p.field) for p in exc.value.problems}
    assert got == {(3, "value"), (4, "day"), (5, "value"), (6, "blq")}
    assert all(str(p).startswith("p.csv:") for p in exc.value.problems)


def test_profile_level_problems_keep_lines():
    with pytest.raises(KineticsInputError) as exc:
        parse_profile_csv("day,value\n0,1\n14,5\n7,-3\n", where="q.csv")
    msgs = [str(p) for p in exc.value.problems]
    assert any(m.startswith("q.csv:4: day:") and "increasing order" in m for m in msgs)
    assert any(m.startswith("q.csv:4: value:") and "negative" in m for m in msgs)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("time,value\n0,1\n", "missing column 'day'"),
        ("day,value,colour\n0,1,red\n", "unknown column"),
        ("day,value,day\n0,1,2\n", "appears twice"),
        ("day,value\n", "no samples"),
        ("day,value\n0,1,2\n", "3 cells"),
        ("day,value,lloq\n0,<5,10\n", "disagrees with LLOQ 10"),
        ("day,value,unit\n0,1,copies/ug\n1,2,cells/uL\n", "several units"),
    ],
)
def test_refused_files(text, needle):
    with pytest.raises(KineticsInputError, match=needle):
        parse_profile_csv(text)


def test_unit_conflict_and_files(tmp_path):
    with pytest.raises(KineticsInputError, match="file says"):
        parse_profile_csv("day,value,unit\n0,1,%\n", unit="copies/ug")
    f = tmp_path / "p.csv"
    f.write_text("\ufeffday,value\n0,0\n7,10\n", encoding="utf-8")
    assert read_profile_csv(f).values[1] == 10
    with pytest.raises(KineticsInputError, match="file not found"):
        read_profile_csv(tmp_path / "missing.csv")
