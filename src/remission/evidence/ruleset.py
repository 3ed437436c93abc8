"""The extractor's rules as data: furniture, section headings, target concepts, ConText cues.

Each YAML file in ``remission/evidence/rules/`` loads into a frozen pydantic model, is validated
(every regular expression compiles, ids are unique, categories and directions are known) and
round-trips to YAML (``to_yaml``), as the vocabularies do. Code reads the rules; it does not
scatter terms of its own.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from remission.exceptions import VocabularyError

__all__ = [
    "ContextRuleSpec",
    "ContextRules",
    "FurnitureRule",
    "FurnitureRules",
    "SectionRules",
    "SectionSpec",
    "TargetRuleSpec",
    "TargetRules",
    "context_rules",
    "furniture_rules",
    "load_rules",
    "section_rules",
    "target_rules",
]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_yaml(self) -> str:
        return yaml.safe_dump(
            self.model_dump(mode="json", exclude_defaults=True), sort_keys=False, allow_unicode=True
        )


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from exc
    return pattern


class FurnitureRule(_Spec):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    pattern: str
    until: Literal["heading", "blank"] = "heading"
    max_length: int = Field(
        400, ge=1, description="Longer lines are prose and never this furniture."
    )

    _check = field_validator("pattern")(_compiles)


class FurnitureRules(_Spec):
    name: Literal["furniture"]
    description: str
    drop_line: tuple[FurnitureRule, ...]
    drop_block: tuple[FurnitureRule, ...]
    strip_label: tuple[FurnitureRule, ...]
    drop_after_label: tuple[FurnitureRule, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> FurnitureRules:
        ids = [
            r.id
            for group in (self.drop_line, self.drop_block, self.strip_label, self.drop_after_label)
            for r in group
        ]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"furniture rule ids used twice: {', '.join(dupes)}")
        return self


SectionRole = Literal["narrative", "background", "discussion"]


class SectionSpec(_Spec):
    category: str = Field(pattern=r"^[a-z][a-z_]*$")
    role: SectionRole
    headings: tuple[str, ...] = Field(min_length=1)


class SectionRules(_Spec):
    name: Literal["sections"]
    description: str
    sections: tuple[SectionSpec, ...]

    @model_validator(mode="after")
    def _unique(self) -> SectionRules:
        seen: dict[str, str] = {}
        for spec in self.sections:
            for heading in spec.headings:
                key = heading.lower()
                if key in seen and seen[key] != spec.category:
                    raise ValueError(
                        f"heading {heading!r} is in both {seen[key]!r} and {spec.category!r}"
                    )
                seen[key] = spec.category
        return self

    def role(self, category: str | None) -> SectionRole:
        """The role of a section category; text before any heading is narrative."""
        for spec in self.sections:
            if spec.category == category:
                return spec.role
        return "narrative"


class _PhrasesOrPattern(_Spec):
    """A rule matches either listed phrases (spaCy's PhraseMatcher on lower-cased tokens: fast)
    or one regular expression (for what phrases cannot say)."""

    phrases: tuple[str, ...] = ()
    pattern: str | None = None

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, v: str | None) -> str | None:
        return None if v is None else _compiles(v)

    @model_validator(mode="after")
    def _one_of(self) -> _PhrasesOrPattern:
        if bool(self.phrases) == bool(self.pattern):
            raise ValueError("a rule needs either phrases or a pattern (not both)")
        return self


class TargetRuleSpec(_PhrasesOrPattern):
    literal: str
    category: str = Field(pattern=r"^[A-Z][A-Z_]*$")


class TargetRules(_Spec):
    name: Literal["targets"]
    description: str
    rules: tuple[TargetRuleSpec, ...]


ContextDirection = Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"]


class ContextRuleSpec(_PhrasesOrPattern):
    literal: str
    category: str = Field(pattern=r"^[A-Z][A-Z_]*$")
    direction: ContextDirection
    max_scope: int | None = Field(None, ge=1, le=50)


class ContextRules(_Spec):
    name: Literal["context"]
    description: str
    rules: tuple[ContextRuleSpec, ...]


_MODELS: dict[str, type[_Spec]] = {
    "furniture": FurnitureRules,
    "sections": SectionRules,
    "targets": TargetRules,
    "context": ContextRules,
}


@cache
def load_rules(name: str) -> _Spec:
    """Load and validate one bundled rule file (``furniture``, ``sections``, ``targets``, ``context``)."""
    model = _MODELS.get(name)
    if model is None:
        raise VocabularyError(
            f"no extraction rule file named {name!r}; known: {', '.join(_MODELS)}"
        )
    path = resources.files("remission.evidence").joinpath("rules").joinpath(f"{name}.yaml")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return model.model_validate(raw)
    except FileNotFoundError as exc:
        raise VocabularyError(f"extraction rule file {name!r} is missing") from exc
    except (yaml.YAMLError, ValueError) as exc:
        raise VocabularyError(f"extraction rule file {name!r} is malformed: {exc}") from exc


def furniture_rules() -> FurnitureRules:
    rules = load_rules("furniture")
    assert isinstance(rules, FurnitureRules)
    return rules


def section_rules() -> SectionRules:
    rules = load_rules("sections")
    assert isinstance(rules, SectionRules)
    return rules


def target_rules() -> TargetRules:
    rules = load_rules("targets")
    assert isinstance(rules, TargetRules)
    return rules


def context_rules() -> ContextRules:
    rules = load_rules("context")
    assert isinstance(rules, ContextRules)
    return rules
