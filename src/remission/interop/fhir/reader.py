"""The common part of reading a Bundle: its structure, its references, its codes, its ids.

:class:`BundleReader` checks that the JSON is one Bundle of valid FHIR R4 resources with unique
ids, resolves references (and says which entry points at nothing, or at the wrong kind of
resource), reads codings through ``codes.yaml`` and the vocabularies' synonyms, and gives each
event its id. Every problem is kept with its place - file, entry index, resource type and id,
element - so that one pass reports all of them (:mod:`.import_` reads the Case itself).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from remission.exceptions import FhirBundleError, Problem
from remission.interop.fhir.codes import load_codes
from remission.interop.fhir.fields import decode_fields
from remission.interop.fhir.validate import entry_label, resource_problems
from remission.model.base import ID_PATTERN
from remission.model.vocab import load_vocabulary

__all__ = ["ID_STEMS", "MAPPED_TYPES", "THERAPY_TARGETS", "BundleReader", "codings_of", "texts_of"]

#: Resource types remission reads; every other type is skipped with a warning.
MAPPED_TYPES = (
    "Patient",
    "Condition",
    "MedicationAdministration",
    "Medication",
    "Procedure",
    "Observation",
    "AdverseEvent",
    "DocumentReference",
)

_ID_RE = re.compile(ID_PATTERN)
_ID_RE = re.compile(ID_PATTERN)
THERAPY_TARGETS = ("MedicationAdministration", "Procedure")
ID_STEMS = {
    "MedicationAdministration": "therapy",
    "Procedure": "hsct",
    "Condition": "relapse",
    "AdverseEvent": "tox",
    "Observation": "event",
}


def codings_of(cc: Any) -> list[Mapping[str, Any]]:
    if not isinstance(cc, Mapping):
        return []
    return [c for c in cc.get("coding", []) or [] if isinstance(c, Mapping)]


def texts_of(cc: Any) -> list[str]:
    """The words of a CodeableConcept: its text, then each coding's display."""
    if not isinstance(cc, Mapping):
        return []
    out = [cc["text"]] if isinstance(cc.get("text"), str) else []
    out += [c["display"] for c in codings_of(cc) if isinstance(c.get("display"), str)]
    return out


