"""Generate the field reference of the case-file format from the model (never by hand).

``python -m remission.docgen > docs/case-reference.md``; a test checks the committed file is
current, so the reference cannot drift from the schema.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from remission.model import (
    HSCT,
    MRD,
    Age,
    AgeStats,
    CarTInfusion,
    Case,
    CohortAggregate,
    Conditioning,
    CountStat,
    CRSAssessment,
    CSFFindings,
    DailyAssessment,
    Death,
    Diagnosis,
    DiseaseAssessment,
    Donor,
    Dose,
    Evidence,
    ExtractedValue,
    Extraction,
    ExtramedullaryFinding,
    FollowUp,
    ICANSAssessment,
    Imaging,
    IndexTherapySpec,
    Lymphodepletion,
    ObservationPoint,
    ObservationSeries,
    OtherEvent,
    Patient,
    Relapse,
    Source,
    StatedGrade,
    TextSpan,
    Therapy,
    ToxicityEpisode,
    load_vocabulary,
    vocabulary_names,
)

SECTIONS: list[tuple[str, list[type[BaseModel]]]] = [
    ("Document", [Case, Source, Patient, Age, Diagnosis]),
    (
        "Timeline events",
        [
            Therapy,
            CarTInfusion,
            HSCT,
            Relapse,
            DiseaseAssessment,
            ToxicityEpisode,
            Death,
            FollowUp,
            OtherEvent,
        ],
    ),
    (
        "Parts of events",
        [
            Dose,
            Lymphodepletion,
            Donor,
            Conditioning,
            MRD,
            CSFFindings,
            ExtramedullaryFinding,
            Imaging,
            StatedGrade,
        ],
    ),
    ("Bedside assessments", [DailyAssessment, CRSAssessment, ICANSAssessment]),
    ("Observations", [ObservationSeries, ObservationPoint]),
    ("Cohort aggregate", [CohortAggregate, AgeStats, IndexTherapySpec, CountStat]),
    ("Drafts from report text", [Extraction, ExtractedValue, Evidence, TextSpan]),
]


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is typing.Annotated:
        meta = get_args(tp)[1:]
        for m in meta:
            schema = getattr(m, "json_schema", None)
            if isinstance(schema, dict) and "x-vocabulary" in schema:
                return f"term ({schema['x-vocabulary']})"
            if (
                isinstance(schema, dict)
                and "examples" in schema
                and "partial date" in str(schema.get("description", ""))
            ):
                return "time"
        return _type_name(get_args(tp)[0])
    if origin is Literal:
        return " \\| ".join(f"`{a}`" for a in get_args(tp))
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        return " or ".join(_type_name(a) for a in args)
    if origin in (tuple, list):
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return "mapping"
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"[{tp.__name__}](#{tp.__name__.lower()})"
    return getattr(tp, "__name__", str(tp))


def _constraints(info: FieldInfo) -> str:
    out = []
    for m in info.metadata:
        for attr, sym in (
            ("ge", ">="),
            ("gt", ">"),
            ("le", "<="),
            ("lt", "<"),
            ("min_length", "min items"),
        ):
            v = getattr(m, attr, None)
            if v is not None:
                out.append(f"{sym} {v}")
    return ", ".join(out)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    d = info.default
    if d is None or d == () or d == []:
        return ""
    if isinstance(d, BaseModel):
        return ""
    return f"`{d}`"


def model_table(model: type[BaseModel]) -> str:
    lines = [f"### {model.__name__}", ""]
    doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    if doc:
        lines += [doc, ""]
    lines += ["| field | type | default | constraints | meaning |", "|---|---|---|---|---|"]
    for name, info in model.model_fields.items():
        shown = info.alias or name
        desc = (info.description or "").replace("|", "\\|")
        lines.append(
            f"| `{shown}` | {_type_name(info.annotation)} | {_default(info)} | {_constraints(info)} | {desc} |"
        )
    return "\n".join(lines) + "\n"


def vocabulary_section() -> str:
    lines = ["## Vocabularies", "", "Any synonym is accepted and stored as the canonical id.", ""]
    for name in vocabulary_names():
        vocab = load_vocabulary(name)
        lines += [
            f"### {name}",
            "",
            vocab.description.capitalize() + ". " + vocab.source.strip(),
            "",
            "| id | label | synonyms |",
            "|---|---|---|",
        ]
        for term in vocab.terms:
            lines.append(f"| `{term.id}` | {term.label} | {', '.join(term.synonyms)} |")
        lines.append("")
    return "\n".join(lines)


def render() -> str:
    parts = [
        "# Case-file field reference",
        "",
        "Generated from the model by `python -m remission.docgen`; do not edit by hand.",
        "The guide with a full annotated example is [case-format.md](case-format.md).",
        "",
    ]
    for title, models in SECTIONS:
        parts += [f"## {title}", ""]
        parts += [model_table(m) for m in models]
    parts.append(vocabulary_section())
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
