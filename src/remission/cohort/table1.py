"""Table 1: the baseline features of a cohort, as data.

Continuous features are given as the median with the interquartile range and the range;
quartiles use numpy's default (linear interpolation between order statistics, Hyndman & Fan
type 7, as R's ``quantile`` default). Yes/no and categorical features are counts with the
percentage **of the patients for whom the feature is known**; the number not stated is given
beside each row (``n_missing``) and never counted as "no".

Features (from the CaseSummary and the Case; DESIGN.md "CaseSummary"): age (at the index therapy
if stated there, else at diagnosis) and age < 18 years; sex; Ph-positive; relapses up to the
index therapy; refractory disease; prior allogeneic HSCT; prior blinatumomab; CNS involvement and
any extramedullary site at the relapse treated; marrow blasts before the index therapy (the last
value recorded) and the >= 5 % and >= 30 % burden levels; the class of index therapy.

Published series known only by their counts are never pooled into these rows: each stands in a
column of its own, with what it states (patients, median age and range, stated baseline counts).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from remission.cohort._common import rounded
from remission.cohort.data import CohortData, PatientRecord
from remission.cohort.subgroups import BLAST_BURDEN_HIGH_PCT, BLAST_BURDEN_PCT
from remission.model import CohortAggregate

__all__ = ["INDIVIDUAL", "PAEDIATRIC_AGE_YEARS", "Table1", "Table1Row", "table1"]

#: The column name of the individual cases.
INDIVIDUAL = "individual cases"

#: Children and adolescents: under 18 years, the usual paediatric/adult split of ALL protocols
#: (a convention; adolescent and young adult cut-offs vary between trials).
PAEDIATRIC_AGE_YEARS = 18.0


@dataclass(frozen=True)
class Table1Row:
    """One line of Table 1 in one column (the individual cases or one series)."""

    variable: str
    level: str | None
    kind: str  # "n", "count", "median", "stated" (a stated count), "label" (a stated word)
    column: str = INDIVIDUAL
    n: int | None = None
    denominator: int | None = None
    pct: float | None = None
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    minimum: float | None = None
    maximum: float | None = None
    n_missing: int = 0
    value: str | None = None

    @property
    def text(self) -> str:
        if self.kind == "n":
            return str(self.n)
        if self.kind == "label":
            return self.value or ""
        if self.kind in ("count", "stated"):
            if self.n is None and self.pct is not None:
                return f"{self.pct:.0f} %"
            if self.n is None:
                return "not stated"
            if self.pct is None:
                return str(self.n)
            return f"{self.n} ({self.pct:.1f} %)"
        if self.median is None:
            return "not stated"
        parts = []
        if self.q1 is not None and self.q3 is not None:
            parts.append(f"IQR {self.q1:.1f}–{self.q3:.1f}")
        if self.minimum is not None and self.maximum is not None:
            parts.append(f"range {self.minimum:.1f}–{self.maximum:.1f}")
        return f"{self.median:.1f}" + (f" ({'; '.join(parts)})" if parts else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "variable": self.variable,
            "level": self.level,
            "kind": self.kind,
            "column": self.column,
            "n": self.n,
            "denominator": self.denominator,
            "pct": rounded(self.pct, 2),
            "median": rounded(self.median),
            "q1": rounded(self.q1),
            "q3": rounded(self.q3),
            "minimum": rounded(self.minimum),
            "maximum": rounded(self.maximum),
            "n_missing": self.n_missing,
            "value": self.value,
            "text": self.text,
        }


@dataclass(frozen=True)
class Table1:
    """Table 1: rows for the individual cases, and a column of stated figures per series."""

    n_patients: int
    rows: tuple[Table1Row, ...]
    aggregate_rows: tuple[Table1Row, ...] = ()
    notes: tuple[str, ...] = ()

    def row(self, variable: str, level: str | None = None, column: str = INDIVIDUAL) -> Table1Row:
        for r in (*self.rows, *self.aggregate_rows):
            if r.variable == variable and r.level == level and r.column == column:
                return r
        raise KeyError((variable, level, column))

    @property
    def columns(self) -> list[str]:
        return [INDIVIDUAL, *dict.fromkeys(r.column for r in self.aggregate_rows)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_patients": self.n_patients,
            "rows": [r.to_dict() for r in self.rows],
            "aggregate_rows": [r.to_dict() for r in self.aggregate_rows],
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """Long format: one row per line and column, with the numbers and the printed text."""
        cols = [*Table1Row.__dataclass_fields__, "text"]
        return pd.DataFrame([r.to_dict() for r in (*self.rows, *self.aggregate_rows)], columns=cols)

    def display_frame(self) -> pd.DataFrame:
        """Wide format as printed: one line per feature, one text column per source."""
        order: list[tuple[str, str]] = []
        cells: dict[tuple[str, str], dict[str, str]] = {}
        for r in (*self.rows, *self.aggregate_rows):
            key = (r.variable, r.level or "")
            if key not in cells:
                order.append(key)
                cells[key] = {}
            cells[key][r.column] = r.text
        headers = {INDIVIDUAL: f"Individual cases (n={self.n_patients})"}
        for r in self.aggregate_rows:
            if r.kind == "n":
                headers[r.column] = f"{r.column} (aggregate, n={r.n})"
        records = []
        for key in order:
            rec = {"variable": key[0], "level": key[1]}
            for col in self.columns:
                rec[headers.get(col, col)] = cells[key].get(col, "")
            records.append(rec)
        return pd.DataFrame(records)


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------


def _median_row(variable: str, values: Sequence[float | None]) -> Table1Row:
    known = np.array([v for v in values if v is not None], dtype=float)
    missing = len(values) - len(known)
    if len(known) == 0:
        return Table1Row(variable, None, "median", n=0, n_missing=missing)
    q1, med, q3 = np.percentile(known, [25, 50, 75])
    return Table1Row(
        variable,
        None,
        "median",
        n=len(known),
        median=float(med),
        q1=float(q1),
        q3=float(q3),
        minimum=float(known.min()),
        maximum=float(known.max()),
        n_missing=missing,
    )


def _count_row(variable: str, level: str | None, values: Sequence[bool | None]) -> Table1Row:
    known = [v for v in values if v is not None]
    k = sum(bool(v) for v in known)
    return Table1Row(
        variable,
        level,
        "count",
        n=k,
        denominator=len(known),
        pct=100 * k / len(known) if known else None,
        n_missing=len(values) - len(known),
    )


def _levels(variable: str, values: Sequence[str | None], levels: Sequence[str]) -> list[Table1Row]:
    return [
        _count_row(variable, lvl, [None if v is None else v == lvl for v in values])
        for lvl in levels
    ]


def _em_any(rec: PatientRecord) -> bool | None:
    s = rec.summary
    if s.cns_involvement is None and not s.extramedullary_sites:
        return None  # no relapse before the index therapy is described
    return bool(s.extramedullary_sites) or bool(s.cns_involvement)


def _relapse_level(rec: PatientRecord) -> str | None:
    c = rec.summary.relapse_count
    if c is None:
        return None
    return "0" if c == 0 else "1" if c == 1 else "2" if c == 2 else ">= 3"


def _index_class_rows(records: Sequence[PatientRecord]) -> list[Table1Row]:
    classes = ["car_t", "bispecific", "antibody_drug_conjugate", "tki", "chemotherapy", "hsct",
               "other"]  # fmt: skip
    rows = []
    for cls in classes:
        values: list[bool | None] = [
            None if not r.summary.index_therapies
            else any(t.therapy_class == cls for t in r.summary.index_therapies)
            for r in records
        ]  # fmt: skip
        row = _count_row("Index therapy includes", cls, values)
        if row.n:
            rows.append(row)
    return rows


def _aggregate_rows(agg: CohortAggregate) -> list[Table1Row]:
    col = agg.id
    rows = [Table1Row("Patients", None, "n", col, n=agg.n_patients)]
    if agg.age is not None and agg.age.median is not None:
        f = 1 / 12 if agg.age.unit == "months" else 1.0
        rows.append(
            Table1Row(
                "Age, years",
                None,
                "median",
                col,
                median=agg.age.median * f,
                minimum=None if agg.age.minimum is None else agg.age.minimum * f,
                maximum=None if agg.age.maximum is None else agg.age.maximum * f,
            )
        )
    if agg.population is not None:
        rows.append(Table1Row("Population", None, "label", col, value=agg.population))
    for stat in agg.baseline:
        denominator = stat.of or agg.n_patients
        pct = stat.pct if stat.n is None else 100 * stat.n / denominator
        rows.append(
            Table1Row(
                "Stated by the source",
                stat.label,
                "stated",
                col,
                n=stat.n,
                denominator=denominator if stat.n is not None else None,
                pct=pct,
            )
        )
    return rows


def table1(data: CohortData) -> Table1:
    """Table 1 of the cohort's individual patients, with each aggregate series beside them."""
    recs = data.patients
    s = [r.summary for r in recs]
    rows: list[Table1Row] = [Table1Row("Patients", None, "n", n=len(recs))]
    rows.append(_median_row("Age, years", [x.age_years for x in s]))
    rows.append(
        _count_row(
            "Age < 18 years",
            None,
            [None if x.age_years is None else x.age_years < PAEDIATRIC_AGE_YEARS for x in s],
        )
    )
    rows += _levels("Sex", [x.sex for x in s], ["female", "male"])
    rows.append(_count_row("Ph-positive", None, [x.ph_positive for x in s]))
    rows.append(_median_row("Relapses before the index therapy", [
        None if x.relapse_count is None else float(x.relapse_count) for x in s
    ]))  # fmt: skip
    rows += _levels(
        "Relapses before the index therapy",
        [_relapse_level(r) for r in recs],
        ["0", "1", "2", ">= 3"],
    )
    flags: list[tuple[str, Callable[[PatientRecord], bool | None]]] = [
        ("Refractory disease", lambda r: r.summary.refractory),
        ("Prior allogeneic HSCT", lambda r: r.summary.prior_hsct),
        ("Prior blinatumomab", lambda r: r.prior_blinatumomab),
        ("CNS involvement", lambda r: r.summary.cns_involvement),
        ("Extramedullary disease (any site)", _em_any),
    ]
    for name, get in flags:
        rows.append(_count_row(name, None, [get(r) for r in recs]))
    blasts = [r.marrow_blasts_pct for r in recs]
    rows.append(_median_row("Marrow blasts before the index therapy, %", blasts))
    for cut in (BLAST_BURDEN_PCT, BLAST_BURDEN_HIGH_PCT):
        rows.append(
            _count_row(
                "Marrow blasts before the index therapy, %",
                f">= {cut:g}",
                [None if b is None else b >= cut for b in blasts],
            )
        )
    rows += _index_class_rows(recs)
    agg_rows: list[Table1Row] = []
    for agg in data.aggregates:
        agg_rows += _aggregate_rows(agg)
    notes = [
        "percentages are of the patients for whom the feature is known (n_missing: not stated)",
    ]
    if data.aggregates:
        notes.append(
            "aggregate series are shown beside the cases with what they state; medians and "
            "counts are not pooled into the case rows"
        )
    return Table1(len(recs), tuple(rows), tuple(agg_rows), tuple(notes))
