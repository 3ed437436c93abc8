"""CNS status from cerebrospinal fluid findings, and CNS remission over a case.

Source: ``shared/reference/clinical-criteria.md`` section 3.3 (COG/NCCN CNS classification, with
the sub-classes of the COG table reproduced by BMJ Best Practice, and the Steinherz-Bleyer rule
for traumatic taps) and section 3.1 (CNS remission and CNS relapse).

| status | CSF |
|---|---|
| CNS1 | no blasts on cytospin, whatever the counts |
| CNS2a | blasts, WBC < 5/uL, RBC < 10/uL |
| CNS2b | blasts, WBC < 5/uL, RBC >= 10/uL |
| CNS2c | blasts, WBC >= 5/uL, RBC >= 10/uL, Steinherz-Bleyer negative |
| CNS3a | blasts, WBC >= 5/uL, RBC < 10/uL |
| CNS3b | blasts, WBC >= 5/uL, RBC >= 10/uL, Steinherz-Bleyer positive |
| CNS3c | clinical signs of CNS leukaemia (cranial nerve palsy, brain or eye disease, mass) |

Steinherz-Bleyer: CSF WBC / CSF RBC > 2 x (blood WBC / blood RBC) -> CNS3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from remission.model import Case, CSFFindings, DiseaseAssessment, Relapse

__all__ = [
    "CNS_CRITERIA",
    "CNSCall",
    "CNSCourse",
    "CNSCriteria",
    "CNSPoint",
    "cns_course",
    "cns_status",
]

Status = Literal["CNS1", "CNS2", "CNS3"]
Subclass = Literal["1", "2a", "2b", "2c", "3a", "3b", "3c"]


@dataclass(frozen=True)
class CNSCriteria:
    """The CNS thresholds, once (clinical-criteria.md section 3.3, COG/NCCN)."""

    #: CNS3 needs CSF WBC >= 5/uL with blasts; below it, blasts give CNS2.
    wbc_per_ul: float = 5.0
    #: A tap with RBC >= 10/uL is traumatic (2b, 2c, 3b).
    traumatic_rbc_per_ul: float = 10.0
    #: Steinherz-Bleyer: CSF WBC/RBC must exceed this multiple of blood WBC/RBC for CNS3.
    steinherz_bleyer_factor: float = 2.0


CNS_CRITERIA = CNSCriteria()

_STATUS_OF: dict[str, Status] = {
    "1": "CNS1",
    "2a": "CNS2",
    "2b": "CNS2",
    "2c": "CNS2",
    "3a": "CNS3",
    "3b": "CNS3",
    "3c": "CNS3",
}


@dataclass(frozen=True)
class CNSCall:
    """The CNS status of one CSF examination.

    ``status`` None: indeterminate (``missing`` says what would decide, ``possible`` lists the
    sub-classes left open). ``basis``: ``criteria`` (from the findings), ``stated`` (the findings
    do not decide and the stated status is used), ``none``. ``steinherz_bleyer`` is the CSF
    WBC/RBC ratio over the blood WBC/RBC ratio when it was computed.
    """

    status: Status | None
    subclass: Subclass | None
    basis: Literal["criteria", "stated", "none"]
    stated: Status | None = None
    possible: tuple[Subclass, ...] = ()
    traumatic: bool | None = None
    steinherz_bleyer: float | None = None
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    conflict: str | None = None

    @property
    def involved(self) -> bool | None:
        """CNS disease present (CNS2 or CNS3); None when the status is unknown."""
        return None if self.status is None else self.status != "CNS1"

    @property
    def label(self) -> str | None:
        if self.subclass is not None:
            return "CNS1" if self.subclass == "1" else f"CNS{self.subclass}"
        return self.status

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "subclass": self.subclass,
            "label": self.label,
            "basis": self.basis,
            "stated": self.stated,
            "possible": list(self.possible),
            "traumatic": self.traumatic,
            "steinherz_bleyer": self.steinherz_bleyer,
            "reasons": list(self.reasons),
            "missing": list(self.missing),
            "conflict": self.conflict,
        }


def _common_status(possible: tuple[Subclass, ...]) -> Status | None:
    statuses = {_STATUS_OF[p] for p in possible}
    return statuses.pop() if len(statuses) == 1 else None


def cns_status(csf: CSFFindings, criteria: CNSCriteria = CNS_CRITERIA) -> CNSCall:
    """Classify one CSF examination as CNS1, CNS2a-c or CNS3a-c (clinical-criteria.md 3.3).

    Clinical signs of CNS leukaemia give CNS3c whatever the CSF shows. Otherwise blasts decide
    CNS1; with blasts, WBC and RBC give the sub-class, and a traumatic tap with WBC >= 5/uL is
    settled by the Steinherz-Bleyer rule (strictly more than 2x the blood ratio is CNS3b; at
    or below it CNS2c). Missing inputs leave the sub-classes they could give open; when the
    findings do not decide the status, the stated status (``cns_status_stated``) is used.
    """
    c = criteria
    stated = csf.cns_status_stated
    reasons: list[str] = []
    missing: list[str] = []

    def result(
        possible: tuple[Subclass, ...],
        traumatic: bool | None = None,
        ratio: float | None = None,
    ) -> CNSCall:
        status = _common_status(possible)
        subclass = possible[0] if len(possible) == 1 else None
        if status is not None:
            conflict = None
            if stated is not None and stated != status:
                conflict = f"stated {stated}, but the CSF findings give {status}"
            return CNSCall(
                status,
                subclass,
                "criteria",
                stated,
                possible,
                traumatic,
                ratio,
                tuple(reasons),
                tuple(missing),
                conflict,
            )
        allowed = {_STATUS_OF[p] for p in possible}
        if stated is not None and stated in allowed:
            reasons.append(
                f"the findings allow {' or '.join(sorted(allowed))}; the stated {stated} is used"
            )
            narrowed = tuple(p for p in possible if _STATUS_OF[p] == stated)
            sub = narrowed[0] if len(narrowed) == 1 else None
            return CNSCall(
                stated,
                sub,
                "stated",
                stated,
                narrowed,
                traumatic,
                ratio,
                tuple(reasons),
                tuple(missing),
                None,
            )
        conflict = None
        if stated is not None:
            conflict = (
                f"stated {stated}, but the CSF findings allow only {' or '.join(sorted(allowed))}"
            )
        return CNSCall(
            None,
            None,
            "none",
            stated,
            possible,
            traumatic,
            ratio,
            tuple(reasons),
            tuple(missing),
            conflict,
        )

    if csf.clinical_signs:
        reasons.append("clinical signs of CNS leukaemia: CNS3c whatever the CSF shows")
        return result(("3c",))
    if csf.blasts_present is None:
        missing.append("whether blasts were seen on cytospin")
        reasons.append("blasts on cytospin not stated: CNS status cannot be told from the counts")
        return result(("1", "2a", "2b", "2c", "3a", "3b"))
    if csf.blasts_present is False:
        reasons.append("no blasts on cytospin: CNS1 whatever the WBC and RBC")
        return result(("1",))

    wbc, rbc = csf.wbc_per_ul, csf.rbc_per_ul
    high_wbc: bool | None = None if wbc is None else wbc >= c.wbc_per_ul
    traumatic: bool | None = None if rbc is None else rbc >= c.traumatic_rbc_per_ul
    if wbc is None:
        missing.append("CSF WBC")
    else:
        reasons.append(
            f"blasts present, CSF WBC {wbc:g}/uL ({'>=' if high_wbc else '<'} {c.wbc_per_ul:g})"
        )
    if rbc is None:
        missing.append("CSF RBC")
    else:
        reasons.append(
            f"CSF RBC {rbc:g}/uL ({'traumatic tap, >=' if traumatic else '<'} "
            f"{c.traumatic_rbc_per_ul:g})"
        )

    sb: bool | None = None
    ratio: float | None = None
    if high_wbc is not False and traumatic is not False:
        sb, ratio = _steinherz_bleyer(csf, c, reasons, missing)

    possible: list[Subclass] = []
    for hw in (False, True) if high_wbc is None else (high_wbc,):
        for tr in (False, True) if traumatic is None else (traumatic,):
            if not hw:
                possible.append("2b" if tr else "2a")
            elif not tr:
                possible.append("3a")
            elif sb is None:
                possible.extend(["2c", "3b"])
            else:
                possible.append("3b" if sb else "2c")
    return result(tuple(dict.fromkeys(possible)), traumatic, ratio)


def _steinherz_bleyer(
    csf: CSFFindings, c: CNSCriteria, reasons: list[str], missing: list[str]
) -> tuple[bool | None, float | None]:
    """Steinherz-Bleyer: CSF WBC/RBC > factor x blood WBC/RBC (compared without division)."""
    need = {
        "CSF WBC": csf.wbc_per_ul,
        "CSF RBC": csf.rbc_per_ul,
        "blood WBC": csf.blood_wbc_per_ul,
        "blood RBC": csf.blood_rbc_per_ul,
    }
    absent = [k for k, v in need.items() if v is None]
    for name in absent:
        if name.startswith("blood"):
            missing.append(f"{name} (for the Steinherz-Bleyer rule)")
    if absent:
        return None, None
    wbc, rbc = csf.wbc_per_ul, csf.rbc_per_ul
    bwbc, brbc = csf.blood_wbc_per_ul, csf.blood_rbc_per_ul
    assert wbc is not None and rbc is not None and bwbc is not None and brbc is not None
    if rbc == 0 or brbc == 0 or bwbc == 0:
        missing.append("non-zero CSF RBC, blood WBC and blood RBC (for the Steinherz-Bleyer rule)")
        return None, None
    positive = wbc * brbc > c.steinherz_bleyer_factor * bwbc * rbc
    ratio = (wbc / rbc) / (bwbc / brbc)
    reasons.append(
        f"Steinherz-Bleyer: CSF WBC/RBC is {ratio:.3g} x the blood WBC/RBC "
        f"({'>' if positive else '<='} {c.steinherz_bleyer_factor:g} x): "
        f"{'CNS3b' if positive else 'CNS2c'}"
    )
    return positive, ratio


# --------------------------------------------------------------------------------------------
# Over a case
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CNSPoint:
    """What one source says about the CNS: ``diagnosis``, a relapse or a disease assessment."""

    source: str
    status: Status | None
    involved: bool | None
    basis: str
    call: CNSCall | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "status": self.status,
            "involved": self.involved,
            "basis": self.basis,
            "call": None if self.call is None else self.call.to_dict(),
        }


@dataclass(frozen=True)
class CNSCourse:
    """The CNS status over a case, in timeline order, with CNS remissions and relapses.

    ``remissions``: the first CNS1 after each period of CNS involvement (CNS2 or CNS3, or a
    relapse naming the CNS). ``relapses``: a new CNS3, or a relapse naming the CNS, after a
    CNS1 or an uninvolved state (clinical-criteria.md 3.1).
    """

    points: tuple[CNSPoint, ...]
    remissions: tuple[str, ...]
    relapses: tuple[str, ...]

    @property
    def current(self) -> Status | None:
        for p in reversed(self.points):
            if p.status is not None:
                return p.status
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": [p.to_dict() for p in self.points],
            "remissions": list(self.remissions),
            "relapses": list(self.relapses),
            "current": self.current,
        }


def cns_course(case: Case, criteria: CNSCriteria = CNS_CRITERIA) -> CNSCourse:
    """CNS status at diagnosis, at each relapse and at each assessment with CSF findings.

    A relapse gives its stated ``cns_status``; a relapse listing the CNS among its sites without
    a status is CNS involvement of unknown class. A disease assessment with CSF findings is
    classified by :func:`cns_status`; one with only an extramedullary finding at the CNS gives
    involvement (present, new, reduced) or none (resolved, absent) without a class.
    """
    points: list[CNSPoint] = []
    if case.diagnosis.cns_status is not None:
        s = case.diagnosis.cns_status
        points.append(CNSPoint("diagnosis", s, s != "CNS1", "stated at diagnosis"))
    for ev in case.timeline:
        if isinstance(ev, Relapse):
            named = "cns" in ev.sites
            if ev.cns_status is not None:
                involved = ev.cns_status != "CNS1" or named
                points.append(CNSPoint(ev.id, ev.cns_status, involved, "stated at relapse"))
            elif named:
                points.append(CNSPoint(ev.id, None, True, "relapse site"))
        elif isinstance(ev, DiseaseAssessment):
            if ev.csf is not None:
                call = cns_status(ev.csf, criteria)
                points.append(
                    CNSPoint(ev.id, call.status, call.involved, f"CSF ({call.basis})", call)
                )
            else:
                cns = [f for f in ev.extramedullary if f.site == "cns"]
                if cns:
                    involved = any(f.status in ("present", "new", "reduced") for f in cns)
                    points.append(CNSPoint(ev.id, None, involved, "extramedullary finding"))
    remissions: list[str] = []
    relapses: list[str] = []
    state: bool | None = None  # True: involved, False: free, None: unknown
    for p in points:
        if p.involved is True:
            is_relapse_event = p.source != "diagnosis" and (p.status == "CNS3" or p.status is None)
            if state is False and is_relapse_event:
                relapses.append(p.source)
            state = True
        elif p.status == "CNS1":
            if state is True:
                remissions.append(p.source)
            state = False
        elif p.involved is False and state is None:
            state = False
    return CNSCourse(tuple(points), tuple(remissions), tuple(relapses))
