"""Extraction and review through the API: report text in, drafts with evidence out; each review
decision is a new version by the signed-in reviewer; a stale decision is refused."""

from __future__ import annotations

from .conftest import Web

# Written for this test: a made-up patient, in the telegraphic style of a case summary.
REPORT = (
    "A 19-year-old man with Ph-negative B-ALL had a second bone marrow relapse with CNS "
    "involvement. He received tisagenlecleucel. Grade 2 cytokine release syndrome developed on "
    "day 3; there was no neurotoxicity. Day 28 marrow showed complete remission with MRD "
    "negativity by flow cytometry. He remained in remission at 12 months of follow-up."
)


def test_a_text_is_extracted_without_storing_anything_by_default(web: Web) -> None:
    viewer = web.client("viewer")
    response = viewer.post("/api/extract", json={"text": REPORT, "file": "made-up.txt"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["result"]["file"] == "made-up.txt"
    assert body["drafts"] and body["drafts"][0]["version"] is None
    assert web.store.count() == 0
    refused = viewer.post("/api/extract", json={"text": REPORT, "save": True})
    assert refused.status_code == 403 and web.store.count() == 0


def test_drafts_are_reviewed_value_by_value_then_finalised(web: Web) -> None:
    editor = web.client("editor")
    saved = editor.post("/api/extract", json={"text": REPORT, "save": True, "id_prefix": "web"})
    assert saved.status_code == 200, saved.text
    draft = saved.json()["drafts"][0]
    draft_id, pending = draft["id"], draft["pending"]
    assert draft["version"] == 1 and pending
    assert web.store.get(draft_id).status == "draft"

    first = editor.post(
        f"/api/drafts/{draft_id}/review",
        json={"field": pending[0], "action": "accept", "expected_version": 1},
    )
    assert first.status_code == 200, first.text
    assert first.json()["version"] == 2 and pending[0] not in first.json()["pending"]

    stale = editor.post(
        f"/api/drafts/{draft_id}/review",
        json={"field": pending[-1], "action": "reject", "expected_version": 1},
    )
    assert stale.status_code == 409
    assert len(web.store.history(draft_id)) == 2

    unknown = editor.post(
        f"/api/drafts/{draft_id}/review", json={"field": "no_such_field", "action": "accept"}
    )
    assert unknown.status_code == 422 and unknown.json()["problems"]

    everything = editor.post(f"/api/drafts/{draft_id}/accept-all", json={"expected_version": 2})
    assert everything.status_code == 200 and everything.json()["pending"] == []
    final = editor.post(f"/api/drafts/{draft_id}/finalize", json={})
    assert final.status_code == 200 and final.json()["status"] == "final"
    history = web.store.history(draft_id)
    assert {v.author for v in history} == {"editor"}
    assert history[1].reason == f"review: accept {pending[0]}"
    assert web.store.get(draft_id).status == "final"
