"""Relapse site class, timing class and descriptors.

Source: ``shared/reference/clinical-criteria.md`` section 3.4 (site and timing conventions, CR
numbering) and section 3.1 (relapse and CNS relapse definitions).

Site: **isolated medullary** (marrow or blood, no extramedullary site), **isolated
extramedullary** (an extramedullary site with marrow blasts < 5 %, or the marrow not involved),
**combined** (an extramedullary site and marrow blasts >= 5 %), or **molecular** (MRD or fusion
transcripts only, marrow blasts < 5 %).

Timing, by convention:

- ``BFM`` (BFM / IntReALL): very early < 18 months from diagnosis; early >= 18 months from
  diagnosis and < 6 months after the end of front-line therapy; late >= 6 months after it.
- ``COG``: a relapse involving the marrow is early < 36 months from diagnosis; an isolated
  extramedullary relapse is early < 18 months; otherwise late.
- ``adult`` (TOWER, INO-VATE stratification): early when the first remission lasted < 12 months.

A timing is decided only when every bound of the interval falls on one side of the cut-off;
partial dates that straddle it give ``indeterminate`` with the reason.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, Literal

from remission.model import (
    Case,
    DiseaseAssessment,
    Relapse,
    Therapy,
    load_vocabulary,
)
from remission.model.case import Point
from remission.model.time import DAYS_PER_MONTH
from remission.rules.outcomes import DIAGNOSIS, interval_dict

__all__ = [
    "CONVENTIONS",
    "RELAPSE_CRITERIA",
    "CRNumber",
    "Convention",
    "RelapseClass",
    "RelapseCriteria",
    "RelapseTiming",
    "classify_relapse",
    "cr_number",
    "frontline_end",
    "months_below",
    "relapse_timing",
]

Convention = Literal["BFM", "COG", "adult"]
CONVENTIONS: tuple[Convention, ...] = ("BFM", "COG", "adult")
SiteClass = Literal["isolated_medullary", "isolated_extramedullary", "combined", "molecular"]
TimingClass = Literal["very_early", "early", "late"]


@dataclass(frozen=True)
class RelapseCriteria:
    """Every relapse threshold, once (clinical-criteria.md section 3.4)."""

    #: Combined relapse: extramedullary disease with marrow blasts >= 5 %; below, isolated EM.
    marrow_blasts_pct: float = 5.0
    #: BFM protocols require >= 25 % marrow blasts for an isolated marrow relapse (noted only).
    bfm_isolated_marrow_pct: float = 25.0
    #: BFM/IntReALL: very early < 18 months from diagnosis.
    bfm_very_early_months: int = 18
    #: BFM/IntReALL: early < 6 months after the end of front-line therapy, else late.
    bfm_after_frontline_months: int = 6
    #: COG: a marrow (isolated or combined) relapse is early < 36 months from diagnosis.
    cog_marrow_months: int = 36
    #: COG: an isolated extramedullary relapse is early < 18 months from diagnosis.
    cog_iem_months: int = 18
    #: Adult trials: early when the first remission (CR1) lasted < 12 months.
    adult_cr1_months: int = 12


RELAPSE_CRITERIA = RelapseCriteria()


# --------------------------------------------------------------------------------------------
# Months between two points, with calendar months when the dates allow
# --------------------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    total = day.month - 1 + months
    year, month = day.year + total // 12, total % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_below(case: Case, start: Point, end: Point, months: int) -> tuple[bool | None, str]:
    """Is ``end`` less than ``months`` after ``start``? True, False, or None (undecided).

    When one point counts from the other (a chain of stated offsets), the offsets are compared
    with months of 30.4375 days. Otherwise, when both are calendar dates, calendar months are
    used: ``end`` is certainly below when even its latest day precedes the earliest ``start``
    plus ``months``, certainly not below when its earliest day is on or after the latest
    ``start`` plus ``months``; anything between straddles the cut-off. Points on different
    axes cannot be compared. The second value explains the answer.
    """
    start_chain = {ref for ref, _, _ in case.offset_chain(start)}
    linked = any(ref in start_chain for ref, _, _ in case.offset_chain(end))
    a, b = case.locate(start), case.locate(end)
    label = f"{months} months"
    if not linked and a is not None and b is not None and a.axis is None and b.axis is None:
        lo_start = dt.date.fromordinal(math.floor(a.lo))
        hi_start = dt.date.fromordinal(math.ceil(a.hi))
        cut_early, cut_late = _add_months(lo_start, months), _add_months(hi_start, months)
        end_lo = dt.date.fromordinal(math.floor(b.lo))
        end_hi = dt.date.fromordinal(math.ceil(b.hi))
        span = f"{end_lo}..{end_hi}" if end_lo != end_hi else str(end_lo)
        if end_hi < cut_early:
            return True, f"{span} is before {cut_early} ({label} after {lo_start})"
        if end_lo >= cut_late:
            return False, f"{span} is on or after {cut_late} ({label} after {hi_start})"
        return None, f"{span} straddles {label} after {start}: between {cut_early} and {cut_late}"
    iv = case.interval(start, end)
    if iv is None:
        return None, "the two times are not on one time axis"
    cut = months * DAYS_PER_MONTH
    got = f"{iv.months:.1f} months ({iv.precision})" if not iv.exact else f"{iv.months:.1f} months"
    if iv.hi < cut:
        return True, f"{got} < {label}"
    if iv.lo >= cut:
        return False, f"{got} >= {label}"
    return (
        None,
        f"{got}: the bounds ({iv.lo / DAYS_PER_MONTH:.1f}-{iv.hi / DAYS_PER_MONTH:.1f} months) "
        f"straddle {label}",
    )


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelapseTiming:
    """The timing class under one convention; ``timing`` None means indeterminate."""

    convention: Convention
    timing: TimingClass | None
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    from_diagnosis: Any = None
    after_frontline: Any = None
    first_remission: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "convention": self.convention,
            "timing": self.timing,
            "reasons": list(self.reasons),
            "missing": list(self.missing),
            "from_diagnosis": interval_dict(self.from_diagnosis),
            "after_frontline": interval_dict(self.after_frontline),
            "first_remission": interval_dict(self.first_remission),
        }


@dataclass(frozen=True)
class CRNumber:
    """The ordinal of a relapse and the remissions around it (CR number = prior relapses + 1).

    ``relapse_number`` is stated, or counted among the relapses listed (then a lower bound unless
    the case's history is complete: ``exact`` False). The relapse ends CR ``relapse_number``; a
    remission after it is CR ``relapse_number + 1``.
    """

    relapse_number: int
    exact: bool
    basis: str

    @property
    def ends_cr(self) -> int:
        return self.relapse_number

    @property
    def next_cr(self) -> int:
        return self.relapse_number + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "relapse_number": self.relapse_number,
            "ends_cr": self.ends_cr,
            "next_cr": self.next_cr,
            "exact": self.exact,
            "basis": self.basis,
        }


@dataclass(frozen=True)
class RelapseClass:
    """Everything the rules say about one relapse."""

    relapse: str
    site_class: SiteClass | None
    sites: tuple[str, ...]
    medullary_sites: tuple[str, ...]
    extramedullary_sites: tuple[str, ...]
    marrow_involved: bool | None
    molecular: bool
    cd19: str | None
    cd19_negative: bool | None
    cd22: str | None
    lineage_switch: bool
    number: CRNumber
    timing: RelapseTiming
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "relapse": self.relapse,
            "site_class": self.site_class,
            "sites": list(self.sites),
            "medullary_sites": list(self.medullary_sites),
            "extramedullary_sites": list(self.extramedullary_sites),
            "marrow_involved": self.marrow_involved,
            "molecular": self.molecular,
            "cd19": self.cd19,
            "cd19_negative": self.cd19_negative,
            "cd22": self.cd22,
            "lineage_switch": self.lineage_switch,
            "number": self.number.to_dict(),
            "timing": self.timing.to_dict(),
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------


def _relapse(case: Case, relapse_id: str) -> Relapse:
    ev = case.event(relapse_id)
    if not isinstance(ev, Relapse):
        raise TypeError(f"{relapse_id!r} is not a relapse")
    return ev


def cr_number(case: Case, relapse_id: str) -> CRNumber:
    """The relapse's ordinal: as stated, else counted among the relapses listed up to it."""
    rel = _relapse(case, relapse_id)
    if rel.number is not None:
        return CRNumber(rel.number, True, "stated")
    ids = [ev.id for ev in case.timeline]
    before = [ev for ev in case.timeline[: ids.index(relapse_id)] if isinstance(ev, Relapse)]
    numbered = [r for r in before if r.number is not None]
    if numbered:
        last = numbered[-1]
        after_last = before[before.index(last) + 1 :]
        assert last.number is not None
        n = last.number + len(after_last) + 1
        return CRNumber(
            n, case.complete_history, f"counted on from {last.id} (relapse {last.number})"
        )
    n = len(before) + 1
    basis = "counted among the relapses listed"
    if not case.complete_history:
        basis += " (the history may be incomplete: at least this number)"
    return CRNumber(n, case.complete_history, basis)


def _site_class(
    rel: Relapse, c: RelapseCriteria, reasons: list[str], notes: list[str]
) -> tuple[SiteClass | None, tuple[str, ...], tuple[str, ...], bool | None]:
    vocab = load_vocabulary("sites")
    sites = list(dict.fromkeys(rel.sites))
    if rel.cns_status == "CNS3" and "cns" not in sites:
        sites.append("cns")
        reasons.append("CNS3 at relapse: the CNS is a relapse site")
    elif rel.cns_status == "CNS2" and "cns" not in sites:
        notes.append(
            "CNS2 at relapse: not a CNS relapse by the COG/NCCN definition (CNS3 or signs)"
        )
    medullary = tuple(s for s in sites if vocab.get(s).attributes.get("medullary"))
    extra = tuple(s for s in sites if not vocab.get(s).attributes.get("medullary"))
    pct = rel.marrow_blasts_pct
    cut = c.marrow_blasts_pct
    marrow: bool | None
    if pct is not None:
        marrow = pct >= cut
        reasons.append(f"marrow blasts {pct:g} % ({'>=' if marrow else '<'} {cut:g} %)")
        if not marrow and medullary:
            notes.append(
                f"{', '.join(medullary)} listed, but marrow blasts below {cut:g} % do not make a "
                "marrow relapse (submicroscopic involvement)"
            )
    elif medullary:
        marrow = True
        reasons.append(f"{', '.join(medullary)} named as a relapse site")
    elif extra:
        marrow = False
        reasons.append("the marrow is not named as a relapse site")
    else:
        marrow = None
    if rel.molecular and not extra and (pct is None or pct < cut):
        reasons.append("relapse by MRD or fusion transcripts only")
        return "molecular", medullary, extra, marrow
    if marrow is None:
        reasons.append("no relapse site or marrow blast percentage given")
        return None, medullary, extra, marrow
    if extra and marrow:
        cls: SiteClass = "combined"
    elif extra:
        cls = "isolated_extramedullary"
    elif marrow:
        cls = "isolated_medullary"
        if pct is not None and pct < c.bfm_isolated_marrow_pct:
            notes.append(
                f"BFM protocols require >= {c.bfm_isolated_marrow_pct:g} % blasts for an isolated "
                f"marrow relapse; {pct:g} % needs confirmation there"
            )
    else:
        reasons.append("marrow blasts below the cut-off and no extramedullary site")
        return None, medullary, extra, marrow
    return cls, medullary, extra, marrow


def frontline_end(case: Case) -> tuple[Point | None, str]:
    """The end of front-line therapy: the ``end`` of the last first-line therapy.

    First-line therapies are those with ``line: 1``; when no therapy states a line, those listed
    before the first relapse with intent induction, consolidation or maintenance. The end of the
    last of them is the end of front-line therapy; None (with the reason) when there is none or
    it has no ``end``.
    """
    ids = [ev.id for ev in case.timeline]
    therapies = [ev for ev in case.timeline if isinstance(ev, Therapy)]
    first = [t for t in therapies if t.line == 1]
    basis = "line 1"
    if not first and not any(t.line is not None for t in therapies):
        relapses = [i for i, ev in enumerate(case.timeline) if isinstance(ev, Relapse)]
        stop = relapses[0] if relapses else len(ids)
        first = [
            t
            for t in therapies
            if ids.index(t.id) < stop and t.intent in ("induction", "consolidation", "maintenance")
        ]
        basis = "induction, consolidation or maintenance before the first relapse"
    if not first:
        return (
            None,
            "no front-line therapy is listed (line: 1, or induction before the first relapse)",
        )
    last = first[-1]
    if last.end is None:
        return None, f"the front-line therapy {last.id} ({basis}) has no end date"
    return last.end, f"end of {last.id} ({basis})"


def _first_remission(case: Case, rel: Relapse) -> tuple[str | None, str]:
    """The assessment that began the remission this relapse ended (the latest remission before
    it with no relapse in between), by classified or stated response."""
    from remission.rules.response import assess_response

    ids = [ev.id for ev in case.timeline]
    start = None
    for ev in case.timeline[: ids.index(rel.id)]:
        if isinstance(ev, Relapse):
            start = None
        elif isinstance(ev, DiseaseAssessment) and start is None:
            call = assess_response(case, ev.id)
            if call.remission:
                start = ev.id
    if start is None:
        return None, "no remission (CR, CRh, CRi) is recorded before this relapse"
    return start, f"remission from {start}"


def relapse_timing(
    case: Case,
    relapse_id: str,
    convention: Convention = "BFM",
    *,
    end_of_frontline: Point | None = None,
    criteria: RelapseCriteria = RELAPSE_CRITERIA,
) -> RelapseTiming:
    """The timing class of a relapse under one convention (clinical-criteria.md 3.4).

    ``end_of_frontline`` (an event id or a point in time) overrides :func:`frontline_end` for
    BFM. The conventions are defined for the first relapse; for a later one the class is still
    computed and a reason says so. COG needs the site class: a relapse with unknown sites is
    decided only when both cut-offs agree (< 18 months: early; >= 36 months: late).
    """
    c = criteria
    rel = _relapse(case, relapse_id)
    reasons: list[str] = []
    missing: list[str] = []
    number = cr_number(case, relapse_id)
    if number.relapse_number > 1:
        reasons.append(
            f"relapse {number.relapse_number}: the timing conventions are defined for the first "
            "relapse"
        )
    dx_iv = case.interval(DIAGNOSIS, relapse_id)

    def below(start: Point, months: int, what: str) -> bool | None:
        verdict, why = months_below(case, start, relapse_id, months)
        reasons.append(f"{what}: {why}")
        return verdict

    def no_dx_date(verdict: bool | None) -> None:
        if verdict is None and case.diagnosis.date is None:
            missing.append("diagnosis date")

    if convention == "BFM":
        very_early = below(DIAGNOSIS, c.bfm_very_early_months, "from diagnosis")
        no_dx_date(very_early)
        if very_early is True:
            return RelapseTiming(convention, "very_early", tuple(reasons), (), dx_iv)
        end = end_of_frontline
        if end is None:
            end, why = frontline_end(case)
            reasons.append(why)
        if end is None:
            missing.append("end of front-line therapy")
            return RelapseTiming(convention, None, tuple(reasons), tuple(missing), dx_iv)
        after = case.interval(end, relapse_id)
        early = below(end, c.bfm_after_frontline_months, "after the end of front-line therapy")
        if very_early is False and early is True:
            return RelapseTiming(convention, "early", tuple(reasons), (), dx_iv, after)
        if very_early is False and early is False:
            return RelapseTiming(convention, "late", tuple(reasons), (), dx_iv, after)
        return RelapseTiming(convention, None, tuple(reasons), tuple(missing), dx_iv, after)

    if convention == "COG":
        site, _, _, _ = _site_class(rel, c, [], [])
        if site == "isolated_extramedullary":
            verdict = below(DIAGNOSIS, c.cog_iem_months, "isolated extramedullary, from diagnosis")
        elif site in ("isolated_medullary", "combined", "molecular"):
            verdict = below(DIAGNOSIS, c.cog_marrow_months, "marrow involved, from diagnosis")
        else:
            missing.append("relapse sites (COG cut-offs differ for marrow and isolated EM)")
            short = below(DIAGNOSIS, c.cog_iem_months, "sites unknown, from diagnosis")
            long = below(DIAGNOSIS, c.cog_marrow_months, "sites unknown, from diagnosis")
            verdict = True if short is True else (False if long is False else None)
        no_dx_date(verdict)
        timing: TimingClass | None = None if verdict is None else ("early" if verdict else "late")
        return RelapseTiming(convention, timing, tuple(reasons), tuple(missing), dx_iv)

    # adult: duration of the first remission
    start, why = _first_remission(case, rel)
    reasons.append(why)
    if start is None:
        missing.append("the date the remission began")
        return RelapseTiming(convention, None, tuple(reasons), tuple(missing), dx_iv)
    cr_iv = case.interval(start, relapse_id)
    verdict = below(start, c.adult_cr1_months, "remission duration")
    timing = None if verdict is None else ("early" if verdict else "late")
    return RelapseTiming(convention, timing, tuple(reasons), tuple(missing), dx_iv, None, cr_iv)


def classify_relapse(
    case: Case,
    relapse_id: str,
    convention: Convention = "BFM",
    *,
    end_of_frontline: Point | None = None,
    criteria: RelapseCriteria = RELAPSE_CRITERIA,
) -> RelapseClass:
    """Site class, sites, CD19 status, lineage switch, ordinal and timing of one relapse."""
    rel = _relapse(case, relapse_id)
    reasons: list[str] = []
    notes: list[str] = []
    site, medullary, extra, marrow = _site_class(rel, criteria, reasons, notes)
    cd19_negative: bool | None
    if rel.cd19 == "negative":
        cd19_negative = True
    elif rel.cd19 in ("positive", "dim"):
        cd19_negative = False
    else:
        cd19_negative = None
        if rel.cd19 == "partial":
            notes.append("partial CD19 loss: neither a CD19-negative nor a CD19-positive relapse")
    if rel.lineage_switch:
        notes.append("lineage switch: the relapse is no longer B-ALL (e.g. AML)")
    timing = relapse_timing(
        case, relapse_id, convention, end_of_frontline=end_of_frontline, criteria=criteria
    )
    return RelapseClass(
        relapse=relapse_id,
        site_class=site,
        sites=tuple(dict.fromkeys((*medullary, *extra))),
        medullary_sites=medullary,
        extramedullary_sites=extra,
        marrow_involved=marrow,
        molecular=rel.molecular,
        cd19=rel.cd19,
        cd19_negative=cd19_negative,
        cd22=rel.cd22,
        lineage_switch=rel.lineage_switch,
        number=cr_number(case, relapse_id),
        timing=timing,
        reasons=tuple(reasons),
        notes=tuple(notes),
    )
