"""The analysis set (docs/cohort.md, "The analysis set"): one row per patient, endpoint times from
remission.rules.outcomes, and the cases excluded from each endpoint with the reason."""

import json

import pytest

from remission.casefile import load_file
from remission.cohort import CohortData
from remission.examples import example_paths
from remission.exceptions import CohortError
from remission.model.time import DAYS_PER_MONTH
from remission.rules.outcomes import overall_survival

from .builders import course


def test_times_come_from_the_outcome_rules():
    c = course("a", relapse_day=100, last_day=250, died=True)
    data = CohortData.from_documents([c])
    os_row = data.times("OS").rows[0]
    assert os_row.days == overall_survival(c).days == 250 and os_row.event
    assert os_row.months == pytest.approx(250 / DAYS_PER_MONTH)
    efs_row, rfs_row = data.times("EFS").rows[0], data.times("RFS").rows[0]
    assert (efs_row.days, efs_row.end_kind) == (100, "relapse")
    assert (rfs_row.days, rfs_row.competing) == (72, "relapse")  # from the day-28 remission
    assert data.times("OS").anchor == "first index therapy"
    assert data.times("RFS").anchor == "first remission"


def test_anchor_relapse_counts_from_the_relapse_treated():
    # the relapse treated is dated 2019-11 (1 to 30 November), the infusion 2020-01-01: 32 to
    # 61 days before it
    data = CohortData.from_documents(
        [course("a", last_day=100, died=True), course("b", index_relapse=False)],
        anchor="relapse",
    )
    row = data.times("OS").rows[0]
    assert (row.lo_days, row.hi_days) == (32 + 100, 61 + 100) and row.approximate
    (excluded,) = data.excluded("OS")
    assert (
        excluded.case_id == "b"
        and "no relapse is listed before the index therapy" in excluded.reason
    )


def test_anchor_diagnosis():
    data = CohortData.from_documents([course("a", last_day=100, died=True)], anchor="diagnosis")
    row = data.times("OS").rows[0]
    assert row.approximate and row.lo_days > 600  # diagnosis 2018-03 to 2020-04-10
    assert data.patients[0].anchor_event == "diagnosis"


def test_bad_input_is_an_error_with_the_reason():
    with pytest.raises(CohortError, match="appear more than once"):
        CohortData.from_documents([course("a"), course("a")])
    with pytest.raises(CohortError, match="not dict"):
        CohortData.from_documents([{"id": "a"}])
    with pytest.raises(CohortError, match="unknown anchor"):
        CohortData.from_documents([], anchor="birth")  # type: ignore[arg-type]
    with pytest.raises(CohortError, match="unknown endpoint"):
        CohortData.from_documents([]).times("PFS")


def test_drafts_are_left_out_unless_asked_for():
    docs = [course("a"), course("draft", status="draft")]
    data = CohortData.from_documents(docs)
    assert data.case_ids == ["a"]
    assert data.excluded_documents[0].case_id == "draft"
    assert "draft" in data.excluded_documents[0].reason
    assert CohortData.from_documents(docs, include_drafts=True).case_ids == ["a", "draft"]


def test_the_bundled_examples():
    docs = [load_file(p).document for p in example_paths()]
    data = CohortData.from_documents(docs)
    assert data.n_patients == 5 and [a.id for a in data.aggregates] == ["seed-004-blina-paediatric"]
    excluded = {e.case_id: e.reason for e in data.excluded("OS")}
    # seed 002: the first infusion is undated and nothing after it counts from it
    assert list(excluded) == ["seed-002-cns-sequential-cart"]
    assert (
        "no date" in excluded["seed-002-cns-sequential-cart"]
        or "not comparable" in excluded["seed-002-cns-sequential-cart"]
    )
    # ... but its duration of response is exact: the relapse is dated 40 days after the CR
    dor = {r.case_id: r for r in data.times("DOR").rows}
    assert dor["seed-002-cns-sequential-cart"].days == 40


def test_the_per_patient_frame():
    data = CohortData.from_documents(
        [course("a", relapse_day=100, last_day=200), course("b", response="NR")]
    )
    frame = data.to_frame().set_index("case_id")
    assert frame.loc["a", "OS_days"] == 200 and not frame.loc["a", "OS_event"]
    assert frame.loc["a", "competing_event"] == "relapse"
    assert "no assessment of car1 shows a remission" in frame.loc["b", "RFS_excluded"]
    assert frame.loc["b", "response"] == "NR"
    json.dumps(data.to_dict())


def test_an_empty_cohort():
    data = CohortData.from_documents([])
    assert data.n_patients == 0 and data.to_frame().empty
    assert all(t.n == 0 for t in data.endpoints.values())
