"""The generator: deterministic, valid, round-tripping, chronologically sane and varied."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from remission.casefile import dump_document, parse_document_text
from remission.model import (
    HSCT,
    CarTInfusion,
    Death,
    DiseaseAssessment,
    FollowUp,
    Relapse,
    Therapy,
    ToxicityEpisode,
)
from remission.rules import summarize
from remission.synth import (
    DEFAULT_PARAMS,
    SynthParams,
    case_rng,
    case_text,
    generate_case,
    generate_cohort,
)


def test_same_seed_same_cases_and_case_i_does_not_depend_on_n():
    first = [dump_document(c) for c in generate_cohort(30, seed=7)]
    again = [dump_document(c) for c in generate_cohort(30, seed=7)]
    assert first == again
    assert [dump_document(c) for c in generate_cohort(10, seed=7)] == first[:10]
    assert [dump_document(c) for c in generate_cohort(5, seed=7, start=21)] == first[20:25]
    other = [dump_document(c) for c in generate_cohort(30, seed=8)]
    assert sum(a != b for a, b in zip(first, other, strict=True)) >= 29


def test_generate_case_is_its_stream():
    a = generate_case(case_rng(3, 12), 12)
    b = next(generate_cohort(1, seed=3, start=12))
    assert a == b and a.id == "synth-000012"


def test_every_case_validates_round_trips_and_fast_text_is_dump_document(cohort):
    for drawn in cohort[:120]:
        case = drawn.case
        text = case_text(case)
        assert text == dump_document(case), case.id
        assert parse_document_text(text, case.id) == case, case.id


def test_ids_source_and_completeness(cohort):
    ids = [d.case.id for d in cohort]
    assert ids[0] == "synth-000001" and ids[-1] == f"synth-{len(ids):06d}"
    for d in cohort[:200]:
        assert d.case.source is not None and d.case.source.kind == "synthetic"
        assert d.case.complete_history is True
        assert d.case.status == "final"


def test_chronology_is_sane(cohort):
    cutoff = DEFAULT_PARAMS.data_cutoff.toordinal()
    for d in cohort[:800]:
        c = d.case
        times = c.resolved_times
        dx = times["diagnosis"]
        previous = dx.lo
        for ev in c.timeline:
            t = times[ev.id]
            assert t.axis is None and t.exact, (c.id, ev.id)
            assert t.lo >= dx.lo, (c.id, ev.id)
            assert t.lo >= previous, f"{c.id}: {ev.id} listed out of order"
            previous = t.lo
        last = c.timeline[-1]
        assert isinstance(last, Death | FollowUp), c.id
        assert sum(isinstance(e, Death | FollowUp) for e in c.timeline) == 1, c.id
        end = times[last.id].lo
        assert end <= cutoff, c.id
        index_day = times[c.index[0]].lo
        for a in c.assessments:
            placed = c.place(a.at)
            assert placed is not None and index_day <= placed.lo <= end, c.id
        for series in c.observations:
            assert series.anchor == c.index[0]
            for p in series.points:
                assert p.day is not None and p.day >= 0 and index_day + p.day <= end, c.id
        # a line of therapy is over before the next relapse, transplant or cell infusion
        milestones = sorted(
            times[e.id].lo
            for e in c.timeline
            if isinstance(e, Relapse | HSCT | CarTInfusion) or e.id in ("apheresis", c.index[0])
        )
        for t in c.events(Therapy):
            if t.end is None or t.intent == "bridging":
                continue
            start, stop = times[t.id].lo, c.place(t.end).lo
            following = [m for m in milestones if m > start]
            assert not following or stop <= following[0], f"{c.id}: {t.id} overlaps"
        birth = dt.date(c.patient.birth_year, 1, 1).toordinal()
        assert birth <= dx.lo, c.id


def test_grading_gives_one_episode_per_syndrome_and_never_not_assessable(cohort):
    for d in cohort[:600]:
        g = d.grading
        assert all(a.result.grade is not None for a in g.assessments), d.case.id
        for syndrome in ("crs", "icans"):
            assert len(g.episodes_for(syndrome)) <= 1, d.case.id
        # the summary reads the computed grades (no stated grade competes with them)
        s = summarize(d.case)
        assert s.crs_max_grade == g.max_grade("crs", follows=d.case.index[0])


def test_icans_path_is_age_appropriate(cohort):
    seen = Counter()
    for d in cohort[:1000]:
        age = d.case.patient.age
        assert age is not None and age.at == d.case.index[0]
        for a in d.case.assessments:
            icans = a.icans
            assert icans is not None and icans.age_years == age.value
            if age.value < 12:
                assert icans.ice_score is None, d.case.id
                if icans.consciousness != "vigorous_stimuli_or_unarousable":
                    assert icans.capd_score is not None, d.case.id
                seen["capd"] += 1
            else:
                assert icans.capd_score is None, d.case.id
                if icans.consciousness != "vigorous_stimuli_or_unarousable":
                    assert icans.ice_score is not None, d.case.id
                seen["ice"] += 1
    assert seen["capd"] > 100 and seen["ice"] > 100


def test_higher_grades_use_support_and_treatment(cohort):
    pressor = oxygen = toci = steroid = 0
    for d in cohort[:1500]:
        c = d.case
        for a in c.assessments:
            if a.crs is not None and a.crs.vasopressors:
                pressor += 1
            if a.crs is not None and a.crs.oxygen.device != "none":
                oxygen += 1
        agents = [
            ag for e in c.events(Therapy) if e.intent == "toxicity_management" for ag in e.agents
        ]
        toci += "tocilizumab" in agents
        steroid += "dexamethasone" in agents
        if d.max_grade("crs") >= 3:
            assert any(
                a.crs is not None and (a.crs.vasopressors or a.crs.oxygen.device != "none")
                for a in c.assessments
            ), c.id
    assert pressor > 50 and oxygen > 50 and toci > 200 and steroid > 100


def test_the_cohort_is_varied(cohort):
    seen: Counter[str] = Counter()
    for d in cohort:
        c = d.case
        seen["child" if c.patient.age.value < 18 else "adult"] += 1
        if c.diagnosis.ph_positive:
            seen["ph"] += 1
            agents = {a for e in c.events(Therapy) for a in e.agents}
            assert agents & {"imatinib", "dasatinib", "ponatinib"}, c.id
        for rel in c.events(Relapse):
            seen.update(f"site:{s}" for s in rel.sites)
            if rel.id == "rel-post":
                seen[f"relapse:{rel.cd19}"] += 1
                seen["lineage_switch"] += rel.lineage_switch
        for car in c.events(CarTInfusion):
            seen[f"product:{car.product}"] += 1
            seen[f"source:{car.cell_source}"] += 1
            seen["split_dose"] += bool(car.fractions)
            seen["lymphodepletion"] += car.lymphodepletion is not None
        for t in c.events(Therapy):
            seen[f"intent:{t.intent}"] += 1
            if t.id.startswith("blina-prior"):
                seen["prior_blinatumomab"] += 1
        seen["hsct"] += len(c.events(HSCT))
        for e in c.events(Death):
            seen[f"death:{e.cause}"] += 1
        for f in c.events(FollowUp):
            seen[f"censored:{f.disease_status}"] += 1
        seen["gvhd"] += bool(c.events(ToxicityEpisode))
        seen["pre_index_marrow"] += any(
            e.id == "pre-index-marrow" for e in c.events(DiseaseAssessment)
        )
        seen["blq"] += any(p.blq for s in c.observations for p in s.points)
        if c.events(HSCT) and summarize(c).bridged_to_hsct:
            seen["bridged_to_hsct"] += 1
    for key in (
        "child", "adult", "ph", "site:cns", "site:testis", "site:skin", "site:eye",
        "relapse:negative", "relapse:positive", "lineage_switch",
        "product:tisagenlecleucel", "product:brexucabtagene_autoleucel",
        "product:obecabtagene_autoleucel", "product:investigational",
        "source:donor_derived", "split_dose", "intent:bridging", "intent:toxicity_management",
        "prior_blinatumomab", "hsct", "bridged_to_hsct", "death:disease", "death:infection",
        "censored:remission", "censored:relapse", "censored:refractory", "gvhd", "blq",
    ):  # fmt: skip
        assert seen[key] > 0, key
    assert seen["lymphodepletion"] == sum(v for k, v in seen.items() if k.startswith("product:"))
    assert seen["pre_index_marrow"] == len(cohort)


def test_therapy_restricts_the_arms():
    car = list(generate_cohort(40, seed=1, params=DEFAULT_PARAMS.with_therapy("car_t")))
    assert all(c.index == ("car1",) for c in car)
    blin = list(generate_cohort(40, seed=1, params=DEFAULT_PARAMS.with_therapy("blinatumomab")))
    assert all(c.index[0] == "blina1" for c in blin)
    assert all(not c.events(CarTInfusion) for c in blin)


def test_params_are_checked():
    with pytest.raises(ValueError, match="therapy"):
        SynthParams(therapy="chemo")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown arms"):
        SynthParams(arm_weights={"nonsense": 1.0})
    with pytest.raises(ValueError, match="no arm"):
        SynthParams(therapy="car_t", arm_weights={"blinatumomab_adult": 1.0})
