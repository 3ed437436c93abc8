"""Review: each decision is recorded on its value and changes the case; finalising needs all."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.api import get_document, import_files
from remission.casefile import dump_document, load_file
from remission.evidence.draft import draft_cases
from remission.evidence.review import accept_all, decide, finalize, pending_fields
from remission.exceptions import DraftPendingError, ReviewError
from remission.rules.summary import summarize

from .builders import FULL, TEXT, carried_summaries, result_for

WHEN = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


@pytest.fixture
def draft():
    (case,) = draft_cases(result_for(FULL), TEXT)
    return case


def value(case, field):
    return next(v for v in case.extraction.values if v.field == field)


def test_accepting_records_who_and_when_and_changes_nothing_else(draft):
    case = decide(draft, "crs_max_grade", "accept", reviewer="dr-a", note="grade stated", now=WHEN)
    v = value(case, "crs_max_grade")
    assert (v.status, v.reviewer, v.reviewed_at, v.note) == (
        "accepted",
        "dr-a",
        WHEN,
        "grade stated",
    )
    assert case.timeline == draft.timeline
    assert summarize(case) == summarize(draft)


def test_an_edit_changes_the_case_and_keeps_the_proposal(draft):
    case = decide(draft, "crs_max_grade", "edit", value=3, reviewer="dr-a")
    v = value(case, "crs_max_grade")
    assert (v.status, v.value, v.extracted) == ("edited", 3, 2)
    assert summarize(case).crs_max_grade == 3
    again = decide(case, "crs_max_grade", "edit", value=4, reviewer="dr-b")
    assert (
        value(again, "crs_max_grade").extracted == 2
    )  # the extractor's proposal, not the first edit


def test_a_rejection_removes_the_value_from_the_case(draft):
    case = decide(draft, "bridged_to_hsct", "reject", reviewer="dr-a")
    assert value(case, "bridged_to_hsct").status == "rejected"
    assert summarize(case).bridged_to_hsct is None
    assert summarize(case).response == "CR"  # the rest stays


def test_accepting_a_rejected_value_restores_it(draft):
    case = decide(draft, "mrd_negative", "reject", reviewer="dr-a")
    assert summarize(case).mrd_negative is None
    case = decide(case, "mrd_negative", "accept", reviewer="dr-a")
    assert summarize(case).mrd_negative is True


def test_a_rejected_therapy_row_leaves_the_others(draft):
    case = decide(draft, "index_therapies[0]", "reject", reviewer="dr-a")
    rows = summarize(case).index_therapies
    assert [r.agent for r in rows] == ["ponatinib"]
    # the next row keeps its own path although it moved up
    case = decide(
        case,
        "index_therapies[1]",
        "edit",
        value={"class": "tki", "agent": "dasatinib"},
        reviewer="dr-a",
    )
    assert [r.agent for r in summarize(case).index_therapies] == ["dasatinib"]


def test_a_list_element_is_rejected_by_its_value():
    summary = FULL.model_copy(
        update={"extramedullary_sites": ["testis", "skin"], "cns_involvement": False}
    )
    (case,) = draft_cases(result_for(summary), TEXT)
    case = decide(case, "extramedullary_sites[0]", "reject", reviewer="dr-a")
    assert summarize(case).extramedullary_sites == ["skin"]
    case = decide(case, "extramedullary_sites[1]", "edit", value="bone", reviewer="dr-a")
    assert summarize(case).extramedullary_sites == ["bone"]


@pytest.mark.parametrize(
    ("field", "action", "new", "message"),
    [
        ("no_such_field", "accept", None, "no value 'no_such_field'"),
        ("crs_max_grade", "edit", 7, "not accepted"),
        ("crs_max_grade", "edit", "severe", "not accepted"),
        ("sex", "edit", None, "needs the new value"),
        ("sex", "approve", None, "unknown action"),
    ],
)
def test_a_bad_decision_is_refused_and_the_draft_kept(draft, field, action, new, message):
    before = draft.model_dump()
    with pytest.raises(ReviewError, match=message):
        decide(draft, field, action, value=new, reviewer="dr-a")
    assert draft.model_dump() == before


def test_a_reviewer_is_required(draft):
    with pytest.raises(ReviewError, match="reviewer"):
        decide(draft, "sex", "accept", reviewer="  ")


def test_finalising_with_pending_values_lists_them(draft):
    case = decide(draft, "sex", "accept", reviewer="dr-a")
    with pytest.raises(DraftPendingError) as caught:
        finalize(case, reviewer="dr-a")
    fields = {p.field for p in caught.value.problems}
    assert fields == set(pending_fields(case))
    assert "sex" not in fields and "crs_max_grade" in fields


def test_a_final_case_is_not_reviewed_again(draft):
    final = finalize(accept_all(draft, reviewer="dr-a"), reviewer="dr-a")
    assert final.status == "final"
    with pytest.raises(ReviewError, match="only drafts"):
        decide(final, "sex", "accept", reviewer="dr-a")


def test_a_finalised_draft_imports_like_any_case_file(draft, store, tmp_path):
    case = decide(draft, "crs_max_grade", "edit", value=3, reviewer="dr-a")
    case = (
        decide(case, "gvhd", "accept", reviewer="dr-a")
        if any(v.field == "gvhd" for v in case.extraction.values)
        else case
    )
    final = finalize(accept_all(case, reviewer="dr-b"), reviewer="dr-b")
    path = tmp_path / "final.yaml"
    path.write_text(dump_document(final), encoding="utf-8")
    assert load_file(path).document == final
    report = import_files(store, [path], author="dr-b")
    assert report.counts["created"] == 1
    stored, record = get_document(store, final.id)
    assert record.status == "final"
    assert record.summary["crs_max_grade"] == 3
    assert stored.extraction.values == final.extraction.values


_ACTIONS = st.sampled_from(["accept", "reject", "edit"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(carried_summaries(), st.lists(st.tuples(st.integers(0, 40), _ACTIONS), max_size=6))
def test_any_sequence_of_decisions_keeps_a_valid_draft_matching_its_values(summary, steps):
    (case,) = draft_cases(result_for(summary), TEXT)
    fields = [v.field for v in case.extraction.values]
    for i, action in steps:
        if not fields:
            break
        field = fields[i % len(fields)]
        current = value(case, field).value
        try:
            case = decide(case, field, action, value=current, reviewer="dr-h")
        except ReviewError as exc:
            assert "rejected" in str(exc)  # editing part of a rejected row
            continue
        root = field.split("[")[0]
        got = summarize(case).model_dump(by_alias=True)[root]
        if action == "reject" and "[" not in field:
            assert got in (None, [], False) or root in (
                "cns_involvement",
                "alive_at_last_follow_up",
                "diagnosis",
                "relapse_count",
            )
    final = finalize(accept_all(case, reviewer="dr-h"), reviewer="dr-h")
    assert final.status == "final" and not pending_fields(final)
