"""Hand-built extraction results for the draft, review and evaluation tests (no extractor needed)."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import strategies as st

from remission.evidence.result import ExtractedEvent, ExtractionResult, PatientResult
from remission.model import CaseSummary, CohortSummary, Evidence, ExtractedValue, TextSpan

TEXT = (
    "A 34-year-old man with Ph-positive B-ALL (p190, T315I) had a second relapse in the marrow "
    "and the CNS after an allogeneic transplant. He received tisagenlecleucel with ponatinib. "
    "Grade 2 CRS (ASTCT) followed; there was no ICANS. The day-28 marrow showed an MRD-negative "
    "complete remission and he proceeded to a second allogeneic transplant. He is alive and in "
    "remission 14.5 months after the infusion."
)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def evidence(text: str, words: str) -> Evidence:
    start = text.find(words)
    if start < 0:
        start, words = 0, text[:5]
    return Evidence(spans=(TextSpan(start=start, end=start + len(words), text=words),))


def values_for(summary: CaseSummary, text: str = TEXT) -> tuple[ExtractedValue, ...]:
    """One value per non-empty field (index therapies per row), each with a span of the text."""
    out = []
    for name, value in summary.model_dump(mode="json", by_alias=True).items():
        if value is None or value == []:
            continue
        if name == "index_therapies":
            for i, row in enumerate(value):
                out.append(
                    ExtractedValue(
                        field=f"index_therapies[{i}]",
                        value=row,
                        evidence=(evidence(text, "tisagenlecleucel"),),
                    )
                )
        elif name == "extramedullary_sites":
            for i, site in enumerate(value):
                out.append(
                    ExtractedValue(
                        field=f"extramedullary_sites[{i}]",
                        value=site,
                        evidence=(evidence(text, "CNS"),),
                    )
                )
        else:
            out.append(ExtractedValue(field=name, value=value, evidence=(evidence(text, "34"),)))
    return tuple(out)


def result_for(
    *summaries: CaseSummary,
    text: str = TEXT,
    file: str | None = "reports/001-example.txt",
    events: tuple[ExtractedEvent, ...] = (),
    kind: str | None = None,
    cohort: CohortSummary | None = None,
) -> ExtractionResult:
    patients = tuple(
        PatientResult(
            label=f"Patient {i}" if len(summaries) > 1 else None,
            summary=s,
            values=values_for(s, text),
            events=events if i == 1 else (),
        )
        for i, s in enumerate(summaries, 1)
    )
    return ExtractionResult(
        file=file,
        kind=kind or ("case_report" if len(summaries) == 1 else "case_series"),  # type: ignore[arg-type]
        extractor="hand-made",
        text_sha256=sha(text),
        patients=patients,
        cohort=cohort,
    )


FULL = CaseSummary.model_validate(
    {
        "age_years": 34,
        "sex": "male",
        "diagnosis": "B-ALL",
        "ph_positive": True,
        "bcr_abl_transcript": "p190",
        "abl_kinase_mutations": ["T315I"],
        "relapse_count": 2,
        "refractory": True,
        "prior_hsct": True,
        "extramedullary_sites": ["cns"],
        "cns_involvement": True,
        "index_therapies": [
            {
                "class": "car_t",
                "agent": "tisagenlecleucel",
                "target": "CD19",
                "cell_source": "autologous",
                "costimulatory": ["4-1BB"],
            },
            {"class": "tki", "agent": "ponatinib"},
        ],
        "response": "CR",
        "mrd_negative": True,
        "crs_max_grade": 2,
        "icans_max_grade": 0,
        "alive_at_last_follow_up": True,
        "relapse_after": False,
        "bridged_to_hsct": True,
        "follow_up_months": 14.5,
    }
)

# --- hypothesis strategies: summaries the Case model can carry exactly ------------------------

_VOCAB_AGENTS = {
    "bispecific": ["blinatumomab"],
    "antibody_drug_conjugate": ["inotuzumab_ozogamicin"],
    "tki": ["ponatinib", "dasatinib", "imatinib"],
    "chemotherapy": ["cytarabine", "fludarabine", "vincristine"],
}


@st.composite
def therapy_rows(draw: Any) -> dict[str, Any]:
    cls = draw(st.sampled_from(["car_t", "car_t", "hsct", *_VOCAB_AGENTS]))
    if cls == "car_t":
        product = draw(st.sampled_from([None, "tisagenlecleucel", "brexucabtagene_autoleucel"]))
        if product == "tisagenlecleucel":
            return {
                "class": "car_t",
                "agent": product,
                "target": "CD19",
                "cell_source": "autologous",
                "costimulatory": ["4-1BB"],
            }
        if product == "brexucabtagene_autoleucel":
            return {
                "class": "car_t",
                "agent": product,
                "target": "CD19",
                "cell_source": "autologous",
                "costimulatory": ["CD28"],
            }
        row: dict[str, Any] = {"class": "car_t"}
        row["target"] = draw(st.sampled_from([None, "CD19", "CD22", "CD19/CD22"]))
        row["cell_source"] = draw(st.sampled_from([None, "autologous", "donor_derived"]))
        row["costimulatory"] = draw(st.sampled_from([[], ["CD28"], ["4-1BB"]]))
        return row
    if cls == "hsct":
        return {"class": "hsct"}
    agent = draw(st.sampled_from(_VOCAB_AGENTS[cls]))
    row = {"class": cls, "agent": agent, "courses": draw(st.one_of(st.none(), st.integers(1, 6)))}
    if agent == "blinatumomab":
        row["target"] = "CD19"
    if agent == "inotuzumab_ozogamicin":
        row["target"] = "CD22"
    return row


def _opt(strategy: Any) -> Any:
    return st.one_of(st.none(), strategy)


@st.composite
def carried_summaries(draw: Any) -> CaseSummary:
    """A CaseSummary inside what a draft can say (see draft.NOT_CARRIED for the outside)."""
    rows = draw(st.lists(therapy_rows(), min_size=1, max_size=3))
    ph = draw(_opt(st.booleans()))
    response = draw(_opt(st.sampled_from(["CR", "CRi", "PR", "NR"])))
    sites = draw(
        st.lists(
            st.sampled_from(["testis", "skin", "lymph_node", "soft_tissue", "bone", "other"]),
            unique=True,
            max_size=3,
        )
    )
    cns = draw(_opt(st.booleans()))
    relapse_count = draw(st.integers(1, 5))
    responded = response in ("CR", "CRi", "PR")
    alive = draw(_opt(st.booleans()))
    follow_up = draw(_opt(st.floats(0, 120).map(lambda x: round(x, 1))))
    relapse_after = draw(_opt(st.booleans())) if responded else None
    if alive is None and (follow_up is not None or relapse_after is False):
        alive = True
    data = {
        "age_years": draw(_opt(st.floats(0, 90).map(lambda x: round(x, 2)))),
        "sex": draw(_opt(st.sampled_from(["male", "female"]))),
        "diagnosis": draw(st.sampled_from(["B-ALL", "T-ALL", "other"])),
        "ph_positive": ph,
        "bcr_abl_transcript": draw(_opt(st.sampled_from(["p190", "p210"]))) if ph else None,
        "abl_kinase_mutations": draw(st.sampled_from([[], ["T315I"], ["T315I", "E255K"]])),
        "relapse_count": relapse_count,
        "refractory": draw(_opt(st.booleans())),
        "prior_hsct": draw(st.sampled_from([None, True])),
        "extramedullary_sites": (["cns"] if cns else []) + sites,
        "cns_involvement": bool(cns),
        "index_therapies": rows,
        "response": response,
        "mrd_negative": draw(_opt(st.booleans())),
        "crs_max_grade": draw(_opt(st.integers(0, 5))),
        "icans_max_grade": draw(_opt(st.integers(0, 5))),
        "gvhd": draw(_opt(st.booleans())),
        "relapse_after": relapse_after,
        "alive_at_last_follow_up": alive,
        "bridged_to_hsct": draw(st.sampled_from([None, True]))
        if response in ("CR", "CRi")
        else None,
        "follow_up_months": follow_up,
    }
    return CaseSummary.model_validate(data)


def any_summaries() -> Any:
    """Any valid CaseSummary (including what a draft cannot carry)."""
    return st.builds(
        CaseSummary,
        age_years=_opt(st.floats(-5, 200, allow_nan=False)),
        sex=_opt(st.sampled_from(["male", "female"])),
        diagnosis=_opt(st.sampled_from(["B-ALL", "T-ALL", "other"])),
        ph_positive=_opt(st.booleans()),
        bcr_abl_transcript=_opt(st.sampled_from(["p190", "p210"])),
        abl_kinase_mutations=st.lists(st.sampled_from(["T315I", "E255K", "weird"]), max_size=2),
        relapse_count=_opt(st.integers(0, 30)),
        refractory=_opt(st.booleans()),
        prior_hsct=_opt(st.booleans()),
        extramedullary_sites=st.lists(
            st.sampled_from(["cns", "testis", "skin", "other"]), unique=True, max_size=3
        ),
        cns_involvement=_opt(st.booleans()),
        index_therapies=st.lists(
            st.one_of(
                therapy_rows().map(lambda r: r),
                st.fixed_dictionaries(
                    {
                        "class": st.sampled_from(["chemotherapy", "other", "car_t"]),
                        "agent": _opt(st.text(max_size=8)),
                        "courses": _opt(st.integers(-2, 200)),
                    }
                ),
            ).map(lambda d: d),
            max_size=3,
        ),
        response=_opt(st.sampled_from(["CR", "CRi", "PR", "NR"])),
        mrd_negative=_opt(st.booleans()),
        crs_max_grade=_opt(st.integers(0, 5)),
        icans_max_grade=_opt(st.integers(0, 5)),
        gvhd=_opt(st.booleans()),
        relapse_after=_opt(st.booleans()),
        alive_at_last_follow_up=_opt(st.booleans()),
        bridged_to_hsct=_opt(st.booleans()),
        follow_up_months=_opt(st.floats(-10, 500, allow_nan=False)),
    )
