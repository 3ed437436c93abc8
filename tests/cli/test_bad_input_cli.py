"""A rejected import, as a user meets it: real `remission` processes on a real SQLite store.

DESIGN.md, "Nothing is lost": imports are all-or-nothing per call; a rejected input leaves the
store exactly as it was and says what and where (file, line, field) in words a clinician
understands. So a bad import prints ``file:line: field: message`` on stderr, exits 1, prints
nothing on stdout, and the store - its listing, every case's history, its very bytes - is
unchanged, even when only the last of several files is bad.

Each command starts a fresh interpreter (over a second of CPU), so every refused import of this
module is run once, side by side, in one fixture; each test then reads the outcome of its own
import. Every store is compared byte for byte; the listing and history a user would look at are
also read back through the command line for two of the imports (identical bytes give identical
listings, so reading them for every import would only cost time).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from remission.examples import example_paths

EXE = str(Path(sys.executable).with_name("remission"))
ENV = {k: v for k, v in os.environ.items() if k != "REMISSION_DB"} | {"REMISSION_USER": "dr-test"}

SEEDS = {p.name.split("-")[1]: p for p in example_paths()}
STORED_CASE = "seed-000-ph-pos-cart"

NEW_CASE = textwrap.dedent(
    """\
    id: new-case-1
    patient: {sex: female, age: {value: 9}}
    diagnosis: {date: 2019-04}
    timeline:
      - id: rel1
        type: relapse
        date: 2021-02
        sites: [marrow, cns]
      - id: car1
        type: car_t_infusion
        date: 2021-05-10
        product: tisagenlecleucel
    """
)


# --- running the command line --------------------------------------------------------------------


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def run_all(*commands: tuple[str, ...]) -> list[Result]:
    """Run several commands side by side and wait for all of them."""
    procs = [
        subprocess.Popen([EXE, *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        for cmd in commands
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        results.append(Result(proc.returncode, out, err))
    return results


def run(*args: str) -> Result:
    return run_all(args)[0]


@dataclass(frozen=True)
class Snapshot:
    """What a user can see of a store (its listing, a stored case's history) and its bytes."""

    listing: list
    history: list
    sha256: str


def snapshots(*dbs: Path) -> list[Snapshot]:
    commands = []
    for db in dbs:
        commands += [("list", "--json", "--db", str(db)), ("history", STORED_CASE, "--json", "--db", str(db))]
    results = run_all(*commands)
    out = []
    for db, listed, history in zip(dbs, results[::2], results[1::2], strict=True):
        assert listed.returncode == 0 and history.returncode == 0, listed.stderr + history.stderr
        out.append(Snapshot(json.loads(listed.stdout), json.loads(history.stdout),
                            hashlib.sha256(db.read_bytes()).hexdigest()))
    return out


def assert_refused(result: Result, n_problems: int) -> None:
    """Exit status 1, nothing on stdout, and the count of problems first on stderr."""
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    noun = "problem" if n_problems == 1 else "problems"
    assert result.stderr.startswith(f"error: {n_problems} {noun} found; nothing was stored.\n")


# --- the files of each refused import ------------------------------------------------------------


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def edited_stored_case(folder: Path) -> Path:
    """The stored case with a birth year added: importing it alone would save version 2."""
    data = yaml.safe_load(SEEDS["000"].read_text(encoding="utf-8"))
    data["patient"]["birth_year"] = 1986
    return write(folder, "edited-seed-000.yaml", yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def good_files_then(name: str, content: str | bytes) -> Callable[[Path], list[Path]]:
    """An edit of the stored case, two new cases, and last a bad file."""

    def build(folder: Path) -> list[Path]:
        return [
            edited_stored_case(folder),
            write(folder, "new-1.yaml", NEW_CASE),
            write(folder, "new-2.yaml", NEW_CASE.replace("id: new-case-1", "id: new-case-2")),
            write(folder, name, content),
        ]

    return build


def one_typo(folder: Path) -> list[Path]:
    return [write(folder, "typo.yaml", NEW_CASE.replace("sex: female", "sexx: female"))]


def many_bad_files(folder: Path) -> list[Path]:
    (folder / "a-folder").mkdir()
    return [
        write(folder, "good.yaml", NEW_CASE),
        write(folder, "typo.yaml", NEW_CASE.replace("id: new-case-1", "id: t").replace("sex: female", "sexx: female")),
        write(folder, "blasts.yaml", NEW_CASE.replace("id: new-case-1", "id: b").replace(
            "sites: [marrow, cns]", "marrow_blasts_pct: 150")),
        write(folder, "agent.yaml", NEW_CASE.replace("id: new-case-1", "id: a")
              + "  - id: tki1\n    type: therapy\n    start: 2021-06\n    agents: [ponatinb]\n"),
        write(folder, "broken.yaml", "id: broken\npatient: {sex: female\ndiagnosis: {date: 2019}\n"),
        write(folder, "scan.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        folder / "never-written.yaml",
        folder / "a-folder",
    ]


def duplicate_and_typo(folder: Path) -> list[Path]:
    return [
        write(folder, "a.yaml", NEW_CASE),
        write(folder, "b.yaml", "# the same patient typed in twice\n" + NEW_CASE),
        write(folder, "typo.yaml", NEW_CASE.replace("id: new-case-1", "id: t").replace("sex: female", "sexx: female")),
    ]


NEW_3 = NEW_CASE.replace("id: new-case-1", "id: new-case-3")

#: name -> (the files, and for a bad last file the line stderr must show)
LAST_FILE_PROBLEMS: dict[str, tuple[str | bytes, str]] = {
    "unknown field in an event": (
        NEW_3.replace("sites:", "sities:"),
        "{path}:8: timeline[0] (relapse 'rel1').sities: unknown field 'sities'; did you mean 'sites'?",
    ),
    "relapse before diagnosis": (
        NEW_3.replace("date: 2021-02", "date: 2018-02"),
        "{path}:7: timeline[0] (relapse 'rel1').date: this relapse is dated before the diagnosis",
    ),
    "not UTF-8": (
        NEW_3.encode("utf-8") + b"notes: r\xe9cidive m\xe9dullaire\n",
        "{path}:13: the file is not UTF-8 text (byte 0xe9",
    ),
    "same id as an earlier file": (
        "# the same patient typed in twice\n" + NEW_CASE,
        "{path}:2: id: case id 'new-case-1' is also used by {first}",
    ),
}

SCENARIOS: dict[str, Callable[[Path], list[Path]]] = {
    "one typo": one_typo,
    "many bad files": many_bad_files,
    "duplicate and typo": duplicate_and_typo,
    **{name: good_files_then("last.yaml", content) for name, (content, _) in LAST_FILE_PROBLEMS.items()},
}


#: Imports whose listing and history are also read back through the command line.
LOOKED_AT = ("one typo", "unknown field in an event")


@dataclass(frozen=True)
class Outcome:
    files: list[Path]
    result: Result
    before: Snapshot
    sha256_after: str
    after: Snapshot | None  # read back for LOOKED_AT only


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every refused import of this module, each on its own copy of a store holding one case
    and one cohort, run side by side; with the store's snapshot before and after."""
    template = tmp_path_factory.mktemp("template") / "store.sqlite"
    done = run("import", str(SEEDS["000"]), str(SEEDS["004"]), "--db", str(template))
    assert done.returncode == 0, done.stderr
    (before,) = snapshots(template)
    dbs, files = {}, {}
    for name, build in SCENARIOS.items():
        folder = tmp_path_factory.mktemp("import")
        dbs[name] = folder / "store.sqlite"
        shutil.copyfile(template, dbs[name])
        files[name] = build(folder)
    imports = [("import", *map(str, files[name]), "--db", str(dbs[name])) for name in SCENARIOS]
    results = dict(zip(SCENARIOS, run_all(*imports), strict=True))
    after = dict(zip(LOOKED_AT, snapshots(*(dbs[name] for name in LOOKED_AT)), strict=True))
    return {
        name: Outcome(files[name], results[name], before, hashlib.sha256(dbs[name].read_bytes()).hexdigest(),
                      after.get(name))
        for name in SCENARIOS
    }


# --- the rules -----------------------------------------------------------------------------------


def test_the_store_before_each_import_holds_what_was_imported(outcomes):
    before = outcomes["one typo"].before
    assert {row["id"] for row in before.listing} == {STORED_CASE, "seed-004-blina-paediatric"}
    assert [(v["version"], v["author"]) for v in before.history] == [(1, "dr-test")]


def test_a_rejected_file_is_named_with_line_and_field_and_nothing_is_stored(outcomes):
    outcome = outcomes["one typo"]
    (typo,) = outcome.files
    assert_refused(outcome.result, 1)
    assert outcome.result.stderr.splitlines()[1:] == [
        f"  {typo}:2: patient.sexx: unknown field 'sexx'; did you mean 'sex'?"
    ]
    assert outcome.sha256_after == outcome.before.sha256


@pytest.mark.parametrize("problem", list(LAST_FILE_PROBLEMS))
def test_the_store_is_unchanged_when_only_the_last_of_several_files_is_bad(outcomes, problem):
    outcome = outcomes[problem]
    _, first, _, last = outcome.files
    assert_refused(outcome.result, 1)
    expected = LAST_FILE_PROBLEMS[problem][1].format(path=last, first=first)
    assert expected in outcome.result.stderr
    assert outcome.sha256_after == outcome.before.sha256


@pytest.mark.parametrize("name", LOOKED_AT)
def test_after_a_refused_import_the_listing_and_history_are_as_before(outcomes, name):
    outcome = outcomes[name]
    assert outcome.after is not None
    assert outcome.after.listing == outcome.before.listing  # no new case is listed
    assert outcome.after.history == outcome.before.history  # the edited case has no version 2
    assert outcome.after.sha256 == outcome.before.sha256


def test_every_problem_of_every_file_is_listed_in_one_run(outcomes):
    outcome = outcomes["many bad files"]
    _, typo, blasts, agent, broken, binary, missing, folder = outcome.files
    assert_refused(outcome.result, 7)
    lines = outcome.result.stderr.splitlines()[1:]
    assert lines[:2] == [
        f"  {typo}:2: patient.sexx: unknown field 'sexx'; did you mean 'sex'?",
        f"  {blasts}:8: timeline[0] (relapse 'rel1').marrow_blasts_pct: 150 is out of range: it must be <= 100.0",
    ]
    assert lines[2].startswith(
        f"  {agent}:16: timeline[2] (therapy 'tki1').agents[0]: 'ponatinb' is not a known therapeutic agent; "
        "did you mean 'ponatinib'"
    )
    assert lines[3].startswith(f"  {broken}:3: this is not valid YAML")
    assert lines[4:] == [
        f"  {binary}:3: this is a binary file, not a YAML case file (it contains a NUL byte)",
        f"  {missing}: no such file",
        f"  {folder}: this is a folder, not a case file",
    ]
    assert outcome.sha256_after == outcome.before.sha256


def test_validate_reports_the_same_way_and_touches_no_store(tmp_path):
    (bad,) = one_typo(tmp_path)
    result = run("validate", str(bad))
    assert_refused(result, 1)
    assert result.stderr.splitlines()[1:] == [f"  {bad}:2: patient.sexx: unknown field 'sexx'; did you mean 'sex'?"]


def test_a_duplicate_id_is_listed_together_with_the_other_problems(outcomes):
    outcome = outcomes["duplicate and typo"]
    first, second, typo = outcome.files
    assert_refused(outcome.result, 2)
    assert outcome.result.stderr.splitlines()[1:] == [
        f"  {typo}:2: patient.sexx: unknown field 'sexx'; did you mean 'sex'?",
        f"  {second}:2: id: case id 'new-case-1' is also used by {first}",
    ]
