"""The code systems, profiles and concept maps of the FHIR mapping, loaded from ``codes.yaml``.

Codes are data, not constants in code (the project's rule for vocabularies): the YAML file names
each system and each external code with its source, and this module only loads it, validates it
and answers questions about it ("which coding says CAR-T infusion?", "which site is SNOMED
21483005?"). Vocabulary terms (agents, products, sites, donor types, analytes) are coded in the
remission system named after their vocabulary, with the canonical id as code, so that a Bundle
and a case file meet in one term; on import any synonym the vocabulary knows is accepted.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from remission.model.vocab import load_vocabulary

__all__ = ["Codes", "Coding", "ComponentSpec", "load_codes", "scale_slug"]

Coding = dict[str, str]


class ComponentSpec(BaseModel):
    """A value carried as an Observation component: its code, label, LOINC and unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    label: str
    loinc: str | None = None
    unit: str | None = None


class _Concept(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str
    loinc: str | None = None
    snomed: str | None = None
    icd10: str | None = None
    icdo3: str | None = None
    ncit: str | None = None
    synonyms: tuple[str, ...] = ()


class Codes(BaseModel):
    """The parsed ``codes.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base: str
    systems: dict[str, str]
    extensions: dict[str, str]
    profiles: dict[str, str]
    concepts: dict[str, _Concept]
    genes: dict[str, str]
    presence: dict[str, _Concept]
    detection: dict[str, _Concept]
    diseases: dict[str, _Concept]
    relapse_status: tuple[str, ...]
    sites: dict[str, str]
    specimens: dict[str, str]
    routes: dict[str, str | None]
    analytes: dict[str, str]
    ucum: dict[str, str]
    components: dict[str, dict[str, ComponentSpec]]
    syndromes: dict[str, _Concept]
    reverse: dict[tuple[str, str], str] = Field(default_factory=dict, exclude=True)

    # -- systems and URLs -------------------------------------------------------------------

    def system(self, key: str) -> str:
        return self.systems[key]

    def vocabulary_system(self, name: str) -> str:
        """The remission code system of a vocabulary (``.../CodeSystem/agents``)."""
        return self.systems["vocabulary"] + name.replace("_", "-")

    def grade_system(self, scale: str) -> str:
        """The code system of one grading scale: a grade and its scale travel as one coding."""
        return self.systems["grade"] + scale_slug(scale)

    def extension_url(self, name: str) -> str:
        return f"{self.base}/StructureDefinition/{name}"

    # -- codings ----------------------------------------------------------------------------

    def coding(self, system_key: str, code: str, display: str | None = None) -> Coding:
        out = {"system": self.systems[system_key], "code": code}
        if display:
            out["display"] = display
        return out

    def concept(self, key: str, *, text: str | None = None) -> dict[str, Any]:
        """A CodeableConcept for a remission concept, with its external codings."""
        c = self.concepts[key]
        codings = [self.coding("concept", key.replace("_", "-"), c.label)]
        codings += self._external(c)
        return {"coding": codings, "text": text or c.label}

    def _external(self, c: _Concept) -> list[Coding]:
        out: list[Coding] = []
        for key in ("loinc", "snomed", "icd10", "icdo3", "ncit"):
            code = getattr(c, key)
            if code:
                out.append(self.coding(key, code, c.label))
        return out

    def vocab_concept(self, name: str, term_id: str) -> dict[str, Any]:
        """A CodeableConcept for a vocabulary term, with SNOMED/LOINC where the YAML has one."""
        term = load_vocabulary(name).get(term_id)
        codings = [{"system": self.vocabulary_system(name), "code": term.id, "display": term.label}]
        external = {"sites": ("snomed", self.sites), "analytes": ("loinc", self.analytes)}
        if name in external:
            key, table = external[name]
            code = table.get(term.id)
            if code:
                codings.append(self.coding(key, code, term.label))
        return {"coding": codings, "text": term.label}

    def disease_concept(self, disease: str) -> dict[str, Any]:
        c = self.diseases[disease]
        codings = [self.coding("concept", f"disease-{disease.lower()}", c.label)]
        return {"coding": codings + self._external(c), "text": c.label}

    def lookup(self, system: str | None, code: str | None) -> str | None:
        """What an external or remission coding names, as ``kind:value`` (``site:cns``)."""
        if not system or not code:
            return None
        return self.reverse.get((system, code))


def scale_slug(scale: str) -> str:
    """``CTCAE v4.03`` -> ``ctcae-v4-03``: a grading scale as part of a code-system URL."""
    return re.sub(r"[^a-z0-9]+", "-", scale.lower()).strip("-")


@cache
def load_codes() -> Codes:
    """Load and check ``codes.yaml`` (cached); builds the reverse lookup of every coding."""
    text = resources.files("remission.interop.fhir").joinpath("codes.yaml").read_text("utf-8")
    codes = Codes.model_validate(yaml.safe_load(text))
    rev: dict[tuple[str, str], str] = {}
    sys_ = codes.systems

    def add(system: str, code: str, meaning: str) -> None:
        if (system, code) in rev and rev[(system, code)] != meaning:
            raise ValueError(
                f"codes.yaml: {system}|{code} names both {rev[(system, code)]} and {meaning}"
            )
        rev[(system, code)] = meaning

    for key, c in codes.concepts.items():
        add(sys_["concept"], key.replace("_", "-"), f"concept:{key}")
        for ext in ("loinc", "snomed"):
            if getattr(c, ext):
                add(sys_[ext], getattr(c, ext), f"concept:{key}")
    for disease, c in codes.diseases.items():
        add(sys_["concept"], f"disease-{disease.lower()}", f"disease:{disease}")
        for ext in ("icd10", "icdo3", "ncit", "snomed"):
            if getattr(c, ext):
                add(sys_[ext], getattr(c, ext), f"disease:{disease}")
    for site, code in codes.sites.items():
        load_vocabulary("sites").get(site)  # a site code must name a known site
        add(sys_["snomed"], code, f"site:{site}")
    for specimen, code in codes.specimens.items():
        add(sys_["snomed"], code, f"specimen:{specimen}")
    for route, route_code in codes.routes.items():
        if route_code:
            add(sys_["snomed"], route_code, f"route:{route}")
    for analyte, code in codes.analytes.items():
        load_vocabulary("analytes").get(analyte)
        add(sys_["loinc"], code, f"analyte:{analyte}")
    for name in ("presence", "detection"):
        for key, c in getattr(codes, name).items():
            for ext in ("loinc", "snomed"):
                if getattr(c, ext):
                    add(sys_[ext], getattr(c, ext), f"{name}:{key}")
    return codes.model_copy(update={"reverse": rev})
