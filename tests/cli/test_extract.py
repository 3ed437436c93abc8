"""`remission extract`, `extract-eval` and `review` as a user runs them: real processes, real files,
a real store, and (for the optional language-model extractor) a real HTTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from remission.casefile import load_file
from remission.cli import cases, extract
from remission.evidence.corpus import corpus_root

EXE = str(Path(sys.executable).with_name("remission"))
ENV = {
    k: v for k, v in os.environ.items() if k != "REMISSION_DB" and not k.startswith("REMISSION_LLM")
} | {"REMISSION_USER": "dr-test"}

REPORT = (
    "A 9-year-old girl with B-ALL in second relapse received tisagenlecleucel. She developed "
    "grade 2 CRS and reached an MRD-negative complete remission; she is alive 12 months later."
)
ANSWER = {
    "kind": "case_report",
    "patients": [
        {
            "summary": {
                "age_years": 9,
                "sex": "female",
                "relapse_count": 2,
                "crs_max_grade": 2,
                "response": "CR",
                "mrd_negative": True,
                "alive_at_last_follow_up": True,
                "follow_up_months": 12,
                "index_therapies": [{"class": "car_t", "agent": "tisagenlecleucel"}],
            },
            "evidence": {
                "age_years": "9-year-old",
                "sex": "girl",
                "relapse_count": "second relapse",
                "crs_max_grade": "grade 2 CRS",
                "response": "complete remission",
                "mrd_negative": "MRD-negative",
                "alive_at_last_follow_up": "she is alive",
                "follow_up_months": "12 months later",
                "index_therapies[0]": "tisagenlecleucel",
            },
        }
    ],
}
SUMMARY_FIELDS = {
    "age_years",
    "sex",
    "diagnosis",
    "ph_positive",
    "bcr_abl_transcript",
    "abl_kinase_mutations",
    "relapse_count",
    "refractory",
    "prior_hsct",
    "extramedullary_sites",
    "cns_involvement",
    "index_therapies",
    "response",
    "mrd_negative",
    "crs_max_grade",
    "icans_max_grade",
    "gvhd",
    "relapse_after",
    "alive_at_last_follow_up",
    "bridged_to_hsct",
    "follow_up_months",
}


def process(*args: str):
    """A real ``remission`` process (slow to start: used where the whole program matters)."""
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=ENV, timeout=180)


def make_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """remission (test app)."""

    cases.register(app)
    extract.register(app)
    return app


APP = make_app()


class Ran:
    def __init__(self, result):
        self.returncode = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr


def run(*args: str, check: bool = True) -> Ran:
    """The commands in this process through Typer's runner (same code, no interpreter start)."""
    result = Ran(CliRunner().invoke(APP, list(args), env=ENV))
    if check and result.returncode != 0:
        raise AssertionError(
            f"remission {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
        )
    return result


