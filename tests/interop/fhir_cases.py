"""A hypothesis strategy for valid Cases that exercise every corner of the FHIR mapping:
every event type, partial dates of each precision, offsets in every unit (fractional too),
undated events, free text of any kind (empty, blank, non-ASCII, line breaks), stated grades in
every scale, bedside findings, observation series counted by day or placed by their own time,
BLQ points, and a draft's extraction block. Cases are valid by construction: times only count
forwards from earlier events, and nothing is dated before the diagnosis or after the death."""

from __future__ import annotations

import datetime as dt
from typing import Any, get_args

from hypothesis import strategies as st

from remission.model import Case
from remission.model.terms import GradeScale, ResponseCode
from remission.model.vocab import load_vocabulary

SCALES = list(get_args(GradeScale))
RESPONSES = list(get_args(ResponseCode))
AGENTS = list(load_vocabulary("agents").ids)
SITES = list(load_vocabulary("sites").ids)
PRODUCTS = list(load_vocabulary("car_t_products").ids)
DONOR_TYPES = list(load_vocabulary("donor_types").ids)
ANALYTES = [
    (t.id, [str(u) for u in t.attributes.get("units", ["%"])])
    for t in load_vocabulary("analytes").terms
]

text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
short = (
    st.text(
        alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters=" -/+:"),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool)
)
maybe = st.none() | st.just(None)
fraction = st.floats(0, 1, allow_nan=False).filter(lambda x: x == 0 or x > 1e-12)


@st.composite
def partial_date(draw: st.DrawFn, lo: int, hi: int) -> str:
    day = draw(st.dates(dt.date(lo, 1, 1), dt.date(hi, 12, 31)))
    return draw(st.sampled_from([f"{day.year}", f"{day.year}-{day.month:02d}", day.isoformat()]))


@st.composite
def offset(draw: st.DrawFn, ref: str) -> str:
    unit = draw(st.sampled_from(["d", "w", "mo", "y"]))
    limit = {"d": 400, "w": 50, "mo": 12, "y": 2}[unit]
    amount = draw(
        st.integers(0, limit) | st.floats(0, limit, allow_nan=False).map(lambda x: round(x, 3))
    )
    if amount == int(amount):
        amount = int(amount)
    return f"{ref}+{amount}{unit}"


def opt(draw: st.DrawFn, strategy: Any, p: bool | None = None) -> Any:
    return draw(strategy) if (p if p is not None else draw(st.booleans())) else None


def put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != [] and value != {}:
        target[key] = value


