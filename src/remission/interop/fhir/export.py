"""Case -> FHIR R4 Bundle (mCODE STU4-aligned), JSON-ready and lossless.

One Bundle (type ``collection``) per case. Each part of the Case becomes the FHIR resource a
clinical system would use for it (docs/interop.md, "FHIR"; clinical-criteria.md section 5.3):

===========================  ==========================================================
Case                         FHIR
===========================  ==========================================================
patient, case id, status     Patient (mCODE CancerPatient), case-level extensions
diagnosis                    Condition (mCODE PrimaryCancerCondition)
genetics (Ph, transcript,    Observation (mCODE GenomicVariant style) with ``focus`` on the
kinase mutations, KMT2A ...) Condition, listed in ``Condition.evidence``
therapy                      MedicationAdministration (mCODE CancerRelatedMedicationAdministration)
CAR-T infusion               MedicationAdministration of the cell product
lymphodepletion              MedicationAdministration ``partOf`` the infusion
HSCT                         Procedure
relapse                      Condition, clinicalStatus ``relapse``, sites as ``bodySite``
disease assessment           Observation (mCODE CancerDiseaseStatus) with MRD (TumorMarkerTest)
                             and CSF Observations as ``hasMember``
toxicity episode             AdverseEvent, maximum grade as a coding of its scale
death                        Observation (SNOMED CT death) and ``Patient.deceased[x]``
follow-up, other event       Observation
daily bedside assessment     Observation with components (temperature, O2 flow, ICE, CAPD)
observation series           a panel Observation with one Observation per point (LOINC where
                             one exists)
extraction (drafts)          DocumentReference: the report text and the extracted values
===========================  ==========================================================

What FHIR has no element for is carried by remission extensions (:mod:`.fields`), so that
:func:`remission.interop.fhir.bundle_to_case` gives back the very same Case. Resource ids are
UUIDs derived from the case id and the part's key, so the same case always gives the same Bundle.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

from remission.interop.fhir.codes import Codes, load_codes
from remission.interop.fhir.fields import ext_url, field_extensions, put_time
from remission.model import (
    HSCT,
    CarTInfusion,
    Case,
    CSFFindings,
    DailyAssessment,
    Death,
    DiseaseAssessment,
    FollowUp,
    ObservationSeries,
    OtherEvent,
    Relapse,
    Therapy,
    ToxicityEpisode,
)
from remission.model.events import MRD, Event
from remission.model.time import PartialDate, RelativeTime

__all__ = ["GRADE_EXTENSION", "NAMESPACE", "case_to_bundle", "severity_of"]

#: Namespace of the resource UUIDs (uuid5 of case id and part key).
NAMESPACE = uuid.UUID("6f1c0d2e-7a43-5b8e-9c41-2d0b7e5a9f13")

#: The extension holding a toxicity episode's maximum grade, as a coding of its scale.
GRADE_EXTENSION = "toxicity-grade"

_ALWAYS_SKIP = {"id", "type"}


def severity_of(grade: int) -> str | None:
    """FHIR AdverseEvent.severity for a grade (1 mild, 2 moderate, 3+ severe; 0: none).

    Written for systems that read only severity; the grade with its scale is the record.
    """
    if grade <= 0:
        return None
    return {1: "mild", 2: "moderate"}.get(grade, "severe")


class _Writer:
    def __init__(self, case: Case):
        self.case = case
        self.codes: Codes = load_codes()
        self.entries: list[dict[str, Any]] = []
        self.event_types = {ev.id: ev.type for ev in case.timeline}

    # -- ids and references -------------------------------------------------------------------

    def rid(self, key: str) -> str:
        return str(uuid.uuid5(NAMESPACE, f"{self.case.id}/{key}"))

    def ref(self, key: str) -> dict[str, str]:
        return {"reference": f"urn:uuid:{self.rid(key)}"}

    def event_ref(self, event_id: str) -> dict[str, str]:
        return self.ref(f"event/{event_id}")

    def add(self, key: str, resource: dict[str, Any]) -> None:
        resource = {"resourceType": resource.pop("resourceType"), "id": self.rid(key), **resource}
        self.entries.append({"fullUrl": f"urn:uuid:{self.rid(key)}", "resource": resource})

    def identifier(self, system: str, value: str) -> dict[str, str]:
        return {"system": self.codes.system(system), "value": value}

    def subject(self) -> dict[str, str]:
        return self.ref("patient")

    # -- times ----------------------------------------------------------------------------------

    def exact_day(self, point: PartialDate | RelativeTime | None) -> str | None:
        """The calendar day a relative time falls on, when the case pins it to the day."""
        if not isinstance(point, RelativeTime):
            return None
        placed = self.case.place(point)
        return _day(placed.lo, placed.hi) if placed is not None and placed.axis is None else None

    def time(self, target: dict[str, Any], element: str, point: Any) -> None:
        put_time(target, element, point, self.exact_day(point))

    def period(self, start: Any, end: Any) -> dict[str, Any]:
        period: dict[str, Any] = {}
        self.time(period, "start", start)
        self.time(period, "end", end)
        if not period:
            period["extension"] = [self._absent()]
        return period

    def _absent(self) -> dict[str, str]:
        return {"url": self.codes.extensions["data_absent_reason"], "valueCode": "unknown"}

    # -- small builders ---------------------------------------------------------------------------

    def concept_code(self, code: str, text: str) -> dict[str, Any]:
        return {"coding": [self.codes.coding("concept", code, text)], "text": text}

    def component(self, spec_owner: str, model: Any, path: str) -> dict[str, Any] | None:
        value: Any = model
        for part in path.split("."):
            value = getattr(value, part, None) if value is not None else None
        if value is None:
            return None
        spec = self.codes.components[spec_owner][path]
        codings = [self.codes.coding("concept", spec.code, spec.label)]
        if spec.loinc:
            codings.append(self.codes.coding("loinc", spec.loinc, spec.label))
        comp: dict[str, Any] = {"code": {"coding": codings, "text": spec.label}}
        if isinstance(value, bool):
            comp["valueBoolean"] = value
        elif isinstance(value, int) and spec.unit is None:
            comp["valueInteger"] = value
        else:
            comp["valueQuantity"] = self.quantity(float(value), spec.unit)
        return comp

    def components(self, owner: str, model: Any) -> tuple[list[dict[str, Any]], set[str]]:
        paths = list(self.codes.components[owner])
        comps = [c for c in (self.component(owner, model, p) for p in paths) if c is not None]
        return comps, set(paths)

    def quantity(self, value: float, unit: str | None) -> dict[str, Any]:
        q: dict[str, Any] = {"value": value}
        if unit:
            q["unit"] = unit
            ucum = self.codes.ucum.get(unit)
            if ucum:
                q["system"] = self.codes.system("ucum")
                q["code"] = ucum
        return q

    def specimen(self, kind: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
        codings = [self.codes.coding("concept", f"specimen-{kind}", kind)]
        snomed = self.codes.specimens.get(kind)
        if snomed:
            codings.append(self.codes.coding("snomed", snomed, kind))
        contained = {
            "resourceType": "Specimen",
            "id": "specimen",
            "type": {"coding": codings, "text": kind},
        }
        return [contained], {"reference": "#specimen"}

    def observation(self, code: dict[str, Any], **fields: Any) -> dict[str, Any]:
        obs: dict[str, Any] = {"resourceType": "Observation", "status": "final", "code": code}
        obs["subject"] = self.subject()
        obs.update({k: v for k, v in fields.items() if v not in (None, [], {})})
        return obs

    # -- the parts ----------------------------------------------------------------------------------

    def patient(self) -> None:
        case, p = self.case, self.case.patient
        res: dict[str, Any] = {
            "resourceType": "Patient",
            "meta": {"profile": [self.codes.profiles["patient"]]},
            "identifier": [self.identifier("case_id", case.id)],
        }
        ext = field_extensions(
            case, only={"status", "source", "index", "complete_history", "notes"}, name="Case"
        )
        ext += field_extensions(p, skip={"sex", "birth_year"})
        if ext:
            res["extension"] = ext
        if p.sex:
            res["gender"] = p.sex
        if p.birth_year is not None:
            res["birthDate"] = f"{p.birth_year:04d}"
        deaths = case.events(Death)
        if deaths:
            when = deaths[0].date
            day = str(when) if isinstance(when, PartialDate) else self.exact_day(when)
            if day:
                res["deceasedDateTime"] = day
            else:
                res["deceasedBoolean"] = True
        self.add("patient", res)

    def diagnosis(self) -> None:
        dx = self.case.diagnosis
        native = {
            "date",
            "disease",
            "ph_positive",
            "bcr_abl1_transcript",
            "kinase_mutations",
            "kmt2a_rearranged",
            "genetics",
        }
        genetics = self.genetics("diagnosis", "diagnosis", dx)
        res: dict[str, Any] = {
            "resourceType": "Condition",
            "meta": {"profile": [self.codes.profiles["primary_condition"]]},
            "code": self.codes.disease_concept(dx.disease),
            "subject": self.subject(),
        }
        self.time(res, "onsetDateTime", dx.date)
        if genetics:
            res["evidence"] = [{"detail": genetics}]
        ext = field_extensions(dx, skip=native)
        if ext:
            res["extension"] = ext
        self.add("diagnosis", res)
        self.flush()

    def genetics(self, key: str, focus_key: str, source: Any) -> list[dict[str, str]]:
        """Genetic findings as Observations focused on their Condition (written by :meth:`flush`)."""
        codes = self.codes
        found: list[tuple[str, dict[str, Any]]] = []

        def gene(symbol: str) -> dict[str, Any]:
            return {
                "code": codes.concept("gene_studied"),
                "valueCodeableConcept": {
                    "coding": [codes.coding("hgnc", codes.genes[symbol], symbol)],
                    "text": symbol,
                },
            }

        def presence(flag: bool) -> dict[str, Any]:
            c = codes.presence["present" if flag else "absent"]
            return {"coding": [codes.coding("loinc", c.loinc or "", c.label)], "text": c.label}

        ph = getattr(source, "ph_positive", None)
        if ph is not None:
            found.append(
                (
                    "ph",
                    {
                        "code": codes.concept("ph_chromosome"),
                        "valueCodeableConcept": presence(ph),
                        "component": [gene("BCR"), gene("ABL1")],
                    },
                )
            )
        transcript = getattr(source, "bcr_abl1_transcript", None)
        if transcript is not None:
            found.append(
                (
                    "transcript",
                    {
                        "code": codes.concept("bcr_abl1_transcript"),
                        "valueCodeableConcept": self.concept_code(
                            f"transcript-{transcript}", transcript
                        ),
                    },
                )
            )
        for i, mutation in enumerate(source.kinase_mutations):
            variant = codes.concept("genetic_variant")
            variant["coding"].insert(
                0,
                codes.coding(
                    "concept", "abl1-kinase-mutation", codes.concepts["abl1_kinase_mutation"].label
                ),
            )
            variant["text"] = codes.concepts["abl1_kinase_mutation"].label
            found.append(
                (
                    f"kinase/{i}",
                    {
                        "meta": {"profile": [codes.profiles["genomic_variant"]]},
                        "code": variant,
                        "valueCodeableConcept": presence(True),
                        "component": [
                            gene("ABL1"),
                            {
                                "code": codes.concept("amino_acid_change"),
                                "valueCodeableConcept": {"text": mutation},
                            },
                        ],
                    },
                )
            )
        kmt2a = getattr(source, "kmt2a_rearranged", None)
        if kmt2a is not None:
            found.append(
                (
                    "kmt2a",
                    {
                        "code": codes.concept("kmt2a_rearrangement"),
                        "valueCodeableConcept": presence(kmt2a),
                        "component": [gene("KMT2A")],
                    },
                )
            )
        for i, finding in enumerate(source.genetics):
            found.append(
                (f"finding/{i}", {"code": codes.concept("genetic_finding"), "valueString": finding})
            )
        refs = []
        for sub, body in found:
            gkey = f"{key}/genetics/{sub}"
            self._pending.append(
                (
                    gkey,
                    {
                        "resourceType": "Observation",
                        "status": "final",
                        **body,
                        "subject": self.subject(),
                        "focus": [self.ref(focus_key)],
                    },
                )
            )
            refs.append(self.ref(gkey))
        return refs

    _pending: list[tuple[str, dict[str, Any]]]

    def flush(self) -> None:
        for key, res in self._pending:
            self.add(key, res)
        self._pending = []

    # -- events ----------------------------------------------------------------------------------

    def event(self, ev: Event) -> None:
        key = f"event/{ev.id}"
        handler = getattr(self, f"_ev_{ev.type}")
        res, skip = handler(ev, key)
        res.setdefault("subject", self.subject())
        ident = self.identifier("event_id", ev.id)
        res["identifier"] = ident if res["resourceType"] == "AdverseEvent" else [ident]
        ext = res.pop("extension", []) + field_extensions(ev, skip=skip | _ALWAYS_SKIP)
        if ext:
            res["extension"] = ext
        self.add(key, res)
        self.flush()

    def _medication(self, agents: tuple[str, ...], protocol: str | None) -> dict[str, Any]:
        if len(agents) == 1 and not protocol:
            return {"medicationCodeableConcept": self.codes.vocab_concept("agents", agents[0])}
        med: dict[str, Any] = {"resourceType": "Medication", "id": "regimen"}
        if protocol:
            med["code"] = {"text": protocol}
        if agents:
            med["ingredient"] = [
                {"itemCodeableConcept": self.codes.vocab_concept("agents", a)} for a in agents
            ]
        return {"contained": [med], "medicationReference": {"reference": "#regimen"}}

    def _ev_therapy(self, ev: Therapy, key: str) -> tuple[dict[str, Any], set[str]]:
        res: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "meta": {"profile": [self.codes.profiles["medication_administration"]]},
            **self._medication(ev.agents, ev.protocol),
            "status": "completed",
            "subject": self.subject(),
            "effectivePeriod": self.period(ev.start, ev.end),
        }
        if ev.added_to:
            res["partOf"] = [self.event_ref(ev.added_to)]
        dosage: dict[str, Any] = {}
        if ev.route:
            codings = [self.codes.coding("concept", f"route-{ev.route}", ev.route)]
            snomed = self.codes.routes.get(ev.route)
            if snomed:
                codings.append(self.codes.coding("snomed", snomed, ev.route))
            dosage["route"] = {"coding": codings, "text": ev.route}
        if ev.dose:
            dosage["dose"] = self.quantity(ev.dose.value, ev.dose.unit)
        if dosage:
            res["dosage"] = dosage
        return res, {"start", "end", "agents", "protocol", "route", "dose", "added_to"}

    def _ev_car_t_infusion(self, ev: CarTInfusion, key: str) -> tuple[dict[str, Any], set[str]]:
        res: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "meta": {"profile": [self.codes.profiles["medication_administration"]]},
            "status": "completed",
            "category": self.codes.concept("car_t_infusion"),
            "medicationCodeableConcept": self.codes.vocab_concept("car_t_products", ev.product),
            "subject": self.subject(),
        }
        if isinstance(ev.date, PartialDate):
            res["effectiveDateTime"] = str(ev.date)
        else:
            res["effectivePeriod"] = self.period(ev.date, None)
        if ev.dose:
            res["dosage"] = {"dose": self.quantity(ev.dose.value, ev.dose.unit)}
        if ev.lymphodepletion is not None:
            self._pending.append((f"{key}/lymphodepletion", self.lymphodepletion(ev)))
        return res, {"date", "product", "dose", "lymphodepletion"}

    def lymphodepletion(self, ev: CarTInfusion) -> dict[str, Any]:
        """The lymphodepleting chemotherapy: its own administration, ``partOf`` the infusion."""
        ld = ev.lymphodepletion
        assert ld is not None
        medication = (
            self._medication(ld.agents, None)
            if ld.agents
            else {"medicationCodeableConcept": self.codes.concept("lymphodepletion")}
        )
        res: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "meta": {"profile": [self.codes.profiles["medication_administration"]]},
            **medication,
            "status": "completed",
            "category": self.codes.concept("lymphodepletion"),
            "subject": self.subject(),
            "effectivePeriod": self.period(ld.start, None),
            "partOf": [self.event_ref(ev.id)],
        }
        ext = field_extensions(ld, skip={"agents", "start"})
        if ext:
            res["extension"] = ext
        return res

    def _ev_hsct(self, ev: HSCT, key: str) -> tuple[dict[str, Any], set[str]]:
        code = self.codes.concept("hsct", text=f"{ev.kind} haematopoietic stem-cell transplant")
        code["coding"].insert(1, self.codes.coding("concept", f"hsct-{ev.kind}", f"{ev.kind} HSCT"))
        res: dict[str, Any] = {
            "resourceType": "Procedure",
            "status": "completed",
            "code": code,
            "subject": self.subject(),
        }
        self.time(res, "performedDateTime", ev.date)
        return res, {"date", "kind"}

    def _ev_relapse(self, ev: Relapse, key: str) -> tuple[dict[str, Any], set[str]]:
        res: dict[str, Any] = {
            "resourceType": "Condition",
            "clinicalStatus": {
                "coding": [self.codes.coding("condition_clinical", "relapse", "Relapse")]
            },
            "code": self.codes.disease_concept(self.case.diagnosis.disease),
            "subject": self.subject(),
        }
        if ev.sites:
            res["bodySite"] = [self.codes.vocab_concept("sites", s) for s in ev.sites]
        self.time(res, "onsetDateTime", ev.date)
        genetics = self.genetics(key, key, ev)
        if genetics:
            res["evidence"] = [{"detail": genetics}]
        return res, {"date", "sites", "kinase_mutations", "genetics"}

    def _ev_disease_assessment(
        self, ev: DiseaseAssessment, key: str
    ) -> tuple[dict[str, Any], set[str]]:
        comps, comp_fields = self.components("DiseaseAssessment", ev)
        effective: dict[str, Any] = {}
        self.time(effective, "effectiveDateTime", ev.date)
        members = []
        if ev.mrd is not None:
            self._pending.append((f"{key}/mrd", self.mrd(ev.mrd, effective)))
            members.append(self.ref(f"{key}/mrd"))
        if ev.csf is not None:
            self._pending.append((f"{key}/csf", self.csf(ev.csf, effective)))
            members.append(self.ref(f"{key}/csf"))
        res = self.observation(
            self.codes.concept("disease_assessment"),
            meta={"profile": [self.codes.profiles["disease_status"]]},
            focus=[self.ref("diagnosis")],
            component=comps,
            hasMember=members,
        )
        res.update(effective)
        if ev.response:
            res["valueCodeableConcept"] = self.concept_code(f"response-{ev.response}", ev.response)
        skip = {"date", "response", "mrd", "csf"} | comp_fields
        if ev.assesses and self.event_types.get(ev.assesses) in (
            "therapy",
            "car_t_infusion",
            "hsct",
        ):
            res["partOf"] = [self.event_ref(ev.assesses)]
            skip.add("assesses")
        return res, skip

    def mrd(self, mrd: MRD, effective: dict[str, Any]) -> dict[str, Any]:
        contained, spec_ref = self.specimen(mrd.sample)
        res = self.observation(
            self.codes.concept("mrd"),
            meta={"profile": [self.codes.profiles["tumor_marker"]]},
            focus=[self.ref("diagnosis")],
        )
        res.update(effective)
        res["contained"] = contained
        res["specimen"] = spec_ref
        if mrd.value is not None:
            res["valueQuantity"] = self.quantity(mrd.value, "fraction")
            if mrd.detectable is not None:
                code = "POS" if mrd.detectable else "NEG"
                res["interpretation"] = [{"coding": [self.codes.coding("interpretation", code)]}]
        elif mrd.detectable is not None:
            c = self.codes.detection["detected" if mrd.detectable else "not_detected"]
            res["valueCodeableConcept"] = {
                "coding": [self.codes.coding("snomed", c.snomed or "", c.label)],
                "text": c.label,
            }
        if mrd.method != "unspecified":
            res["method"] = self.concept_code(f"mrd-method-{mrd.method}", mrd.method)
        ext = field_extensions(mrd, skip={"value", "detectable", "method", "sample"})
        if ext:
            res["extension"] = ext
        return res

    def csf(self, csf: CSFFindings, effective: dict[str, Any]) -> dict[str, Any]:
        comps, comp_fields = self.components("CSFFindings", csf)
        res = self.observation(self.codes.concept("csf"), component=comps)
        res.update(effective)
        ext = field_extensions(csf, skip=comp_fields)
        if ext:
            res["extension"] = ext
        return res

    def _ev_toxicity(self, ev: ToxicityEpisode, key: str) -> tuple[dict[str, Any], set[str]]:
        label = self.codes.syndromes[ev.syndrome].label
        res: dict[str, Any] = {
            "resourceType": "AdverseEvent",
            "actuality": "actual",
            "event": self.concept_code(
                f"toxicity-{ev.syndrome}",
                label if ev.syndrome != "other" or not ev.term else ev.term,
            ),
            "subject": self.subject(),
        }
        self.time(res, "date", ev.onset)
        skip = {"syndrome", "onset", "grade"}
        if ev.after and self.event_types.get(ev.after) in ("therapy", "car_t_infusion", "hsct"):
            res["suspectEntity"] = [{"instance": self.event_ref(ev.after)}]
            skip.add("after")
        if ev.grade is not None:
            g = ev.grade
            res["extension"] = [
                {
                    "url": ext_url(GRADE_EXTENSION),
                    "valueCoding": {
                        "system": self.codes.grade_system(g.scale),
                        "code": str(g.grade),
                        "display": f"grade {g.grade} ({g.scale})",
                    },
                }
            ]
            severity = severity_of(g.grade)
            if severity:
                res["severity"] = {"coding": [self.codes.coding("ae_severity", severity)]}
            if g.grade == 5:
                res["outcome"] = {"coding": [self.codes.coding("ae_outcome", "fatal")]}
        if ev.resolved is not None and "outcome" not in res:
            res["outcome"] = {"coding": [self.codes.coding("ae_outcome", "resolved")]}
        return res, skip

    def _ev_death(self, ev: Death, key: str) -> tuple[dict[str, Any], set[str]]:
        res = self.observation(
            self.codes.concept("death"),
            valueCodeableConcept=self.concept_code(f"death-cause-{ev.cause}", ev.cause),
        )
        self.time(res, "effectiveDateTime", ev.date)
        return res, {"date", "cause"}

    def _ev_follow_up(self, ev: FollowUp, key: str) -> tuple[dict[str, Any], set[str]]:
        comps, comp_fields = self.components("FollowUp", ev)
        res = self.observation(
            self.codes.concept("follow_up"),
            component=comps,
            valueCodeableConcept=self.concept_code(
                f"disease-status-{ev.disease_status}", ev.disease_status
            ),
        )
        self.time(res, "effectiveDateTime", ev.date)
        return res, {"date", "disease_status"} | comp_fields

    def _ev_other(self, ev: OtherEvent, key: str) -> tuple[dict[str, Any], set[str]]:
        res = self.observation(self.codes.concept("timeline_event"), valueString=ev.label)
        self.time(res, "effectiveDateTime", ev.date)
        return res, {"date", "label"}

    # -- assessments and series ------------------------------------------------------------------

    def assessment(self, i: int, a: DailyAssessment) -> None:
        comps, comp_fields = self.components("DailyAssessment", a)
        res = self.observation(self.codes.concept("bedside_assessment"), component=comps)
        self.time(res, "effectiveDateTime", a.at)
        ext = field_extensions(a, skip={"at"} | comp_fields)
        if ext:
            res["extension"] = ext
        self.add(f"assessment/{i}", res)

    def series(self, s: ObservationSeries) -> None:
        key = f"series/{s.id}"
        code = self.codes.vocab_concept("analytes", s.analyte)
        anchor_day: float | None = None
        if s.anchor is not None:
            placed = self.case.time_of(s.anchor)
            if placed.axis is None and placed.lo == placed.hi:
                anchor_day = placed.lo
        members = []
        points = []
        for j, p in enumerate(s.points):
            pkey = f"{key}/{j}"
            contained, spec_ref = self.specimen(s.specimen)
            res = self.observation(code, contained=contained, specimen=spec_ref)
            if p.at is not None:
                self.time(res, "effectiveDateTime", p.at)
            elif anchor_day is not None and p.day is not None:
                day = _day(anchor_day + p.day, anchor_day + p.day)
                if day:
                    res["effectiveDateTime"] = day
            if p.value is not None:
                res["valueQuantity"] = self.quantity(p.value, s.unit)
            if p.blq:
                res["interpretation"] = [
                    self.concept_code("blq", "below the limit of quantification")
                ]
            ext = field_extensions(p, skip={"value", "blq", "at"})
            if ext:
                res["extension"] = ext
            points.append((pkey, res))
            members.append(self.ref(pkey))
        contained, spec_ref = self.specimen(s.specimen)
        panel = self.observation(
            code,
            identifier=[self.identifier("series_id", s.id)],
            contained=contained,
            specimen=spec_ref,
            hasMember=members,
        )
        if s.method:
            panel["method"] = {"text": s.method}
        ext = field_extensions(s, skip={"id", "analyte", "method", "specimen", "points"})
        if ext:
            panel["extension"] = ext
        self.add(key, panel)
        for pkey, res in points:
            self.add(pkey, res)

    def extraction(self) -> None:
        ex = self.case.extraction
        if ex is None:
            return
        content = []
        exclude: set[str] = set()
        if ex.text:
            content.append(
                {
                    "attachment": {
                        "contentType": "text/plain; charset=utf-8",
                        "data": base64.b64encode(ex.text.encode("utf-8")).decode("ascii"),
                        "title": "report text",
                    }
                }
            )
            exclude.add("text")
        values = ex.model_dump(mode="json", exclude=exclude)
        content.append(
            {
                "attachment": {
                    "contentType": "application/json",
                    "data": base64.b64encode(
                        json.dumps(values, ensure_ascii=False).encode("utf-8")
                    ).decode("ascii"),
                    "title": "extracted values and their evidence",
                }
            }
        )
        self.add(
            "extraction",
            {
                "resourceType": "DocumentReference",
                "status": "current",
                "type": self.codes.concept("extraction"),
                "subject": self.subject(),
                "content": content,
            },
        )

    # -- the whole case --------------------------------------------------------------------------

    def bundle(self) -> dict[str, Any]:
        self._pending = []
        self.patient()
        self.diagnosis()
        for ev in self.case.timeline:
            self.event(ev)
        for i, a in enumerate(self.case.assessments):
            self.assessment(i, a)
        for s in self.case.observations:
            self.series(s)
        self.extraction()
        return {
            "resourceType": "Bundle",
            "id": self.rid("bundle"),
            "identifier": self.identifier("case_id", self.case.id),
            "type": "collection",
            "entry": self.entries,
        }


def _day(lo: float, hi: float) -> str | None:
    if lo != hi or not float(lo).is_integer():
        return None
    try:
        return dt.date.fromordinal(int(lo)).isoformat()
    except (ValueError, OverflowError):
        return None


def case_to_bundle(case: Case) -> dict[str, Any]:
    """The FHIR R4 Bundle of one case, as JSON-ready data (validates with ``fhir.resources.R4B``)."""
    return _Writer(case).bundle()