class CannedModel:
    """An OpenAI-compatible endpoint answering by the text it is sent (else: nothing found)."""

    def __init__(self, answers: dict[str, dict]):
        canned = answers

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                text = body["messages"][-1]["content"]
                answer = canned.get(text, {"kind": "case_report", "patients": []})
                data = json.dumps(
                    {"choices": [{"message": {"content": json.dumps(answer)}}]}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def options(self) -> list[str]:
        return ["--extractor", "llm", "--llm-url", self.url, "--llm-model", "canned"]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def model():
    m = CannedModel({REPORT: ANSWER})
    yield m
    m.close()


def test_json_is_one_object_per_file_in_the_contract_shape(model, tmp_path):
    report = tmp_path / "girl.txt"
    report.write_text(REPORT, encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text(
        "Minutes of the garden committee: the roses were pruned in March.", encoding="utf-8"
    )
    data = json.loads(run("extract", str(report), str(other), "--json", *model.options).stdout)
    assert [d["file"] for d in data] == [str(report), str(other)]
    first = data[0]
    assert set(first) == {"file", "kind", "patients", "cohort", "evidence"}
    assert first["kind"] == "case_report" and first["cohort"] is None
    (patient,) = first["patients"]
    assert set(patient) == SUMMARY_FIELDS
    assert patient["crs_max_grade"] == 2 and patient["index_therapies"][0]["class"] == "car_t"
    values = first["evidence"]["patients"][0]["values"]
    for v in values:
        span = v["evidence"][0]["spans"][0]
        assert REPORT[span["start"] : span["end"]] == span["text"]
    assert (
        data[1]["patients"] == []
        and "no clinical values were found in this text" in data[1]["evidence"]["warnings"]
    )


def test_without_json_a_table_shows_values_with_their_words(model, tmp_path):
    report = tmp_path / "girl.txt"
    report.write_text(REPORT, encoding="utf-8")
    shown = run("extract", str(report), *model.options).stdout
    assert "crs_max_grade" in shown and "grade 2 CRS" in shown and "pending" in shown


def test_drafts_written_with_out_import_after_review_and_finalize(model, tmp_path):
    report = tmp_path / "girl.txt"
    report.write_text(REPORT, encoding="utf-8")
    out = tmp_path / "drafts"
    run("extract", str(report), "--out", str(out), *model.options)
    (draft,) = sorted(out.glob("*.yaml"))
    doc = yaml.safe_load(draft.read_text())
    assert doc["status"] == "draft" and doc["extraction"]["text"] == REPORT

    refused = run("review", "finalize", str(draft), check=False)
    assert (
        refused.returncode == 1
        and "still pending review" in refused.stderr
        and "crs_max_grade" in refused.stderr
    )

    run(
        "review",
        "edit",
        str(draft),
        "crs_max_grade",
        "3",
        "--reviewer",
        "dr-a",
        "--note",
        "per table 2",
    )
    run("review", "reject", str(draft), "follow_up_months", "--reviewer", "dr-a")
    run("review", "accept-all", str(draft), "--reviewer", "dr-b")
    shown = json.loads(run("review", "show", str(draft), "--json").stdout)
    assert shown["pending"] == []
    statuses = {v["field"]: (v["status"], v.get("reviewer")) for v in shown["values"]}
    assert statuses["crs_max_grade"] == ("edited", "dr-a")
    assert statuses["follow_up_months"] == ("rejected", "dr-a")
    assert statuses["sex"] == ("accepted", "dr-b")
    run("review", "finalize", str(draft), "--reviewer", "dr-b")

    final = load_file(draft).document
    assert final.status == "final"
    db = tmp_path / "store.sqlite"
    run("import", str(draft), "--db", str(db))
    summary = json.loads(run("summary", final.id, "--db", str(db), "--json").stdout)["summary"]
    assert summary["crs_max_grade"] == 3 and summary["follow_up_months"] is None


def test_stored_drafts_are_reviewed_as_new_versions(model, tmp_path):
    report = tmp_path / "girl.txt"
    report.write_text(REPORT, encoding="utf-8")
    db = str(tmp_path / "store.sqlite")
    run("extract", str(report), "--store", "--db", db, "--id-prefix", "girl-1", *model.options)
    listed = json.loads(run("list", "--db", db, "--status", "draft", "--json").stdout)
    assert [r["id"] for r in listed] == ["girl-1"]
    run(
        "review",
        "edit",
        "girl-1",
        "response",
        "CRi",
        "--db",
        db,
        "--reviewer",
        "dr-a",
        "--version",
        "1",
    )
    stale = run("review", "accept", "girl-1", "sex", "--db", db, "--version", "1", check=False)
    assert stale.returncode == 1  # someone (dr-a) saved version 2 since
    run("review", "accept-all", "girl-1", "--db", db)
    run("review", "finalize", "girl-1", "--db", db)
    history = json.loads(run("history", "girl-1", "--db", db, "--json").stdout)
    reasons = [h["reason"] for h in history]
    assert reasons == [
        "extract: draft",
        "review: edit response",
        "review: accept all pending values",
        "review: finalize",
    ]
    assert (
        json.loads(run("summary", "girl-1", "--db", db, "--json").stdout)["summary"]["response"]
        == "CRi"
    )


BAD_INPUTS = [
    ("missing.txt", None, "no such file"),
    ("folder", "dir", "this is a folder"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    ("huge.txt", b"word " * 2_100_000, "limited to 2.0 MB"),
]


def test_unreadable_inputs_are_refused_with_a_clear_message(tmp_path):
    """One real process given a good file and every kind of unreadable one: each is named with
    its problem, nothing is printed on stdout and no draft is written."""
    paths = []
    for name, content, _ in BAD_INPUTS:
        path = tmp_path / name
        if content == "dir":
            path.mkdir()
        elif content is not None:
            path.write_bytes(content)
        paths.append(str(path))
    good = tmp_path / "good.txt"
    good.write_text(REPORT)
    out = tmp_path / "drafts"
    proc = process("extract", str(good), *paths, "--json", "--out", str(out))
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    for path, (_, _, message) in zip(paths, BAD_INPUTS, strict=True):
        assert any(path in line and message in line for line in lines), (path, proc.stderr)
    assert "Traceback" not in proc.stderr and "warning" not in proc.stderr
    assert proc.stdout == "" and not out.exists()


def test_empty_non_english_and_cp1252_texts_give_warnings_not_crashes(model, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    german = tmp_path / "bericht.txt"
    german.write_text(
        "Ein neunjähriges Mädchen mit einem zweiten Rezidiv einer B-Zell-Leukämie erhielt "
        "Tisagenlecleucel und erreichte eine komplette Remission ohne messbare Resterkrankung. "
        "Nach zwölf Monaten geht es ihr gut; sie besucht wieder regelmäßig die Schule.",
        encoding="utf-8",
    )
    latin = tmp_path / "latin.txt"
    latin.write_bytes(REPORT.replace("girl", "girl \u2013 née").encode("cp1252"))
    data = json.loads(
        run("extract", str(empty), str(german), str(latin), "--json", *model.options).stdout
    )
    warnings = [d["evidence"]["warnings"] for d in data]
    assert any("empty" in w for w in warnings[0])
    assert any("does not look like English" in w for w in warnings[1])
    assert any("Windows-1252" in w for w in warnings[2])
    assert [len(d["patients"]) for d in data] == [0, 0, 0]


def test_the_language_model_needs_its_endpoint(tmp_path):
    report = tmp_path / "r.txt"
    report.write_text(REPORT)
    proc = run("extract", str(report), "--extractor", "llm", check=False)
    assert proc.returncode == 1 and "REMISSION_LLM_URL" in proc.stderr


def test_extract_eval_prints_each_split(model, tmp_path):
    for split, name, text in (
        ("dev", "001-girl", REPORT),
        ("heldout", "101-none", "Nothing here at all."),
    ):
        folder = tmp_path / split
        folder.mkdir()
        (folder / f"{name}.txt").write_text(text)
        (folder / f"{name}.gold.yaml").write_text(
            "kind: case_report\nstyle: s\nsituation: s\npatients:\n  - summary: {sex: female, crs_max_grade: 2}\n"
        )
    data = json.loads(
        run("extract-eval", "--corpus", str(tmp_path), "--json", *model.options).stdout
    )
    dev, held = data["splits"]["dev"], data["splits"]["heldout"]
    assert dev["fields"]["crs_max_grade"] == {
        "tp": 1,
        "fp": 0,
        "fn": 0,
        "precision": 1.0,
        "recall": 1.0,
        "f1": 1.0,
    }
    assert held["fields"]["sex"]["fn"] == 1
    table = run(
        "extract-eval", "--corpus", str(tmp_path), "--split", "heldout", *model.options
    ).stdout
    assert "heldout" in table and "micro" in table and "dev:" not in table


# --- the default rule-based extractor (needs nothing at run time) --------------------------------


def test_the_rule_based_extractor_reads_a_corpus_text(tmp_path):
    """The default extractor in a real process: the contract, a draft file, and the same answer
    as the library gives in this process (extraction is deterministic)."""
    from remission.evidence.extract import extract_text

    text_path = sorted((corpus_root() / "dev").glob("*.txt"))[0]
    proc = process("extract", str(text_path), "--json", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    (data,) = json.loads(proc.stdout)
    assert set(data) == {"file", "kind", "patients", "cohort", "evidence"}
    expected = extract_text(text_path.read_text(encoding="utf-8"), file=str(text_path)).to_json()
    assert data == json.loads(json.dumps(expected))
    drafts = list(tmp_path.glob("*.yaml"))
    assert len(drafts) == len(data["patients"]) + (data["cohort"] is not None)
    for path in drafts:
        assert load_file(path).document.status == "draft"


@pytest.mark.parametrize(
    "command",
    [
        ["extract"],
        ["extract-eval"],
        ["review"],
        *(
            [
                ["review", sub]
                for sub in ("show", "accept", "edit", "reject", "accept-all", "finalize")
            ]
        ),
    ],
    ids=" ".join,
)
def test_every_command_explains_itself(command):
    shown = run(*command, "--help").stdout
    assert "Usage:" in shown