@st.composite
def crs_findings(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    put(out, "temperature_c", opt(draw, st.floats(35, 41.5).map(lambda x: round(x, 1))))
    if draw(st.booleans()):
        out["hypotension"] = True
        if draw(st.booleans()):
            out["fluids_only"] = True
        else:
            put(
                out,
                "vasopressors",
                draw(
                    st.lists(
                        st.sampled_from(["norepinephrine", "vasopressin", "Adrenaline"]), max_size=2
                    )
                ),
            )
    if draw(st.booleans()):
        device = draw(st.sampled_from(["nasal_cannula", "HFNC", "none", "bipap"]))
        oxygen: dict[str, Any] = {"device": device}
        if device != "none" and draw(st.booleans()):
            oxygen["flow_l_min"] = draw(st.floats(0.5, 60).map(lambda x: round(x, 1)))
        out["oxygen"] = oxygen
    put(
        out,
        "organ_toxicity_ctcae",
        draw(
            st.dictionaries(
                st.sampled_from(["liver", "kidney", "heart muscle"]), st.integers(1, 5), max_size=2
            )
        ),
    )
    put(out, "fever_masked_after_crs", opt(draw, st.just(True)))
    return out


@st.composite
def icans_findings(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    put(out, "age_years", opt(draw, st.floats(0.5, 80).map(lambda x: round(x, 2))))
    put(out, "ice_score", opt(draw, st.integers(0, 10)))
    put(out, "capd_score", opt(draw, st.integers(0, 32)))
    put(out, "consciousness", opt(draw, st.sampled_from(["awakens_to_voice", "normal"])))
    put(out, "seizure", opt(draw, st.sampled_from(["rapidly_resolving_clinical", "none"])))
    put(
        out,
        "other_findings",
        draw(
            st.lists(
                st.sampled_from(["tremor", "headache", "word finding pause"]),
                max_size=2,
                unique=True,
            )
        ),
    )
    return out


@st.composite
def cases(draw: st.DrawFn) -> Case:
    case: dict[str, Any] = {
        "id": draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,30}", fullmatch=True))
    }
    case["status"] = draw(st.sampled_from(["final", "draft"]))
    if draw(st.booleans()):
        case["source"] = {
            "kind": draw(st.sampled_from(["case_report", "clinical_record", "synthetic"]))
        }
        put(case["source"], "citation", opt(draw, text))
        put(case["source"], "doi", opt(draw, short))
    put(case, "notes", opt(draw, text))
    put(case, "complete_history", opt(draw, st.booleans()))
    patient: dict[str, Any] = {}
    put(patient, "sex", opt(draw, st.sampled_from(["male", "female"])))
    put(patient, "birth_year", opt(draw, st.integers(1930, 1999)))
    put(patient, "ethnicity", opt(draw, short))
    put(patient, "down_syndrome", opt(draw, st.booleans()))
    put(patient, "note", opt(draw, text))
    case["patient"] = patient

    dx: dict[str, Any] = {"date": draw(partial_date(2000, 2004))}
    dx["disease"] = draw(st.sampled_from(["B-ALL", "T-ALL", "MPAL", "other"]))
    ph = opt(draw, st.booleans())
    put(dx, "ph_positive", ph)
    if ph:
        put(
            dx, "bcr_abl1_transcript", opt(draw, st.sampled_from(["p190", "p210", "p230", "other"]))
        )
    put(
        dx,
        "kinase_mutations",
        draw(st.lists(st.sampled_from(["T315I", "E255K", "F317L"]), max_size=2)),
    )
    put(dx, "kmt2a_rearranged", opt(draw, st.booleans()))
    put(dx, "genetics", draw(st.lists(short, max_size=2)))
    put(dx, "cd19", opt(draw, st.sampled_from(["positive", "dim"])))
    put(dx, "wbc_10e9_l", opt(draw, st.floats(0, 2000, allow_nan=False)))
    put(dx, "subtype", opt(draw, short))
    put(dx, "note", opt(draw, text))
    case["diagnosis"] = dx

    timeline: list[dict[str, Any]] = []
    earlier = ["diagnosis"]
    treatments: list[str] = []  # therapies, infusions, transplants
    kinds = [
        "therapy",
        "car_t_infusion",
        "hsct",
        "relapse",
        "disease_assessment",
        "toxicity",
        "follow_up",
        "other",
    ]
    for n in range(draw(st.integers(0, 9))):
        kind = draw(st.sampled_from(kinds))
        ev: dict[str, Any] = {"id": f"{kind[:4]}{n}", "type": kind}
        form = draw(st.sampled_from(["offset", "date", "none"]))
        when: Any = None
        if form == "offset":
            when = draw(offset(draw(st.sampled_from(earlier))))
        elif form == "date":
            when = draw(partial_date(2006, 2010))
        put(ev, "note", opt(draw, text))
        if kind == "therapy":
            put(ev, "start", when)
            ev["agents"] = draw(
                st.lists(st.sampled_from(AGENTS), min_size=0, max_size=3, unique=True)
            )
            if not ev["agents"] or draw(st.booleans()):
                ev["protocol"] = draw(short)
            if when is not None and draw(st.booleans()):
                ev["end"] = draw(offset(ev["id"]))
            put(ev, "intent", opt(draw, st.sampled_from(["induction", "salvage", "bridging"])))
            put(ev, "line", opt(draw, st.integers(1, 5)))
            put(ev, "courses", opt(draw, st.integers(1, 6)))
            put(ev, "cycle", opt(draw, st.integers(1, 6)))
            put(
                ev,
                "route",
                opt(draw, st.sampled_from(["iv", "oral", "intrathecal", "external_beam"])),
            )
            if draw(st.booleans()):
                ev["dose"] = {
                    "value": draw(st.floats(0.001, 1e9)),
                    "unit": draw(st.sampled_from(["mg/m2", "ug/m2/day", "Gy"])),
                }
            put(ev, "radiation_site", opt(draw, st.sampled_from(SITES)))
            therapies = [t for t in timeline if t["type"] == "therapy"]
            if therapies and draw(st.booleans()):
                ev["added_to"] = therapies[-1]["id"]
            treatments.append(ev["id"])
        elif kind == "car_t_infusion":
            put(ev, "date", when)
            ev["product"] = draw(st.sampled_from(PRODUCTS))
            if ev["product"] == "investigational":
                put(ev, "target", opt(draw, st.sampled_from(["CD19", "CD22", "CD19/CD22"])))
                either = draw(st.booleans())
                put(
                    ev,
                    "costimulatory_either" if either else "costimulatory",
                    draw(st.lists(st.sampled_from(["CD28", "4-1BB"]), max_size=2, unique=True)),
                )
                source = opt(draw, st.sampled_from(["autologous", "donor_derived"]))
                put(ev, "cell_source", source)
                if source == "donor_derived" and draw(st.booleans()):
                    ev["donor"] = {"relation": "sister", "hla_match": "5/10"}
            put(ev, "construct_name", opt(draw, short))
            if draw(st.booleans()):
                ev["dose"] = {"value": draw(st.floats(1e5, 1e9)), "unit": "cells/kg"}
            if draw(st.booleans()):
                ld: dict[str, Any] = {"agents": ["fludarabine", "cyclophosphamide"]}
                put(ld, "start", opt(draw, st.just(f"{ev['id']}-5d")))
                ev["lymphodepletion"] = ld
            put(ev, "trial", opt(draw, short))
            treatments.append(ev["id"])
        elif kind == "hsct":
            put(ev, "date", when)
            auto = draw(st.booleans())
            ev["kind"] = "autologous" if auto else "allogeneic"
            if not auto:
                put(ev, "donor_type", opt(draw, st.sampled_from(DONOR_TYPES)))
            put(ev, "graft_source", opt(draw, st.sampled_from(["bone_marrow", "cord_blood"])))
            if draw(st.booleans()):
                ev["conditioning"] = {
                    "intensity": "myeloablative",
                    "agents": ["busulfan"],
                    "tbi_gy": draw(st.floats(0, 12)),
                }
            treatments.append(ev["id"])
        elif kind == "relapse":
            put(ev, "date", when)
            put(ev, "number", opt(draw, st.integers(1, 5)))
            put(ev, "sites", draw(st.lists(st.sampled_from(SITES), max_size=3, unique=True)))
            put(ev, "marrow_blasts_pct", opt(draw, st.floats(0, 100)))
            put(ev, "molecular", opt(draw, st.booleans()))
            put(
                ev,
                "kinase_mutations",
                draw(st.lists(st.sampled_from(["T315I", "Y253H"]), max_size=2)),
            )
            put(ev, "genetics", draw(st.lists(short, max_size=2)))
            put(ev, "extent", opt(draw, short))
        elif kind == "disease_assessment":
            target = opt(draw, st.sampled_from(treatments or ["diagnosis"]))
            put(ev, "assesses", target)
            put(ev, "date", draw(offset(target)) if target and form != "none" else when)
            put(ev, "response", opt(draw, st.sampled_from(RESPONSES)))
            put(ev, "marrow_blasts_pct", opt(draw, st.floats(0, 100)))
            put(ev, "anc_10e9_l", opt(draw, st.floats(0, 500)))
            put(ev, "b_cell_aplasia", opt(draw, st.booleans()))
            if draw(st.booleans()):
                mrd: dict[str, Any] = {}
                value = opt(draw, fraction)
                put(mrd, "value", value)
                if value is None or value == 0 or draw(st.booleans()):
                    mrd["detectable"] = bool(value) if value is not None else draw(st.booleans())
                put(mrd, "method", opt(draw, st.sampled_from(["flow", "ngs", "rq_pcr_ig_tr"])))
                put(mrd, "sensitivity", opt(draw, st.sampled_from([1e-4, 1e-5, 1e-6])))
                put(mrd, "sample", opt(draw, st.sampled_from(["blood", "marrow"])))
                ev["mrd"] = mrd
            if draw(st.booleans()):
                csf: dict[str, Any] = {}
                put(csf, "wbc_per_ul", opt(draw, st.floats(0, 1000)))
                put(csf, "blasts_present", opt(draw, st.booleans()))
                put(csf, "cns_status_stated", opt(draw, st.sampled_from(["CNS1", "CNS3"])))
                put(csf, "clinical_signs", opt(draw, st.booleans()))
                ev["csf"] = csf
            if draw(st.booleans()):
                ev["extramedullary"] = [
                    {"site": draw(st.sampled_from(SITES)), "status": "resolved"}
                ]
            if draw(st.booleans()):
                ev["imaging"] = [
                    {
                        "modality": "PET/CT",
                        "result": "negative",
                        "sites": ["bone"],
                        "finding": draw(short),
                    }
                ]
        elif kind == "toxicity":
            ev["syndrome"] = draw(st.sampled_from(["crs", "icans", "gvhd", "infection", "other"]))
            if ev["syndrome"] == "other":
                ev["term"] = draw(short)
            if ev["syndrome"] == "gvhd":
                put(ev, "gvhd_kind", opt(draw, st.sampled_from(["acute", "chronic"])))
                put(ev, "organs", draw(st.lists(st.sampled_from(["skin", "gut"]), max_size=2)))
            target = opt(draw, st.sampled_from(treatments or ["diagnosis"]))
            put(ev, "after", target)
            onset = draw(offset(target)) if target and form != "none" else when
            put(ev, "onset", onset)
            if onset is not None and draw(st.booleans()):
                ev["resolved"] = draw(offset(ev["id"]))
            if draw(st.booleans()):
                ev["grade"] = {
                    "grade": draw(st.integers(0, 5)),
                    "scale": draw(st.sampled_from(SCALES)),
                }
            put(
                ev,
                "treatments",
                draw(
                    st.lists(
                        st.sampled_from(["tocilizumab", "dexamethasone", "anakinra"]),
                        max_size=2,
                        unique=True,
                    )
                ),
            )
        elif kind == "follow_up":
            put(ev, "date", when)
            put(ev, "alive", opt(draw, st.booleans()))
            put(
                ev,
                "disease_status",
                opt(draw, st.sampled_from(["remission", "relapse", "refractory"])),
            )
            put(ev, "car_t_persistence", opt(draw, st.booleans()))
        else:
            put(ev, "date", when)
            ev["label"] = draw(short)
        timeline.append(ev)
        earlier.append(ev["id"])
    if draw(st.booleans()):
        death: dict[str, Any] = {
            "id": "death",
            "type": "death",
            "date": draw(st.sampled_from(["diagnosis+30y", "2041-06"])),
        }
        put(death, "cause", opt(draw, st.sampled_from(["disease", "crs", "infection", "unknown"])))
        timeline.append(death)
    case["timeline"] = timeline
    ids = [e["id"] for e in timeline]
    treatments_now = [
        e["id"] for e in timeline if e["type"] in ("therapy", "car_t_infusion", "hsct")
    ]
    if treatments_now and draw(st.booleans()):
        case["index"] = draw(
            st.lists(st.sampled_from(treatments_now), min_size=1, max_size=2, unique=True)
        )

    assessments = []
    for _ in range(draw(st.integers(0, 3))):
        a: dict[str, Any] = {"at": draw(offset(draw(st.sampled_from(["diagnosis", *ids]))))}
        if draw(st.booleans()):
            a["crs"] = draw(crs_findings())
        if "crs" not in a or draw(st.booleans()):
            a["icans"] = draw(icans_findings())
        put(a, "note", opt(draw, text))
        assessments.append(a)
    case["assessments"] = assessments

    series = []
    for k in range(draw(st.integers(0, 2))):
        analyte, units = draw(st.sampled_from(ANALYTES))
        s: dict[str, Any] = {
            "id": f"series{k}",
            "analyte": analyte,
            "unit": draw(st.sampled_from(units)),
        }
        put(
            s, "specimen", opt(draw, st.sampled_from(["blood", "serum", "csf", "marrow", "plasma"]))
        )
        put(s, "method", opt(draw, short))
        lloq = opt(draw, st.sampled_from([0.01, 5.0, 50.0]))
        put(s, "lloq", lloq)
        points = []
        anchored = draw(st.booleans())
        if anchored:
            s["anchor"] = draw(st.sampled_from(["diagnosis", *ids]))
        days = draw(
            st.lists(
                st.integers(-10, 400) | st.floats(-10, 400).map(lambda x: round(x, 2)),
                min_size=1,
                max_size=5,
                unique=True,
            )
        )
        for d in days:
            p: dict[str, Any] = (
                {"day": d}
                if anchored and draw(st.integers(0, 3))
                else {"at": draw(offset(draw(st.sampled_from(["diagnosis", *ids]))))}
            )
            if draw(st.integers(0, 4)) == 0:
                p["blq"] = True
                put(p, "value", opt(draw, st.floats(0, lloq or 1)))
            else:
                p["value"] = draw(st.floats(lloq or 0, 1e6))
            points.append(p)
        if len({p.get("day") for p in points if "day" in p}) != len(
            [p for p in points if "day" in p]
        ):
            continue
        s["points"] = points
        put(s, "note", opt(draw, text))
        series.append(s)
    case["observations"] = series

    if draw(st.booleans()):
        report = draw(text)
        ex: dict[str, Any] = {"extractor": "rules 1", "text_sha256": "0" * 64, "text": report}
        if report:
            end = draw(st.integers(1, len(report)))
            ex["values"] = [
                {
                    "field": "crs_max_grade",
                    "value": draw(st.integers(0, 4) | st.lists(short, max_size=2) | st.none()),
                    "evidence": [
                        {
                            "spans": [{"start": 0, "end": end, "text": report[:end]}],
                            "match": "synonym",
                        }
                    ],
                    "status": draw(st.sampled_from(["pending", "edited"])),
                    "reviewed_at": draw(
                        st.none()
                        | st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)).map(str)
                    ),
                }
            ]
        case["extraction"] = ex
    return Case.model_validate(case)
