"""Pydantic field types bound to controlled vocabularies and small closed code lists."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, WithJsonSchema

from remission.model.vocab import load_vocabulary

__all__ = [
    "Agent",
    "AnalyteId",
    "CarTProduct",
    "CellSource",
    "Costimulatory",
    "DonorType",
    "GradeScale",
    "ResponseCode",
    "Sex",
    "Site",
    "Target",
    "vocab_term",
]


def vocab_term(name: str) -> Any:
    """A string field that accepts any synonym of a vocabulary term and stores its canonical id."""

    def _check(value: Any) -> str:
        if not isinstance(value, str):
            desc = load_vocabulary(name).description
            article = "an" if desc[:1].lower() in "aeiou" else "a"
            raise ValueError(f"expected the name of {article} {desc}, as text")
        return load_vocabulary(name).normalize(value)

    vocab = load_vocabulary(name)
    return Annotated[
        str,
        BeforeValidator(_check),
        WithJsonSchema(
            {
                "type": "string",
                "description": f"A {vocab.description}: one of the canonical ids or any synonym "
                f"(vocabulary '{name}').",
                "examples": list(vocab.ids[:5]),
                "x-vocabulary": name,
            }
        ),
    ]


Agent = vocab_term("agents")
CarTProduct = vocab_term("car_t_products")
Site = vocab_term("sites")
DonorType = vocab_term("donor_types")
AnalyteId = vocab_term("analytes")

Sex = Literal["male", "female"]
Target = Literal["CD19", "CD22", "CD19/CD22", "other"]
Costimulatory = Literal["CD28", "4-1BB", "ICOS", "OX40", "CD27"]
CellSource = Literal["autologous", "donor_derived"]

#: Response codes (clinical-criteria.md section 3.1): CR, CRi, CRh, MLFS (morphologic
#: leukaemia-free state), PR, SD, NR (no response / refractory), PD (progressive disease).
ResponseCode = Literal["CR", "CRi", "CRh", "MLFS", "PR", "SD", "NR", "PD"]

#: Grading scales a stated toxicity grade may be in (clinical-criteria.md section 2).
GradeScale = Literal[
    "ASTCT 2019",
    "Lee 2014",
    "Penn",
    "CARTOX",
    "CRES",
    "MSKCC",
    "CTCAE v4.03",
    "CTCAE v5.0",
    "MAGIC",
    "Glucksberg",
    "NIH 2014",
    "unspecified",
]

_SCALE_SYNONYMS = {
    "astct": "ASTCT 2019",
    "astct2019": "ASTCT 2019",
    "asbmt": "ASTCT 2019",
    "astctconsensus": "ASTCT 2019",
    "lee": "Lee 2014",
    "lee2014": "Lee 2014",
    "nci2014": "Lee 2014",
    "nciconsensus": "Lee 2014",
    "lee2019": "ASTCT 2019",
    "astct2018": "ASTCT 2019",
    "mdanderson": "CARTOX",
    "pennchop": "Penn",
    "upennchop": "Penn",
    "penn": "Penn",
    "upenn": "Penn",
    "chop": "Penn",
    "penngrading": "Penn",
    "cartox": "CARTOX",
    "mdacc": "CARTOX",
    "cres": "CRES",
    "mskcc": "MSKCC",
    "ctcae4": "CTCAE v4.03",
    "ctcaev4": "CTCAE v4.03",
    "ctcaev403": "CTCAE v4.03",
    "ctcae403": "CTCAE v4.03",
    "ctcae5": "CTCAE v5.0",
    "ctcaev5": "CTCAE v5.0",
    "ctcaev50": "CTCAE v5.0",
    "ctcae50": "CTCAE v5.0",
    "magic": "MAGIC",
    "glucksberg": "Glucksberg",
    "nih": "NIH 2014",
    "nih2014": "NIH 2014",
    "unspecified": "unspecified",
    "notstated": "unspecified",
    "unknown": "unspecified",
}


def normalize_scale(value: Any) -> Any:
    """Accept the usual spellings of a grading scale ("Lee", "UPenn", "CTCAE 4.03")."""
    if not isinstance(value, str):
        return value
    key = "".join(ch for ch in value.lower() if ch.isalnum())
    return _SCALE_SYNONYMS.get(key, value)


ScaleField = Annotated[GradeScale, BeforeValidator(normalize_scale)]