class BundleReader:
    """Structure, references, codes and ids of one Bundle (see the module doc)."""

    def __init__(self, data: Any, source: str):
        self.data = data
        self.where = source
        self.codes = load_codes()
        self.problems: list[Problem] = []
        self.entries: list[Mapping[str, Any]] = []
        self.by_ref: dict[str, int] = {}
        self.event_ids: dict[int, str] = {}
        self.used: set[int] = set()
        self.native = False
        self.warnings: list[str] = []
        self.patient_index = 0

    # -- problems -----------------------------------------------------------------------------

    def label(self, i: int) -> str:
        return entry_label(i, self.entries[i])

    def problem(self, i: int | None, field: str | None, message: str) -> None:
        where = self.label(i) if i is not None else "Bundle"
        self.problems.append(
            Problem(message, self.where, None, f"{where}.{field}" if field else where)
        )

    def warn(self, i: int, message: str) -> None:
        """Keep a warning; they are given only when the whole Bundle was read (see :meth:`read`)."""
        self.warnings.append(f"{self.where}: {self.label(i)}: {message}")

    def fail_if_problems(self) -> None:
        if self.problems:
            raise FhirBundleError(self.problems)

    # -- structure -------------------------------------------------------------------------------

    def structure(self) -> None:
        data = self.data
        if not isinstance(data, Mapping):
            raise FhirBundleError(
                Problem(f"a FHIR Bundle is a JSON object, not {type(data).__name__}", self.where)
            )
        if data.get("resourceType") != "Bundle":
            raise FhirBundleError(
                Problem(
                    f"this is a {data.get('resourceType')!r} resource, not a FHIR Bundle; remission reads "
                    "one Bundle per case",
                    self.where,
                    None,
                    "resourceType",
                )
            )
        entries = data.get("entry")
        if not isinstance(entries, list) or not entries:
            raise FhirBundleError(Problem("the Bundle has no entries", self.where, None, "entry"))
        for i, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, Mapping) else None
            if not isinstance(resource, Mapping) or not isinstance(
                resource.get("resourceType"), str
            ):
                self.entries.append({})
                self.problem(i, None, "the entry holds no resource with a resourceType")
                continue
            self.entries.append(resource)
            keys = []
            full = entry.get("fullUrl")
            if isinstance(full, str):
                keys.append(full)
            rid = resource.get("id")
            if isinstance(rid, str):
                keys.append(f"{resource['resourceType']}/{rid}")
            for key in keys:
                if key in self.by_ref and self.by_ref[key] != i:
                    self.problem(
                        i,
                        "id" if "/" in key and not key.startswith(("urn:", "http")) else "fullUrl",
                        f"{key!r} is also used by {self.label(self.by_ref[key])}",
                    )
                self.by_ref.setdefault(key, i)
        self.fail_if_problems()
        for i, res in enumerate(self.entries):
            if res.get("resourceType") in MAPPED_TYPES:
                self.problems += resource_problems(res, self.where, self.label(i))
            else:
                try:
                    from fhir.resources.R4B import get_fhir_model_class

                    get_fhir_model_class(str(res.get("resourceType")))
                except (ValueError, KeyError):
                    self.problem(
                        i,
                        "resourceType",
                        f"{res.get('resourceType')!r} is not a FHIR R4 resource type",
                    )
        self.fail_if_problems()

    def resolve(
        self, i: int, field: str, ref: Any, types: tuple[str, ...] | None = None
    ) -> int | None:
        """The entry a Reference points at; a problem when it is missing or of the wrong type."""
        target = ref.get("reference") if isinstance(ref, Mapping) else None
        if not isinstance(target, str):
            self.problem(i, field, "the reference has no 'reference'")
            return None
        j = self.by_ref.get(target)
        if j is None:
            tail = "/".join(target.rstrip("/").split("/")[-2:])
            j = self.by_ref.get(tail)
        if j is None:
            self.problem(i, field, f"refers to {target!r}, which is not in this Bundle")
            return None
        rtype = self.entries[j].get("resourceType")
        if types is not None and rtype not in types:
            self.problem(i, field, f"refers to a {rtype}, but must refer to a {' or '.join(types)}")
            return None
        return j

    # -- codes --------------------------------------------------------------------------------------

    def meaning(self, cc: Any, kind: str) -> str | None:
        """What a CodeableConcept names, of one kind (``concept``, ``disease``, ``site`` ...)."""
        for c in codings_of(cc):
            found = self.codes.lookup(c.get("system"), c.get("code"))
            if found and found.startswith(kind + ":"):
                return found.split(":", 1)[1]
        return None

    def concept_code(self, cc: Any, prefix: str) -> str | None:
        """The suffix of a remission concept code starting with ``prefix`` (``response-CR`` -> CR)."""
        for c in codings_of(cc):
            code = c.get("code")
            concept = c.get("system") == self.codes.system("concept")
            if concept and isinstance(code, str) and code.startswith(prefix):
                return code[len(prefix) :]
        return None

    def term(
        self, i: int, field: str, cc: Any, vocabulary: str, *, required: bool = True
    ) -> str | None:
        """A vocabulary term from its remission coding, an external code, or its words."""
        system = self.codes.vocabulary_system(vocabulary)
        vocab = load_vocabulary(vocabulary)
        for c in codings_of(cc):
            if c.get("system") == system and isinstance(c.get("code"), str):
                term = vocab.lookup(c["code"])
                if term is not None:
                    return term.id
        kind = {"sites": "site", "analytes": "analyte"}.get(vocabulary)
        external = self.meaning(cc, kind) if kind else None
        if external:
            return external
        for text in texts_of(cc):
            term = vocab.lookup(text)
            if term is not None:
                return term.id
        if required:
            codes = ", ".join(f"{c.get('system')}|{c.get('code')}" for c in codings_of(cc))
            words = repr(" / ".join(texts_of(cc))) if texts_of(cc) else ""
            shown = f"{codes} ({words})" if codes and words else codes or words or "(empty)"
            hint = vocab.suggest(texts_of(cc)[0]) if texts_of(cc) else []
            extra = f"; did you mean {' or '.join(repr(h) for h in hint)}?" if hint else ""
            self.problem(i, field, f"unknown code {shown}: not a known {vocab.description}{extra}")
        return None

    # -- ids ----------------------------------------------------------------------------------------

    def case_id(self, pat: Mapping[str, Any]) -> str:
        for idf in pat.get("identifier", []) or []:
            if isinstance(idf, Mapping) and idf.get("system") == self.codes.system("case_id"):
                return str(idf.get("value"))
        bid = self.data.get("identifier")
        if isinstance(bid, Mapping) and bid.get("system") == self.codes.system("case_id"):
            return str(bid.get("value"))
        rid = pat.get("id")
        if isinstance(rid, str) and _ID_RE.match(rid):
            return rid
        stem = Path(self.where).stem
        if _ID_RE.match(stem):
            return stem
        self.problem(
            self.patient_index, "identifier", "no case id: give the Patient an id or an identifier"
        )
        return "unknown"

    def assign_event_ids(self) -> None:
        self.taken: set[str] = {"diagnosis"}
        counters: dict[str, int] = {}
        for i, res in enumerate(self.entries):
            ids = res.get("identifier")
            ids = [ids] if isinstance(ids, Mapping) else ids or []
            for idf in ids:
                if isinstance(idf, Mapping) and idf.get("system") == self.codes.system("event_id"):
                    value = str(idf.get("value"))
                    self.event_ids[i] = value
                    self.taken.add(value)
        for i, res in enumerate(self.entries):
            if i in self.event_ids:
                continue
            rid = res.get("id")
            if (
                isinstance(rid, str)
                and _ID_RE.match(rid)
                and rid not in self.taken
                and len(rid) <= 40
            ):
                self.event_ids[i] = rid
                self.taken.add(rid)
        self.counters = counters

    def fresh_id(self, stem: str) -> str:
        n = self.counters.get(stem, 0)
        while True:
            n += 1
            candidate = f"{stem}{n}"
            if candidate not in self.taken:
                self.counters[stem] = n
                self.taken.add(candidate)
                return candidate

    def event_id(self, i: int, stem: str) -> str:
        if i not in self.event_ids:
            self.event_ids[i] = self.fresh_id(stem)
        return self.event_ids[i]

    def ref_event(
        self, i: int, field: str, ref: Any, types: tuple[str, ...] | None = None
    ) -> str | None:
        j = self.resolve(i, field, ref, types)
        if j is None:
            return None
        return self.event_id(j, ID_STEMS.get(str(self.entries[j].get("resourceType")), "event"))

    # -- patient and diagnosis -----------------------------------------------------------------------
    def _base(
        self, i: int, res: Mapping[str, Any], model: type, etype: str, stem: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.event_id(i, stem), "type": etype}
        out.update(decode_fields(res.get("extension"), model))
        return out
