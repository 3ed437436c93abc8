"""Controlled vocabularies: terms with synonyms, loaded from the YAML files beside this module.

Agents, CAR-T products, disease sites, transplant donor types and laboratory analytes are data, not
constants in code (as medspaCy keeps its rules): each file loads into a :class:`Vocabulary`, is
validated (no two terms share a synonym), and round-trips to YAML. Text, case files, CSV and FHIR
meet in one term: "haploBMT", "haplo-HSCT" and "haploidentical transplant" all normalise to
``haploidentical``; "leukemides" to ``skin``.
"""

from __future__ import annotations

import difflib
import re
from functools import cache, cached_property
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from remission.exceptions import VocabularyError

__all__ = ["Term", "Vocabulary", "load_vocabulary", "normalize_key", "vocabulary_names"]


_IGNORED = re.compile(r"[\s_\-./,()'’]+")


def normalize_key(text: str) -> str:
    """Fold a surface form for lookup: case, spaces, hyphens, dots and slashes don't matter."""
    text = text.strip().lower().replace("α", "alpha").replace("γ", "gamma").replace("µ", "u")
    return _IGNORED.sub("", text)


class Term(BaseModel):
    """One concept: its canonical id, a human label, synonyms and fixed attributes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_/+\-]*$")
    label: str
    synonyms: tuple[str, ...] = ()
    attributes: dict[str, Any] = Field(default_factory=dict)

    def surface_forms(self) -> tuple[str, ...]:
        return (self.id, self.label, *self.synonyms)


class Vocabulary(BaseModel):
    """A named set of terms with a lookup that accepts any synonym."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str
    source: str = ""
    terms: tuple[Term, ...]

    @model_validator(mode="after")
    def _no_collisions(self) -> Vocabulary:
        seen: dict[str, str] = {}
        for term in self.terms:
            for form in term.surface_forms():
                key = normalize_key(form)
                if key in seen and seen[key] != term.id:
                    raise ValueError(
                        f"vocabulary {self.name!r}: {form!r} names both {seen[key]!r} and {term.id!r}"
                    )
                seen[key] = term.id
        return self

    @cached_property
    def _index(self) -> dict[str, Term]:
        return {normalize_key(f): t for t in self.terms for f in t.surface_forms()}

    @cached_property
    def _by_id(self) -> dict[str, Term]:
        return {t.id: t for t in self.terms}

    def lookup(self, text: str) -> Term | None:
        """The term a surface form names, or ``None``."""
        # a canonical id names its own term (collisions are refused when the vocabulary loads)
        term = self._by_id.get(text)
        return term if term is not None else self._index.get(normalize_key(text))

    def get(self, term_id: str) -> Term:
        """The term with this canonical id (``KeyError`` for anything else, synonyms included)."""
        term = self._by_id.get(term_id)
        if term is None:
            raise KeyError(f"{term_id!r} is not a term of vocabulary {self.name!r}")
        return term

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.terms)

    def suggest(self, text: str, n: int = 3) -> list[str]:
        """Closest canonical ids to a misspelt form, best first."""
        key = normalize_key(text)
        forms = {normalize_key(f): t.id for t in self.terms for f in t.surface_forms()}
        out: list[str] = []
        for match in difflib.get_close_matches(key, list(forms), n=n * 3, cutoff=0.6):
            if forms[match] not in out:
                out.append(forms[match])
        return out[:n]

    def normalize(self, text: str) -> str:
        """Canonical id of ``text``; ``ValueError`` naming the closest terms otherwise."""
        term = self.lookup(text)
        if term is not None:
            return term.id
        hint = self.suggest(text)
        msg = f"{text!r} is not a known {self.description}"  # e.g. "not a known disease site"
        if hint:
            msg += f"; did you mean {' or '.join(repr(h) for h in hint)}?"
        elif len(self.terms) <= 20:
            msg += f"; known: {', '.join(self.ids)}"
        raise ValueError(msg)

    def to_yaml(self) -> str:
        return yaml.safe_dump(
            self.model_dump(mode="json", exclude_defaults=True), sort_keys=False, allow_unicode=True
        )


def vocabulary_names() -> list[str]:
    """Names of the bundled vocabularies."""
    folder = resources.files("remission.model").joinpath("vocabularies")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def load_vocabulary(name: str) -> Vocabulary:
    """Load and validate a bundled vocabulary (cached)."""
    path = resources.files("remission.model").joinpath("vocabularies").joinpath(f"{name}.yaml")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Vocabulary.model_validate(raw)
    except FileNotFoundError as exc:
        raise VocabularyError(f"no bundled vocabulary named {name!r}") from exc
    except (yaml.YAMLError, ValueError) as exc:
        raise VocabularyError(f"bundled vocabulary {name!r} is malformed: {exc}") from exc
