"""The analysis set: one row per patient, with endpoint times from the outcome rules.

:meth:`CohortData.from_documents` reads Cases (individual patients) and CohortAggregates
(published series known only by their counts) and keeps them apart: the per-patient rows come
from Cases only; aggregates stand beside them, labelled, for pooling where that is sound
(:mod:`remission.cohort.pool`).

Every per-patient time comes from :mod:`remission.rules.outcomes` (never re-derived here):

* **OS** and **EFS** count from the chosen anchor — ``"infusion"`` (the first index therapy: the
  CAR-T infusion or blinatumomab course the case is about; the default), ``"relapse"`` (the last
  relapse listed before it: the relapse the index therapy treats) or ``"diagnosis"``;
* **RFS** and **DOR** count from the first remission (CR, CRh, CRi) the first index therapy
  achieved, whatever the anchor (that is their definition);
* the **competing-risk** coding reads the RFS result: a relapse first is ``relapse``; a death
  without a prior relapse is non-relapse mortality (``nrm``), except a death recorded as caused by
  the disease, which is a disease failure and counted with ``relapse``; otherwise censored.

A case whose endpoint cannot be computed (no anchor, an anchor without a date that the end is not
counted from, no remission for RFS) is excluded from that endpoint, with the outcome rule's
reason. Times are the midpoints of their intervals (partial dates give ranges); each row says
whether its interval was approximate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import pandas as pd

from remission.cohort._common import days_to_months, rounded
from remission.exceptions import CohortError
from remission.model import (
    Case,
    CaseSummary,
    CohortAggregate,
    DiseaseAssessment,
    Relapse,
    Therapy,
)
from remission.rules.outcomes import (
    DIAGNOSIS,
    Outcome,
    duration_of_response,
    event_free_survival,
    overall_survival,
    relapse_free_survival,
)
from remission.rules.summary import summarize

__all__ = [
    "ANCHORS",
    "ENDPOINTS",
    "Anchor",
    "CohortData",
    "Endpoint",
    "EndpointTimes",
    "Exclusion",
    "PatientRecord",
    "TimeRow",
    "marrow_blasts_before_index",
    "prior_blinatumomab",
]

Anchor = Literal["infusion", "relapse", "diagnosis"]
ANCHORS: tuple[str, ...] = get_args(Anchor)

Endpoint = Literal["OS", "EFS", "RFS", "DOR"]
ENDPOINTS: tuple[str, ...] = get_args(Endpoint)

Competing = Literal["relapse", "nrm"]

#: What each endpoint is, for tables and reports.
ENDPOINT_LABELS: dict[str, str] = {
    "OS": "overall survival",
    "EFS": "event-free survival",
    "RFS": "relapse-free survival",
    "DOR": "duration of response",
}


# --------------------------------------------------------------------------------------------
# Derived per-patient facts used by Table 1 and the subgroups
# --------------------------------------------------------------------------------------------


def _before_index(case: Case) -> list[Any] | None:
    """Events listed before the first index therapy (timeline order), or None without one."""
    index = case.index_events()
    if not index:
        return None
    pos = {ev.id: i for i, ev in enumerate(case.timeline)}
    first = min(pos[ev.id] for ev in index)
    return list(case.timeline[:first])


def prior_blinatumomab(case: Case) -> bool | None:
    """A blinatumomab course listed before the first index therapy.

    True when one is listed; False only for a case marked ``complete_history`` (then an absent
    course did not happen); otherwise unknown (None) — a case report that mentions no earlier
    blinatumomab has not said there was none. Unknown without an index therapy.
    """
    before = _before_index(case)
    if before is None:
        return None
    if any(isinstance(ev, Therapy) and "blinatumomab" in ev.agents for ev in before):
        return True
    return False if case.complete_history else None


def marrow_blasts_before_index(case: Case) -> tuple[float, str] | None:
    """The last marrow blast percentage recorded before the first index therapy, with the id of
    the relapse or disease assessment that gives it; None when none is recorded."""
    before = _before_index(case)
    if not before:
        return None
    for ev in reversed(before):
        if isinstance(ev, Relapse | DiseaseAssessment) and ev.marrow_blasts_pct is not None:
            return float(ev.marrow_blasts_pct), ev.id
    return None


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """A case left out of one endpoint (or of the whole analysis), and why."""

    case_id: str
    endpoint: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "endpoint": self.endpoint, "reason": self.reason}


@dataclass(frozen=True)
class TimeRow:
    """One patient's time to an endpoint: the midpoint of its interval, in days and months.

    ``event`` True = the endpoint happened at this time; False = censored. ``approximate`` when
    the interval was known only within ``[lo_days, hi_days]`` (partial dates). ``competing``
    (RFS only): ``relapse``, ``nrm`` (non-relapse mortality) or None (censored).
    """

    case_id: str
    days: float
    event: bool
    approximate: bool
    lo_days: float
    hi_days: float
    end: str | None
    end_kind: str | None
    competing: Competing | None = None

    @property
    def months(self) -> float:
        return days_to_months(self.days)

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "days": rounded(self.days, 2),
            "months": rounded(self.months, 3),
            "event": self.event,
            "approximate": self.approximate,
            "lo_days": rounded(self.lo_days, 2),
            "hi_days": rounded(self.hi_days, 2),
            "end": self.end,
            "end_kind": self.end_kind,
            "competing": self.competing,
        }


@dataclass(frozen=True)
class EndpointTimes:
    """The times of one endpoint across the cohort, and the cases excluded from it."""

    endpoint: str
    anchor: str
    rows: tuple[TimeRow, ...]
    excluded: tuple[Exclusion, ...] = ()

    @property
    def n(self) -> int:
        return len(self.rows)

    @property
    def n_events(self) -> int:
        return sum(r.event for r in self.rows)

    @property
    def n_approximate(self) -> int:
        return sum(r.approximate for r in self.rows)

    @property
    def days(self) -> list[float]:
        return [r.days for r in self.rows]

    @property
    def events(self) -> list[bool]:
        return [r.event for r in self.rows]

    @property
    def case_ids(self) -> list[str]:
        return [r.case_id for r in self.rows]

    def subset(self, case_ids: Iterable[str]) -> EndpointTimes:
        keep = set(case_ids)
        return EndpointTimes(
            self.endpoint,
            self.anchor,
            tuple(r for r in self.rows if r.case_id in keep),
            tuple(e for e in self.excluded if e.case_id in keep),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "anchor": self.anchor,
            "n": self.n,
            "n_events": self.n_events,
            "n_approximate": self.n_approximate,
            "rows": [r.to_dict() for r in self.rows],
            "excluded": [e.to_dict() for e in self.excluded],
        }

    def to_frame(self) -> pd.DataFrame:
        columns = [*TimeRow.__dataclass_fields__, "months"]
        return pd.DataFrame([r.to_dict() for r in self.rows], columns=columns)


@dataclass(frozen=True)
class PatientRecord:
    """One patient: the Case, its CaseSummary, the derived baseline facts and the outcomes."""

    case: Case
    summary: CaseSummary
    anchor_event: str | None
    prior_blinatumomab: bool | None
    marrow_blasts_pct: float | None
    marrow_blasts_from: str | None
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    @property
    def case_id(self) -> str:
        return self.case.id

    def row(self) -> dict[str, Any]:
        """The flat row of :meth:`CohortData.to_frame`."""
        s = self.summary
        out: dict[str, Any] = {
            "case_id": self.case_id,
            "source_kind": self.case.source.kind if self.case.source else None,
            "anchor_event": self.anchor_event,
            "age_years": s.age_years,
            "sex": s.sex,
            "diagnosis": s.diagnosis,
            "ph_positive": s.ph_positive,
            "relapse_count": s.relapse_count,
            "refractory": s.refractory,
            "prior_hsct": s.prior_hsct,
            "prior_blinatumomab": self.prior_blinatumomab,
            "marrow_blasts_pct": self.marrow_blasts_pct,
            "cns_involvement": s.cns_involvement,
            "extramedullary_sites": ",".join(s.extramedullary_sites) or None,
            "index_classes": ",".join(dict.fromkeys(t.therapy_class for t in s.index_therapies))
            or None,
            "response": s.response,
            "mrd_negative": s.mrd_negative,
            "crs_max_grade": s.crs_max_grade,
            "icans_max_grade": s.icans_max_grade,
            "gvhd": s.gvhd,
            "relapse_after": s.relapse_after,
            "bridged_to_hsct": s.bridged_to_hsct,
            "alive_at_last_follow_up": s.alive_at_last_follow_up,
            "follow_up_months": s.follow_up_months,
        }
        return out


def _competing(case: Case, outcome: Outcome) -> Competing | None:
    """Relapse vs non-relapse mortality from an RFS result (module docstring)."""
    if not outcome.event:
        return None
    if outcome.end_kind == "relapse":
        return "relapse"
    if outcome.end is not None:
        try:
            ev = case.event(outcome.end)
        except KeyError:
            ev = None
        if getattr(ev, "cause", None) == "disease":
            return "relapse"
    return "nrm"


def _to_row(case: Case, outcome: Outcome, competing: bool) -> TimeRow | str:
    """A time row, or the reason the outcome cannot be one."""
    if not outcome.computable or outcome.interval is None:
        return outcome.reason or "not computable"
    iv = outcome.interval
    if iv.days < 0:
        return (
            f"{outcome.end} is dated {abs(iv.days):g} days before {outcome.anchor}, although "
            "listed after it: the dates conflict"
        )
    return TimeRow(
        case_id=case.id,
        days=iv.days,
        event=bool(outcome.event),
        approximate=not iv.exact,
        lo_days=iv.lo,
        hi_days=iv.hi,
        end=outcome.end,
        end_kind=outcome.end_kind,
        competing=_competing(case, outcome) if competing else None,
    )


# --------------------------------------------------------------------------------------------
# The cohort
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortData:
    """Individual patients (with their endpoint times) and aggregate series, kept apart.

    ``excluded_documents`` lists documents left out of the analysis altogether (drafts unless
    ``include_drafts``); ``endpoints`` maps OS, EFS, RFS and DOR to their times and exclusions.
    """

    patients: tuple[PatientRecord, ...]
    aggregates: tuple[CohortAggregate, ...]
    anchor: str
    endpoints: dict[str, EndpointTimes]
    excluded_documents: tuple[Exclusion, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)

    # -- construction ----------------------------------------------------------------------

    @classmethod
    def from_documents(
        cls,
        documents: Iterable[Case | CohortAggregate],
        *,
        anchor: Anchor = "infusion",
        include_drafts: bool = False,
        censor_at_hsct: bool = False,
        count_molecular: bool = False,
    ) -> CohortData:
        """Assemble the analysis set.

        ``anchor`` is where OS and EFS count from (module docstring). ``censor_at_hsct`` (RFS,
        DOR) and ``count_molecular`` (EFS, RFS, DOR) are passed to the outcome rules. Drafts
        (unreviewed extractions) are left out unless ``include_drafts``. Two documents with one
        id, or an object that is neither a Case nor a CohortAggregate, raise :class:`CohortError`.
        """
        if anchor not in ANCHORS:
            raise CohortError(
                f"unknown anchor {anchor!r}: choose one of {', '.join(ANCHORS)} "
                "('infusion' is the first index therapy)"
            )
        docs = list(documents)
        bad = [type(d).__name__ for d in docs if not isinstance(d, Case | CohortAggregate)]
        if bad:
            raise CohortError(
                f"a cohort is made of Case and CohortAggregate documents, not {', '.join(bad)} "
                "(load files with remission.load_file(path).document)"
            )
        counts = Counter(d.id for d in docs)
        twice = sorted(i for i, c in counts.items() if c > 1)
        if twice:
            raise CohortError(
                f"document id(s) {', '.join(twice)} appear more than once: each patient or series "
                "may be counted only once"
            )
        skipped: list[Exclusion] = []
        cases: list[Case] = []
        aggregates: list[CohortAggregate] = []
        for d in docs:
            if d.status == "draft" and not include_drafts:
                skipped.append(
                    Exclusion(d.id, "all", "a draft (not reviewed); pass include_drafts=True")
                )
            elif isinstance(d, Case):
                cases.append(d)
            else:
                aggregates.append(d)
        records = [
            _record(c, anchor, censor_at_hsct=censor_at_hsct, count_molecular=count_molecular)
            for c in cases
        ]
        return cls._build(
            tuple(records),
            tuple(aggregates),
            anchor,
            tuple(skipped),
            {
                "include_drafts": include_drafts,
                "censor_at_hsct": censor_at_hsct,
                "count_molecular": count_molecular,
            },
        )

    @classmethod
    def _build(
        cls,
        records: tuple[PatientRecord, ...],
        aggregates: tuple[CohortAggregate, ...],
        anchor: str,
        skipped: tuple[Exclusion, ...],
        options: dict[str, Any],
    ) -> CohortData:
        endpoints: dict[str, EndpointTimes] = {}
        for ep in ENDPOINTS:
            rows: list[TimeRow] = []
            excluded: list[Exclusion] = []
            for rec in records:
                outcome = rec.outcomes.get(ep)
                if outcome is None:
                    excluded.append(Exclusion(rec.case_id, ep, _no_anchor_reason(rec, anchor)))
                    continue
                made = _to_row(rec.case, outcome, competing=ep == "RFS")
                if isinstance(made, str):
                    excluded.append(Exclusion(rec.case_id, ep, made))
                else:
                    rows.append(made)
            endpoints[ep] = EndpointTimes(
                ep, _anchor_label(ep, anchor), tuple(rows), tuple(excluded)
            )
        return cls(records, aggregates, anchor, endpoints, skipped, options)

    # -- views -----------------------------------------------------------------------------

    @property
    def n_patients(self) -> int:
        return len(self.patients)

    @property
    def case_ids(self) -> list[str]:
        return [p.case_id for p in self.patients]

    def times(self, endpoint: str) -> EndpointTimes:
        """The times of one endpoint (OS, EFS, RFS, DOR)."""
        key = endpoint.upper()
        if key not in self.endpoints:
            raise CohortError(
                f"unknown endpoint {endpoint!r}: choose one of {', '.join(ENDPOINTS)}"
            )
        return self.endpoints[key]

    def excluded(self, endpoint: str) -> tuple[Exclusion, ...]:
        return self.times(endpoint).excluded

    def subset(self, keep: Callable[[PatientRecord], bool] | Sequence[str]) -> CohortData:
        """The same cohort restricted to some patients (a predicate or a list of case ids);
        aggregates are kept only when the whole cohort is kept."""
        if callable(keep):
            records = tuple(p for p in self.patients if keep(p))
        else:
            ids = set(keep)
            records = tuple(p for p in self.patients if p.case_id in ids)
        aggregates = self.aggregates if len(records) == len(self.patients) else ()
        return CohortData._build(records, aggregates, self.anchor, (), dict(self.options))

    def to_frame(self) -> pd.DataFrame:
        """One row per patient: summary fields, derived baseline facts, and for each endpoint
        its time (days, months), event flag, whether approximate, and the exclusion reason."""
        by_case: dict[str, dict[str, Any]] = {p.case_id: p.row() for p in self.patients}
        for ep, times in self.endpoints.items():
            for r in times.rows:
                row = by_case[r.case_id]
                row[f"{ep}_days"] = rounded(r.days, 2)
                row[f"{ep}_months"] = rounded(r.months, 3)
                row[f"{ep}_event"] = r.event
                row[f"{ep}_approximate"] = r.approximate
                if ep == "RFS":
                    row["competing_event"] = r.competing
            for e in times.excluded:
                by_case[e.case_id][f"{ep}_excluded"] = e.reason
        frame = pd.DataFrame(list(by_case.values()))
        if frame.empty:
            frame = pd.DataFrame(columns=["case_id"])
        return frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "anchor": self.anchor,
            "n_patients": self.n_patients,
            "n_aggregates": len(self.aggregates),
            "aggregates": [a.id for a in self.aggregates],
            "options": dict(self.options),
            "excluded_documents": [e.to_dict() for e in self.excluded_documents],
            "endpoints": {ep: t.to_dict() for ep, t in self.endpoints.items()},
        }


def _anchor_label(endpoint: str, anchor: str) -> str:
    if endpoint in ("RFS", "DOR"):
        return "first remission"
    return {"infusion": "first index therapy"}.get(anchor, anchor)


def _no_anchor_reason(rec: PatientRecord, anchor: str) -> str:
    if not rec.case.index_events():
        return (
            "the case names no index therapy (no CAR-T infusion or blinatumomab course), so "
            "there is nothing to count from"
        )
    if anchor == "relapse":
        return "no relapse is listed before the index therapy, so the 'relapse' anchor is missing"
    return "not computed"


def _anchor_of(case: Case, anchor: str) -> str | None:
    index = case.index_events()
    if anchor == "diagnosis":
        return DIAGNOSIS
    if not index:
        return None
    if anchor == "infusion":
        return index[0].id
    before = _before_index(case) or []
    relapses = [ev for ev in before if isinstance(ev, Relapse)]
    return relapses[-1].id if relapses else None


def _record(
    case: Case, anchor: str, *, censor_at_hsct: bool, count_molecular: bool
) -> PatientRecord:
    anchor_id = _anchor_of(case, anchor)
    outcomes: dict[str, Outcome] = {}
    if anchor_id is not None:
        outcomes["OS"] = overall_survival(case, anchor_id)
        outcomes["EFS"] = event_free_survival(case, anchor_id, count_molecular=count_molecular)
    index = case.index_events()
    if index:
        therapy = index[0].id
        outcomes["RFS"] = relapse_free_survival(
            case, therapy, censor_at_hsct=censor_at_hsct, count_molecular=count_molecular
        )
        outcomes["DOR"] = duration_of_response(
            case, therapy, censor_at_hsct=censor_at_hsct, count_molecular=count_molecular
        )
    blasts = marrow_blasts_before_index(case)
    return PatientRecord(
        case=case,
        summary=summarize(case),
        anchor_event=anchor_id,
        prior_blinatumomab=prior_blinatumomab(case),
        marrow_blasts_pct=blasts[0] if blasts else None,
        marrow_blasts_from=blasts[1] if blasts else None,
        outcomes=outcomes,
    )
