"""Reading a Bundle's Observations and documents: disease assessments with their MRD and CSF
members, deaths, follow-ups, other events, bedside assessments, observation series (remission's
panels, or loose laboratory values grouped by analyte, unit and specimen), and a draft's
extraction block. Units are checked against the ones each value is kept in; MRD in percent and
temperatures in degrees Fahrenheit are converted, other mix-ups are problems."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any, get_args

from remission.interop.fhir.fields import decode_fields, get_time
from remission.interop.fhir.reader import THERAPY_TARGETS, BundleReader, codings_of, texts_of
from remission.model import (
    MRD,
    CSFFindings,
    DailyAssessment,
    Death,
    DiseaseAssessment,
    FollowUp,
    ObservationPoint,
    ObservationSeries,
    OtherEvent,
)
from remission.model.terms import ResponseCode
from remission.model.vocab import load_vocabulary, normalize_key

__all__ = ["ObservationReader"]


class ObservationReader(BundleReader):
    """The Observation and DocumentReference part of reading a Bundle."""

    def obs_kind(self, res: Mapping[str, Any]) -> str | None:
        code = res.get("code")
        for c in codings_of(code):
            found = self.codes.lookup(c.get("system"), c.get("code"))
            if found and found.startswith("concept:"):
                return found.split(":", 1)[1]
            if found and found.startswith("analyte:"):
                return "analyte"
            if c.get("system") == self.codes.vocabulary_system("analytes"):
                return "analyte"
        for text in texts_of(code):
            if load_vocabulary("analytes").lookup(text) is not None:
                return "analyte"
        return None

    def components(self, i: int, res: Mapping[str, Any], owner: str) -> dict[str, Any]:
        specs = self.codes.components[owner]
        out: dict[str, Any] = {}
        for k, comp in enumerate(res.get("component", []) or []):
            if not isinstance(comp, Mapping):
                continue
            path = None
            for c in codings_of(comp.get("code")):
                for p, spec in specs.items():
                    if (
                        c.get("system") == self.codes.system("concept")
                        and c.get("code") == spec.code
                    ) or (
                        spec.loinc
                        and c.get("system") == self.codes.system("loinc")
                        and c.get("code") == spec.loinc
                    ):
                        path = p
                if path:
                    break
            if path is None:
                self.warn(
                    i,
                    f"component[{k}] ({' / '.join(texts_of(comp.get('code'))) or 'no text'}) is not read",
                )
                continue
            spec = specs[path]
            if "valueBoolean" in comp:
                value: Any = comp["valueBoolean"]
            elif "valueInteger" in comp:
                value = comp["valueInteger"]
            elif isinstance(comp.get("valueQuantity"), Mapping):
                value = self.quantity_in(
                    i, f"component[{k}].valueQuantity", comp["valueQuantity"], spec.unit
                )
            else:
                self.problem(i, f"component[{k}]", f"{spec.label}: no value remission can read")
                continue
            _set_path(out, path, value)
        return out

    def quantity_in(self, i: int, field: str, q: Mapping[str, Any], unit: str | None) -> Any:
        """A quantity's value in the expected unit (deg F converted; other unit mix-ups refused)."""
        value = q.get("value")
        given = q.get("code") or q.get("unit")
        if unit is None or given is None:
            return value
        wanted = {unit, self.codes.ucum.get(unit, unit)}
        if given in wanted or normalize_key(str(given)) in {normalize_key(w) for w in wanted}:
            return value
        if (
            unit == "Cel"
            and str(given) in ("[degF]", "degF", "°F", "F")
            and isinstance(value, int | float)
        ):
            return round((value - 32) * 5 / 9, 2)
        if unit == "%" and str(given) == "1" and isinstance(value, int | float):
            return value * 100
        self.problem(i, f"{field}.unit", f"unit {given!r} where {unit!r} is expected")
        return None

    def observation_event(self, i: int, res: Mapping[str, Any]) -> dict[str, Any] | None:
        kind = self.obs_kind(res)
        when = get_time(res, "effectiveDateTime")
        if kind == "disease_assessment" or (
            kind in ("mrd", "csf") and not self.member_of_assessment(i)
        ):
            return self.disease_assessment(i, res, kind or "", when)
        if kind == "death":
            ev = self._base(i, res, Death, "death", "death")
            cause = self.concept_code(res.get("valueCodeableConcept"), "death-cause-")
            if cause is None and res.get("valueCodeableConcept") is not None:
                self.problem(
                    i,
                    "valueCodeableConcept",
                    "unknown cause of death; known: disease, crs, icans, infection, gvhd, treatment_related, other, unknown",
                )
            if cause:
                ev["cause"] = cause
        elif kind == "follow_up":
            ev = self._base(i, res, FollowUp, "follow_up", "fu")
            status = self.concept_code(res.get("valueCodeableConcept"), "disease-status-")
            if status:
                ev["disease_status"] = status
            ev.update(self.components(i, res, "FollowUp"))
        elif kind == "timeline_event":
            ev = self._base(i, res, OtherEvent, "other", "event")
            if isinstance(res.get("valueString"), str):
                ev["label"] = res["valueString"]
        else:
            return None
        if when:
            ev["date"] = when
        return ev

    def member_of_assessment(self, i: int) -> bool:
        """Whether an MRD or CSF Observation is a member of a disease assessment."""
        if not hasattr(self, "_members"):
            self._members: set[int] = set()
            for res in self.entries:
                if (
                    res.get("resourceType") == "Observation"
                    and self.obs_kind(res) == "disease_assessment"
                ):
                    for ref in res.get("hasMember", []) or []:
                        j = self.by_ref.get(str((ref or {}).get("reference")))
                        if j is not None:
                            self._members.add(j)
        return i in self._members

    def disease_assessment(
        self, i: int, res: Mapping[str, Any], kind: str, when: str | None
    ) -> dict[str, Any]:
        ev = self._base(i, res, DiseaseAssessment, "disease_assessment", "assessment")
        if when:
            ev["date"] = when
        if kind == "mrd":
            ev["mrd"] = self.mrd(i, res)
            return ev
        if kind == "csf":
            ev["csf"] = self.csf(i, res)
            return ev
        value = res.get("valueCodeableConcept")
        if value is not None:
            response = self.concept_code(value, "response-")
            if response is None:
                allowed = {normalize_key(r): r for r in get_args(ResponseCode)}
                response = next(
                    (
                        allowed[normalize_key(t)]
                        for t in texts_of(value)
                        if normalize_key(t) in allowed
                    ),
                    None,
                )
            if response is None:
                self.problem(
                    i,
                    "valueCodeableConcept",
                    f"unknown response {' / '.join(texts_of(value)) or 'without text'}; known: {', '.join(get_args(ResponseCode))}",
                )
            else:
                ev["response"] = response
        ev.update(self.components(i, res, "DiseaseAssessment"))
        for k, ref in enumerate(res.get("partOf", []) or []):
            target = self.ref_event(i, f"partOf[{k}]", ref, THERAPY_TARGETS)
            if target:
                ev["assesses"] = target
        for k, ref in enumerate(res.get("hasMember", []) or []):
            j = self.resolve(i, f"hasMember[{k}]", ref, ("Observation",))
            if j is None:
                continue
            member_kind = self.obs_kind(self.entries[j])
            if member_kind == "mrd":
                ev["mrd"] = self.mrd(j, self.entries[j])
            elif member_kind == "csf":
                ev["csf"] = self.csf(j, self.entries[j])
            else:
                self.problem(
                    i,
                    f"hasMember[{k}]",
                    "a disease assessment's members are its MRD and CSF Observations",
                )
                continue
            self.used.add(j)
        return ev

    def specimen(self, i: int, res: Mapping[str, Any]) -> str | None:
        ref = res.get("specimen")
        target = ref.get("reference") if isinstance(ref, Mapping) else None
        spec: Any = None
        if isinstance(target, str) and target.startswith("#"):
            spec = next(
                (
                    c
                    for c in res.get("contained", []) or []
                    if isinstance(c, Mapping) and c.get("id") == target[1:]
                ),
                None,
            )
        elif ref is not None:
            j = self.resolve(i, "specimen", ref, ("Specimen",))
            if j is not None:
                spec = self.entries[j]
                self.used.add(j)
        if not isinstance(spec, Mapping):
            return None
        kind = self.concept_code(spec.get("type"), "specimen-") or self.meaning(
            spec.get("type"), "specimen"
        )
        if kind is None:
            for text in texts_of(spec.get("type")):
                kind = _SPECIMEN_WORDS.get(normalize_key(text))
                if kind:
                    break
        if kind is None:
            self.problem(
                i,
                "specimen",
                f"unknown specimen type {' / '.join(texts_of(spec.get('type'))) or ''}; known: {', '.join(self.codes.specimens)}",
            )
        return kind

    def mrd(self, i: int, res: Mapping[str, Any]) -> dict[str, Any]:
        out = decode_fields(res.get("extension"), MRD)
        q = res.get("valueQuantity")
        if isinstance(q, Mapping) and q.get("value") is not None:
            unit = q.get("code") or q.get("unit")
            value = q["value"]
            if unit in ("%", "percent"):
                value = value / 100
            elif unit not in (None, "1", "fraction"):
                self.problem(
                    i,
                    "valueQuantity.unit",
                    f"MRD unit {unit!r}: give a fraction ('1') or a percentage ('%')",
                )
            out["value"] = value
        detection = self.meaning(res.get("valueCodeableConcept"), "detection")
        if detection:
            out["detectable"] = detection == "detected"
        for cc in res.get("interpretation", []) or []:
            for c in codings_of(cc):
                if c.get("code") in ("POS", "NEG", "DET", "ND"):
                    out["detectable"] = c["code"] in ("POS", "DET")
        method = self.concept_code(res.get("method"), "mrd-method-")
        if method:
            out["method"] = method
        sample = self.specimen(i, res)
        if sample in ("marrow", "blood"):
            out["sample"] = sample
        return out

    def csf(self, i: int, res: Mapping[str, Any]) -> dict[str, Any]:
        out = decode_fields(res.get("extension"), CSFFindings)
        out.update(self.components(i, res, "CSFFindings"))
        return out

    def assessments(self) -> list[tuple[int, dict[str, Any]]]:
        out = []
        for i, res in enumerate(self.entries):
            if i in self.used or res.get("resourceType") != "Observation":
                continue
            if self.obs_kind(res) != "bedside_assessment":
                continue
            self.used.add(i)
            a = decode_fields(res.get("extension"), DailyAssessment)
            _merge(a, self.components(i, res, "DailyAssessment"))
            when = get_time(res, "effectiveDateTime")
            if when:
                a["at"] = when
            out.append((i, a))
        return out

    def series(self) -> list[tuple[int, dict[str, Any]]]:
        out: list[tuple[int, dict[str, Any]]] = []
        loose: dict[tuple[str, str, str], tuple[int, dict[str, Any]]] = {}
        for i, res in enumerate(self.entries):
            if (
                i in self.used
                or res.get("resourceType") != "Observation"
                or self.obs_kind(res) != "analyte"
            ):
                continue
            analyte = self.term(i, "code", res.get("code"), "analytes")
            if analyte is None:
                continue
            if res.get("hasMember"):
                self.used.add(i)
                s = decode_fields(res.get("extension"), ObservationSeries)
                s.setdefault(
                    "id",
                    next(
                        (
                            str(idf.get("value"))
                            for idf in res.get("identifier", []) or []
                            if isinstance(idf, Mapping)
                            and idf.get("system") == self.codes.system("series_id")
                        ),
                        self.fresh_id(f"{analyte.replace('_', '-')}-"),
                    ),
                )
                s["analyte"] = analyte
                if isinstance((res.get("method") or {}).get("text"), str):
                    s["method"] = res["method"]["text"]
                specimen = self.specimen(i, res)
                if specimen:
                    s["specimen"] = specimen
                points = []
                for k, ref in enumerate(res["hasMember"]):
                    j = self.resolve(i, f"hasMember[{k}]", ref, ("Observation",))
                    if j is None:
                        continue
                    self.used.add(j)
                    point, unit = self.point(j, self.entries[j])
                    if unit and "unit" not in s:
                        s["unit"] = unit
                    points.append(point)
                s["points"] = points
                out.append((i, s))
        for i, res in enumerate(self.entries):
            if (
                i in self.used
                or res.get("resourceType") != "Observation"
                or self.obs_kind(res) != "analyte"
            ):
                continue
            self.used.add(i)
            analyte = self.term(i, "code", res.get("code"), "analytes")
            if analyte is None:
                continue
            point, unit = self.point(i, res)
            specimen = self.specimen(i, res) or "blood"
            key = (analyte, unit or "", specimen)
            if key not in loose:
                sid = self.fresh_id(f"{analyte.replace('_', '-')}-")
                loose[key] = (
                    i,
                    {
                        "id": sid,
                        "analyte": analyte,
                        "unit": unit,
                        "specimen": specimen,
                        "points": [],
                    },
                )
                out.append(loose[key])
            loose[key][1]["points"].append(point)
        return out

    def point(self, i: int, res: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
        p = decode_fields(res.get("extension"), ObservationPoint)
        q = res.get("valueQuantity")
        unit = None
        if isinstance(q, Mapping):
            unit = q.get("unit") or q.get("code")
            if q.get("comparator") in ("<", "<="):
                p["blq"] = True
            elif q.get("value") is not None:
                p["value"] = q["value"]
        for cc in res.get("interpretation", []) or []:
            if self.concept_code(cc, "blq") == "":
                p["blq"] = True
        if "day" not in p:
            when = get_time(res, "effectiveDateTime")
            if when:
                p["at"] = when
        return p, unit

    def extraction(self) -> dict[str, Any] | None:
        self.extraction_index: int | None = None
        for i, res in enumerate(self.entries):
            if res.get("resourceType") != "DocumentReference":
                continue
            if self.meaning(res.get("type"), "concept") != "extraction":
                continue
            self.used.add(i)
            self.extraction_index = i
            out: dict[str, Any] = {}
            text = None
            for k, content in enumerate(res.get("content", []) or []):
                att = content.get("attachment", {}) if isinstance(content, Mapping) else {}
                try:
                    raw = base64.b64decode(att.get("data", ""), validate=True).decode("utf-8")
                except (binascii.Error, UnicodeDecodeError, ValueError):
                    self.problem(
                        i, f"content[{k}].attachment.data", "not base64-encoded UTF-8 text"
                    )
                    continue
                if str(att.get("contentType", "")).startswith("application/json"):
                    try:
                        values = json.loads(raw)
                    except json.JSONDecodeError as exc:
                        self.problem(i, f"content[{k}].attachment.data", f"not JSON: {exc.msg}")
                        continue
                    if isinstance(values, dict):
                        out.update(values)
                else:
                    text = raw
            if text is not None:
                out["text"] = text
            return out
        return None


_SPECIMEN_WORDS = {
    normalize_key(k): v
    for k, v in {
        "blood": "blood",
        "peripheral blood": "blood",
        "whole blood": "blood",
        "serum": "serum",
        "plasma": "plasma",
        "csf": "csf",
        "cerebrospinal fluid": "csf",
        "bone marrow": "marrow",
        "marrow": "marrow",
    }.items()
}


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def _merge(target: dict[str, Any], more: dict[str, Any]) -> None:
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
