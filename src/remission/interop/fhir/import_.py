"""FHIR R4 Bundle -> Case: remission's own Bundles exactly, other systems' Bundles as far as
their codes allow.

A Bundle written by :func:`remission.interop.fhir.case_to_bundle` reads back to the identical
Case. A Bundle from another system (an EHR, a registry) is read by the same rules: resources are
recognised by their codes (remission's, SNOMED CT, LOINC, ICD-10, ICD-O-3, NCI Thesaurus) or by
their text through the vocabularies' synonyms ("Blincyto", "Kymriah", "CSF"); resources remission
has no place for (an Encounter, a Practitioner, an unrelated laboratory value) are skipped with a
warning; what cannot be read - malformed JSON, a resource that is not valid FHIR R4, an unknown
agent or site code, a reference to nothing, a reference to the wrong kind of resource, two entries
with one id - is an :class:`~remission.exceptions.FhirBundleError` whose problems name the file, the
entry (index, resource type and id) and the element. Nothing is returned unless the whole Bundle
is sound, so an import stores all of it or none.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from remission.casefile import document_from_data
from remission.exceptions import CaseFileError, FhirBundleError, FhirImportWarning, Problem
from remission.interop.fhir.bundle_json import (
    MAX_BUNDLE_BYTES,
    parse_bundle_text,
    read_bundle_text,
)
from remission.interop.fhir.codes import scale_slug
from remission.interop.fhir.export import GRADE_EXTENSION
from remission.interop.fhir.fields import decode_fields, ext_url, get_time
from remission.interop.fhir.read_observations import ObservationReader
from remission.interop.fhir.reader import ID_STEMS, THERAPY_TARGETS, codings_of, texts_of
from remission.model import (
    HSCT,
    CarTInfusion,
    Case,
    Diagnosis,
    Lymphodepletion,
    Patient,
    Relapse,
    Therapy,
    ToxicityEpisode,
)
from remission.model.terms import GradeScale
from remission.model.vocab import normalize_key

__all__ = ["bundle_to_case", "read_bundle_file"]


class _Reader(ObservationReader):
    """A Case from one Bundle: patient, diagnosis, events, then the Observations."""

    def read(self) -> Case:
        self.structure()
        types = [res.get("resourceType") for res in self.entries]
        patients = [i for i, t in enumerate(types) if t == "Patient"]
        if len(patients) != 1:
            what = "no Patient" if not patients else f"{len(patients)} Patients"
            raise FhirBundleError(
                Problem(
                    f"the Bundle has {what}; remission reads one patient per Bundle",
                    self.where,
                    None,
                    "entry",
                )
            )
        self.patient_index = patients[0]
        pat = self.entries[self.patient_index]
        self.native = any(
            isinstance(idf, Mapping) and idf.get("system") == self.codes.system("case_id")
            for idf in pat.get("identifier", []) or []
        )
        self.assign_event_ids()
        for i, res in enumerate(self.entries):
            if i != self.patient_index and "subject" in res:
                self.resolve(i, "subject", res["subject"], ("Patient",))
        self.fail_if_problems()

        case: dict[str, Any] = {"id": self.case_id(pat)}
        case.update(decode_fields(pat.get("extension"), Case, name="Case"))
        case["patient"] = self.patient(pat)
        self.used.add(self.patient_index)
        dx_index, dx = self.diagnosis()
        case["diagnosis"] = dx
        self.lymphodepletions()
        events = self.events()
        assessments = self.assessments()
        series = self.series()
        extraction = self.extraction()
        for i, res in enumerate(self.entries):
            if i not in self.used and res.get("resourceType") != "Medication":
                self.warn(i, "skipped: remission has no place for this resource")
        deceased = "deceasedDateTime" in pat or pat.get("deceasedBoolean") is True
        if deceased and not any(ev["type"] == "death" for _, ev in events):
            death: dict[str, Any] = {"id": self.fresh_id("death"), "type": "death"}
            if isinstance(pat.get("deceasedDateTime"), str):
                death["date"] = pat["deceasedDateTime"][:10]
            events.append((self.patient_index, death))
        self.fail_if_problems()
        if not self.native:
            events = _in_date_order(events)
        case["timeline"] = [ev for _, ev in events]
        case["assessments"] = [a for _, a in assessments]
        case["observations"] = [s for _, s in series]
        if extraction is not None:
            case["extraction"] = extraction
        owners = {
            "patient": self.patient_index,
            "diagnosis": dx_index if dx_index is not None else self.patient_index,
            "timeline": [i for i, _ in events],
            "assessments": [i for i, _ in assessments],
            "observations": [i for i, _ in series],
            "extraction": self.extraction_index,
        }
        doc = self.validate(case, owners)
        for message in self.warnings:
            warnings.warn(FhirImportWarning(message), stacklevel=3)
        return doc

    def validate(self, case: dict[str, Any], owners: dict[str, Any]) -> Case:
        try:
            doc = document_from_data(case, self.where)
        except CaseFileError as exc:
            problems = []
            for p in exc.problems:
                field = p.field or ""
                m = re.match(r"^(timeline|assessments|observations)\[(\d+)\]", field)
                head = field.split(".")[0].split("[")[0]
                owner: Any = None
                if m and int(m.group(2)) < len(owners[m.group(1)]):
                    owner = owners[m.group(1)][int(m.group(2))]
                elif head in owners and isinstance(owners[head], int):
                    owner = owners[head]
                label = self.label(owner) if owner is not None else "Bundle"
                problems.append(
                    Problem(
                        p.message, self.where, None, f"{label}, as the case's {field or 'document'}"
                    )
                )
            raise FhirBundleError(problems) from None
        assert isinstance(doc, Case)
        return doc

    # -- ids --------------------------------------------------------------------------------------
    def patient(self, pat: Mapping[str, Any]) -> dict[str, Any]:
        out = decode_fields(pat.get("extension"), Patient)
        gender = pat.get("gender")
        if gender in ("male", "female"):
            out["sex"] = gender
        elif gender is not None:
            self.warn(
                self.patient_index,
                f"gender {gender!r} has no place in remission's sex field; left unstated",
            )
        birth = pat.get("birthDate")
        if isinstance(birth, str) and birth[:4].isdigit():
            out["birth_year"] = int(birth[:4])
        return out

    def diagnosis(self) -> tuple[int | None, dict[str, Any]]:
        self.relapses: list[int] = []
        dx_index: int | None = None
        for i, res in enumerate(self.entries):
            if res.get("resourceType") != "Condition":
                continue
            status = {c.get("code") for c in codings_of(res.get("clinicalStatus"))}
            if status & set(self.codes.relapse_status):
                self.relapses.append(i)
                continue
            profiled = self.codes.profiles["primary_condition"] in (res.get("meta", {}) or {}).get(
                "profile", []
            )
            disease = self.disease(res.get("code"))
            if dx_index is None and (profiled or disease):
                dx_index = i
            elif disease and dx_index is not None:
                self.warn(i, "a second primary cancer Condition; only the first is read")
        if dx_index is None:
            return None, {}
        res = self.entries[dx_index]
        self.used.add(dx_index)
        out = decode_fields(res.get("extension"), Diagnosis)
        disease = self.disease(res.get("code"))
        if disease is None:
            self.problem(
                dx_index,
                "code",
                f"unknown code for the diagnosis ({' / '.join(texts_of(res.get('code'))) or 'no text'}); "
                f"known: {', '.join(self.codes.diseases)}",
            )
        else:
            out["disease"] = disease
        when = get_time(res, "onsetDateTime")
        if when:
            out["date"] = when
        out.update(self.genetics(dx_index, with_diagnosis_fields=True))
        return dx_index, out

    def disease(self, cc: Any) -> str | None:
        found = self.meaning(cc, "disease")
        if found:
            return found
        for text in texts_of(cc):
            key = normalize_key(text)
            for disease, c in self.codes.diseases.items():
                if key in {normalize_key(s) for s in (disease, c.label, *c.synonyms)}:
                    return disease
        return None

    def genetics(self, condition: int, *, with_diagnosis_fields: bool) -> dict[str, Any]:
        """The genetic Observations focused on one Condition (or, for the diagnosis, on none)."""
        out: dict[str, Any] = {}
        for i, res in enumerate(self.entries):
            if res.get("resourceType") != "Observation" or i in self.used:
                continue
            kind = self.obs_kind(res)
            if kind not in _GENETIC_KINDS:
                continue
            focus = [
                self.resolve(i, f"focus[{k}]", f, ("Condition",))
                for k, f in enumerate(res.get("focus", []) or [])
            ]
            if focus and condition not in focus:
                continue
            if not focus and not with_diagnosis_fields:
                continue
            self.used.add(i)
            present = self.meaning(res.get("valueCodeableConcept"), "presence")
            genes = [
                t
                for comp in res.get("component", []) or []
                if self.meaning(comp.get("code"), "concept") == "gene_studied"
                for t in texts_of(comp.get("valueCodeableConcept"))[:1]
            ]
            change = [
                t
                for comp in res.get("component", []) or []
                if self.meaning(comp.get("code"), "concept") == "amino_acid_change"
                for t in texts_of(comp.get("valueCodeableConcept"))[:1]
            ]
            if kind == "genetic_variant":
                kind = (
                    "abl1_kinase_mutation"
                    if "ABL1" in genes and change
                    else "kmt2a_rearrangement"
                    if "KMT2A" in genes
                    else "genetic_finding"
                )
            if kind in ("ph_chromosome", "kmt2a_rearrangement") and with_diagnosis_fields:
                if present is None:
                    self.problem(
                        i,
                        "valueCodeableConcept",
                        "expected Present or Absent (LOINC LA9633-4 / LA9634-2)",
                    )
                field = "ph_positive" if kind == "ph_chromosome" else "kmt2a_rearranged"
                out[field] = present == "present"
            elif kind == "bcr_abl1_transcript" and with_diagnosis_fields:
                value = self.concept_code(res.get("valueCodeableConcept"), "transcript-") or next(
                    iter(texts_of(res.get("valueCodeableConcept"))), None
                )
                out["bcr_abl1_transcript"] = value
            elif kind == "abl1_kinase_mutation":
                out.setdefault("kinase_mutations", []).extend(
                    change[:1] or texts_of(res.get("valueCodeableConcept"))[:1]
                )
            elif kind == "genetic_finding" or not with_diagnosis_fields:
                text = res.get("valueString")
                if not isinstance(text, str):
                    text = " ".join(genes + change) or next(iter(texts_of(res.get("code"))), None)
                if text:
                    out.setdefault("genetics", []).append(text)
        return out

    # -- events ------------------------------------------------------------------------------------
    def events(self) -> list[tuple[int, dict[str, Any]]]:
        out: list[tuple[int, dict[str, Any]]] = []
        for i, res in enumerate(self.entries):
            if i in self.used:
                continue
            rtype = res.get("resourceType")
            event: dict[str, Any] | None = None
            if rtype == "MedicationAdministration":
                event = self.medication_administration(i, res)
            elif rtype == "Procedure":
                event = self.procedure(i, res)
            elif rtype == "Condition" and i in self.relapses:
                event = self.relapse(i, res)
            elif rtype == "AdverseEvent":
                event = self.adverse_event(i, res)
            elif rtype == "Observation":
                event = self.observation_event(i, res)
            if event is not None:
                self.used.add(i)
                out.append((i, event))
        return out

    def medication_administration(self, i: int, res: Mapping[str, Any]) -> dict[str, Any]:
        med, field = self.medication(i, res)
        is_cart = self.meaning(res.get("category"), "concept") == "car_t_infusion"
        product = None
        if med is not None and not med.get("ingredient"):
            product = self.term(i, field, med.get("code"), "car_t_products", required=is_cart)
        if is_cart or product is not None:
            ev = self._base(i, res, CarTInfusion, "car_t_infusion", "car")
            ev["product"] = product or "investigational"
            when = get_time(res, "effectiveDateTime") or get_time(
                res.get("effectivePeriod", {}) or {}, "start"
            )
            if when:
                ev["date"] = when
            dose = self.dose(i, (res.get("dosage") or {}).get("dose"))
            if dose:
                ev["dose"] = dose
            if i in self.lymphodepletion_for:
                ev["lymphodepletion"] = self.lymphodepletion_for[i]
            return ev
        ev = self._base(i, res, Therapy, "therapy", "therapy")
        agents, protocol = self.agents_of(i, med, field)
        if protocol is not None:
            ev["protocol"] = protocol
        if agents:
            ev["agents"] = agents
        period = res.get("effectivePeriod") or {}
        start = get_time(period, "start") or get_time(res, "effectiveDateTime")
        end = get_time(period, "end")
        if start:
            ev["start"] = start
        if end:
            ev["end"] = end
        for k, ref in enumerate(res.get("partOf", []) or []):
            target = self.ref_event(i, f"partOf[{k}]", ref, ("MedicationAdministration",))
            if target:
                ev["added_to"] = target
        dosage = res.get("dosage") or {}
        route = dosage.get("route")
        if route is not None:
            code = self.concept_code(route, "route-") or self.meaning(route, "route")
            if code is None:
                for text in texts_of(route):
                    code = _ROUTE_WORDS.get(normalize_key(text))
                    if code:
                        break
            if code is None:
                self.problem(
                    i,
                    "dosage.route",
                    f"unknown route {' / '.join(texts_of(route)) or 'without text'}; known: {', '.join(self.codes.routes)}",
                )
            else:
                ev["route"] = code
        dose = self.dose(i, dosage.get("dose"))
        if dose:
            ev["dose"] = dose
        return ev

    def agents_of(
        self, i: int, med: dict[str, Any] | None, field: str
    ) -> tuple[list[str], str | None]:
        """The agents of a medication (its ingredients, or its code) and a regimen's name."""
        agents: list[str] = []
        protocol = None
        if med is None:
            return agents, protocol
        code = med.get("code") or {}
        if med.get("ingredient"):
            for k, ing in enumerate(med["ingredient"]):
                item = ing.get("itemCodeableConcept")
                agent = self.term(i, f"{field}.ingredient[{k}].itemCodeableConcept", item, "agents")
                agents += [agent] if agent else []
            if isinstance(code.get("text"), str):
                protocol = code["text"]
        elif (
            field != "medicationCodeableConcept"
            and isinstance(code.get("text"), str)
            and not codings_of(code)
        ):
            protocol = code["text"]
        else:
            agent = self.term(i, field, code, "agents")
            agents += [agent] if agent else []
        return agents, protocol

    def lymphodepletions(self) -> None:
        """Lymphodepleting chemotherapy, each ``partOf`` the CAR-T infusion it prepared."""
        self.lymphodepletion_for: dict[int, dict[str, Any]] = {}
        for i, res in enumerate(self.entries):
            if res.get("resourceType") != "MedicationAdministration":
                continue
            if self.meaning(res.get("category"), "concept") != "lymphodepletion":
                continue
            self.used.add(i)
            parts = res.get("partOf") or []
            j = (
                self.resolve(i, "partOf[0]", parts[0], ("MedicationAdministration",))
                if parts
                else None
            )
            if not parts:
                self.problem(
                    i, "partOf", "a lymphodepletion must be partOf the CAR-T infusion it prepared"
                )
            if j is None:
                continue
            if self.meaning(self.entries[j].get("category"), "concept") != "car_t_infusion":
                self.problem(
                    i, "partOf[0]", "refers to an administration that is not a CAR-T infusion"
                )
                continue
            ld = decode_fields(res.get("extension"), Lymphodepletion)
            med, field = self.medication(i, res)
            if self.meaning((med or {}).get("code"), "concept") != "lymphodepletion":
                agents, _ = self.agents_of(i, med, field)
                ld["agents"] = agents
            start = get_time(res.get("effectivePeriod") or {}, "start") or get_time(
                res, "effectiveDateTime"
            )
            if start:
                ld["start"] = start
            self.lymphodepletion_for[j] = ld

    def medication(self, i: int, res: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str]:
        if "medicationCodeableConcept" in res:
            return {"code": res["medicationCodeableConcept"]}, "medicationCodeableConcept"
        ref = res.get("medicationReference")
        target = ref.get("reference") if isinstance(ref, Mapping) else None
        if isinstance(target, str) and target.startswith("#"):
            for k, c in enumerate(res.get("contained", []) or []):
                if isinstance(c, Mapping) and c.get("id") == target[1:]:
                    if c.get("resourceType") != "Medication":
                        self.problem(
                            i,
                            f"contained[{k}]",
                            f"medicationReference points at a {c.get('resourceType')}, not a Medication",
                        )
                        return None, ""
                    return dict(c), f"contained[{k}]"
            self.problem(
                i,
                "medicationReference",
                f"refers to {target!r}, which is not contained in this resource",
            )
            return None, ""
        j = self.resolve(i, "medicationReference", ref, ("Medication",))
        if j is None:
            return None, ""
        self.used.add(j)
        return dict(self.entries[j]), "medicationReference"

    def dose(self, i: int, q: Any) -> dict[str, Any] | None:
        if not isinstance(q, Mapping) or q.get("value") is None:
            return None
        unit = q.get("unit") or q.get("code")
        if not unit:
            self.problem(i, "dosage.dose", "a dose needs its unit")
            return None
        return {"value": q["value"], "unit": unit}

    def procedure(self, i: int, res: Mapping[str, Any]) -> dict[str, Any] | None:
        code = res.get("code")
        words = " ".join(texts_of(code)).lower()
        is_hsct = (
            self.meaning(code, "concept") == "hsct"
            or bool(self.concept_code(code, "hsct-"))
            or any(
                w in words
                for w in (
                    "stem cell transplant",
                    "stem-cell transplant",
                    "hsct",
                    "bone marrow transplant",
                    "haematopoietic",
                    "hematopoietic",
                )
            )
        )
        if not is_hsct:
            return None
        ev = self._base(i, res, HSCT, "hsct", "hsct")
        kind = self.concept_code(code, "hsct-") or (
            "autologous" if "autolog" in words else "allogeneic"
        )
        ev["kind"] = kind
        when = get_time(res, "performedDateTime") or get_time(
            res.get("performedPeriod", {}) or {}, "start"
        )
        if when:
            ev["date"] = when
        return ev

    def relapse(self, i: int, res: Mapping[str, Any]) -> dict[str, Any]:
        ev = self._base(i, res, Relapse, "relapse", "relapse")
        sites = []
        for k, site in enumerate(res.get("bodySite", []) or []):
            term = self.term(i, f"bodySite[{k}]", site, "sites")
            if term:
                sites.append(term)
        if sites:
            ev["sites"] = sites
        when = get_time(res, "onsetDateTime")
        if when:
            ev["date"] = when
        genetics = self.genetics(i, with_diagnosis_fields=False)
        for key in ("kinase_mutations", "genetics"):
            if genetics.get(key):
                ev[key] = genetics[key]
        return ev

    def adverse_event(self, i: int, res: Mapping[str, Any]) -> dict[str, Any]:
        ev = self._base(i, res, ToxicityEpisode, "toxicity", "tox")
        event = res.get("event")
        syndrome = self.concept_code(event, "toxicity-")
        if syndrome is None:
            for text in texts_of(event):
                key = normalize_key(text)
                for name, c in self.codes.syndromes.items():
                    if key in {normalize_key(s) for s in (name, c.label, *c.synonyms)}:
                        syndrome = name
                        break
                if syndrome:
                    break
        if syndrome is None:
            words = texts_of(event)
            if not words:
                self.problem(i, "event", "the adverse event has no code or text remission can read")
                syndrome = "other"
            else:
                syndrome = "other"
                ev.setdefault("term", words[0])
        elif syndrome == "other" and "term" not in ev and texts_of(event):
            ev["term"] = texts_of(event)[0]
        ev["syndrome"] = syndrome
        when = get_time(res, "date") or get_time(res, "detected")
        if when:
            ev["onset"] = when
        for k, suspect in enumerate(res.get("suspectEntity", []) or []):
            if not isinstance(suspect, Mapping):
                continue
            j = self.resolve(i, f"suspectEntity[{k}].instance", suspect.get("instance"))
            if j is not None and self.entries[j].get("resourceType") in THERAPY_TARGETS:
                ev["after"] = self.event_id(j, ID_STEMS[str(self.entries[j]["resourceType"])])
                break
        grade = None
        for k, ext in enumerate(res.get("extension", []) or []):
            if isinstance(ext, Mapping) and ext.get("url") == ext_url(GRADE_EXTENSION):
                grade = self.grade(i, f"extension[{k}].valueCoding", ext.get("valueCoding"))
        if grade is not None:
            ev["grade"] = grade
        elif res.get("severity") is not None:
            self.warn(
                i,
                "severity without a grade and its scale is not a grade; the grade is left unstated",
            )
        return ev

    def grade(self, i: int, field: str, coding: Any) -> dict[str, Any] | None:
        scales = {scale_slug(s): s for s in get_args(GradeScale)}
        system = coding.get("system") if isinstance(coding, Mapping) else None
        prefix = self.codes.systems["grade"]
        if (
            not isinstance(system, str)
            or not system.startswith(prefix)
            or system[len(prefix) :] not in scales
        ):
            self.problem(
                i, field, f"unknown grading scale {system!r}; known: {', '.join(scales.values())}"
            )
            return None
        code = coding.get("code")
        if not isinstance(code, str) or not code.isdigit():
            self.problem(i, field, f"grade {code!r} is not a number 0-5")
            return None
        return {"grade": int(code), "scale": scales[system[len(prefix) :]]}

    # -- observations --------------------------------------------------------------------------------


