"""`remission rederive`: stored summaries derived again with this version's rules; what differs
becomes a new version saying why, what matches is left alone, what no longer validates is
named. Real processes on real stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from remission import __version__, api
from remission.casefile import load_file
from remission.examples import example_paths
from remission.exceptions import VersionConflictError
from remission.store import RecordIn, Store

EXE = str(Path(sys.executable).with_name("remission"))
ANNOTATED = next(p for p in example_paths() if p.name.startswith("synthetic"))


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"remission {' '.join(args)} failed:\n{proc.stderr}")
    return proc


def _stale(store_url: str) -> dict:
    """Store the annotated example with a summary as an older remission might have derived it."""
    record = api.record_for(load_file(ANNOTATED).document)
    stale = {**record.summary, "crs_max_grade": 4}
    with Store(store_url) as store:
        store.save(replace(record, summary=stale), author="old", reason="import")
    return record.summary


def test_a_stale_summary_becomes_a_new_version_and_the_rest_is_left(store_url: str) -> None:
    run("import", *[str(p) for p in example_paths() if p != ANNOTATED], "--db", store_url)
    current = _stale(store_url)
    dry = json.loads(run("rederive", "--dry-run", "--db", store_url, "--json").stdout)
    assert dry["changed"] == ["synthetic-annotated-001"] and dry["saved"] is False
    with Store(store_url) as store:
        assert len(store.history("synthetic-annotated-001")) == 1  # a dry run saves nothing

    done = run("rederive", "--db", store_url, "--author", "dr-b")
    assert "1 changed (a new version each)" in done.stdout and "0 unreadable" in done.stdout
    with Store(store_url) as store:
        latest = store.history("synthetic-annotated-001")[-1]
        assert (latest.version, latest.author) == (2, "dr-b")
        assert latest.reason == f"derived again by remission {__version__}"
        assert store.get("synthetic-annotated-001").summary == current
        others = [i for i in store.ids() if i != "synthetic-annotated-001"]
        assert others and all(len(store.history(i)) == 1 for i in others)
    again = json.loads(run("rederive", "--db", store_url, "--json").stdout)
    assert again["changed"] == [] and again["unchanged"] == len(example_paths())


def test_a_document_that_no_longer_validates_is_named_and_left(store_url: str) -> None:
    _stale(store_url)
    with Store(store_url) as store:
        store.save(
            RecordIn("pt-broken", "case", {"id": "pt-broken", "patient": {"sex": "robot"}}),
            author="old",
            reason="import",
        )
    proc = run("rederive", "--db", store_url, check=False)
    assert proc.returncode == 1
    assert "unreadable (left as it is): pt-broken (version 1)" in proc.stderr
    assert "sex" in proc.stderr
    with Store(store_url) as store:
        assert len(store.history("pt-broken")) == 1
        assert len(store.history("synthetic-annotated-001")) == 2  # the readable one was saved


def test_a_save_meanwhile_refuses_the_whole_batch(store: Store) -> None:
    doc = load_file(ANNOTATED).document
    store.save(api.record_for(doc), author="a", reason="import")
    moved = replace(api.record_for(doc), summary={"changed": True})
    store.save(moved, author="b", reason="edit")  # version 2, while a rederive read version 1
    with pytest.raises(VersionConflictError):
        store.save_many(
            [api.record_for(doc)], author="c", reason="r", expected_versions={doc.id: 1}
        )
    assert len(store.history(doc.id)) == 2


def test_case_page_data_of_another_version_is_refreshed_in_place(store_url: str) -> None:
    record = api.record_for(load_file(ANNOTATED).document)
    old = {**(record.report or {}), "stamp": "remission 0.0.9, report data 1"}
    with Store(store_url) as store:
        store.save(replace(record, report=old), author="old", reason="import")
    dry = json.loads(run("rederive", "--dry-run", "--db", store_url, "--json").stdout)
    assert dry["changed"] == [] and dry["reports_refreshed"] == 1
    with Store(store_url) as store:
        assert store.get(record.id).report == old
    done = run("rederive", "--db", store_url)
    assert "case page data of 1 current version(s) was derived again in place" in done.stdout
    with Store(store_url) as store:
        assert store.get(record.id).report == record.report
        assert len(store.history(record.id)) == 1
    again = json.loads(run("rederive", "--db", store_url, "--json").stdout)
    assert again["reports_refreshed"] == 0