_GENETIC_KINDS = {
    "ph_chromosome",
    "bcr_abl1_transcript",
    "abl1_kinase_mutation",
    "kmt2a_rearrangement",
    "genetic_finding",
    "genetic_variant",
}
_ROUTE_WORDS = {
    normalize_key(k): v
    for k, v in {
        "intravenous": "iv",
        "iv": "iv",
        "oral": "oral",
        "po": "oral",
        "by mouth": "oral",
        "intrathecal": "intrathecal",
        "it": "intrathecal",
        "subcutaneous": "subcutaneous",
        "sc": "subcutaneous",
        "intramuscular": "intramuscular",
        "im": "intramuscular",
    }.items()
}


def _in_date_order(events: list[tuple[int, dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """A foreign Bundle's events in date order (undated ones keep their place after the last dated)."""
    keyed = []
    last = ""
    for n, (i, ev) in enumerate(events):
        when = ev.get("date") or ev.get("start") or ev.get("onset")
        if isinstance(when, str) and re.match(r"^\d{4}", when):
            last = when
        keyed.append((last, n, (i, ev)))
    return [item for _, _, item in sorted(keyed, key=lambda k: (k[0], k[1]))]


def bundle_to_case(data: Any, *, source: str = "<bundle>") -> Case:
    """Read one FHIR R4 Bundle (parsed JSON) as a Case.

    Raises :class:`~remission.exceptions.FhirBundleError` listing every problem, located by
    ``source``, entry index, resource and element; warns (:class:`FhirImportWarning`) about the
    resources it skips.
    """
    return _Reader(data, source).read()


def read_bundle_file(path: str | Path, *, max_bytes: int = MAX_BUNDLE_BYTES) -> Case:
    """Read, check and convert one Bundle JSON file; :class:`FhirBundleError` on any problem."""
    where = str(path)
    text = read_bundle_text(path, max_bytes=max_bytes)
    return bundle_to_case(parse_bundle_text(text, where), source=where)
