"""The annotated extraction corpus: report texts with gold summaries, in two splits.

The corpus lives beside this module (``corpus/dev`` and ``corpus/heldout``): each report is a
``NNN-slug.txt`` with a gold ``NNN-slug.gold.yaml`` written by the rules of
``corpus/GUIDELINES.md``. The rules are tuned on ``dev`` only; ``heldout`` is kept aside so that
its figures say how the extractor does on texts nobody tuned it on (issue 6, item 4).

Loading validates everything first and reports every problem with file, line and field
(:class:`CorpusError`), like a case-file import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from remission.evidence.result import DocumentKind
from remission.exceptions import InputError, Problem
from remission.model import CaseSummary, CohortSummary

__all__ = [
    "GOLD_KEYS",
    "SPLITS",
    "CorpusDocument",
    "CorpusError",
    "GoldPatient",
    "Split",
    "corpus_root",
    "load_corpus",
]

Split = Literal["dev", "heldout"]
SPLITS: tuple[Split, ...] = ("dev", "heldout")
GOLD_KEYS = frozenset({"kind", "style", "situation", "notes", "patients", "cohort"})
KINDS = ("case_report", "case_series", "cohort")
_NAME = re.compile(r"^(?P<num>\d{3})-(?P<slug>[a-z0-9][a-z0-9-]*)\.txt$")


class CorpusError(InputError):
    """The corpus cannot be used as it is: a text without gold, a gold that does not validate."""


@dataclass(frozen=True)
class GoldPatient:
    label: str | None
    summary: CaseSummary


@dataclass(frozen=True)
class CorpusDocument:
    """One report of the corpus: its text and what an annotator says it states."""

    split: Split
    name: str  # NNN-slug
    text_path: Path
    text: str
    kind: DocumentKind
    style: str
    situation: str
    notes: str | None
    patients: tuple[GoldPatient, ...]
    cohort: CohortSummary | None


def corpus_root() -> Path:
    """The corpus folder shipped with the package."""
    return Path(str(resources.files("remission.evidence") / "corpus"))


def _line(text: str, key: str) -> int | None:
    m = re.search(rf"^\s*-?\s*{re.escape(key)}\s*:", text, re.MULTILINE)
    return text[: m.start()].count("\n") + 1 if m else None


def _validation_problems(
    exc: ValidationError, prefix: str, where: str, gold_text: str
) -> list[Problem]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        field = f"{prefix}.{loc}" if loc else prefix
        key = next((str(p) for p in reversed(err["loc"]) if isinstance(p, str)), "")
        out.append(Problem(err["msg"], where, _line(gold_text, key) if key else None, field))
    return out


def _load_gold(path: Path, problems: list[Problem]) -> dict[str, Any] | None:
    where = str(path)
    try:
        gold_text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(gold_text)
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(f"the gold file cannot be read: {exc}", where))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append(
            Problem(
                f"not valid YAML: {getattr(exc, 'problem', exc)}",
                where,
                mark.line + 1 if mark else None,
            )
        )
        return None
    if not isinstance(data, dict):
        problems.append(Problem("a gold file is a block of fields (kind, patients, ...)", where, 1))
        return None
    data["_text"] = gold_text
    return data


def _document(
    split: Split, text_path: Path, gold_path: Path, problems: list[Problem]
) -> CorpusDocument | None:
    where = str(gold_path)
    data = _load_gold(gold_path, problems)
    if data is None:
        return None
    gold_text = data.pop("_text")
    n_before = len(problems)
    for key in sorted(set(data) - GOLD_KEYS):
        problems.append(Problem(f"unknown key {key!r}", where, _line(gold_text, key), key))
    kind = data.get("kind")
    if kind not in KINDS:
        problems.append(
            Problem(
                f"kind must be one of {', '.join(KINDS)}, not {kind!r}",
                where,
                _line(gold_text, "kind"),
                "kind",
            )
        )
    for key in ("style", "situation"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            problems.append(
                Problem("a one-line description is required", where, _line(gold_text, key), key)
            )
    patients: list[GoldPatient] = []
    raw_patients = data.get("patients") or []
    if not isinstance(raw_patients, list):
        problems.append(
            Problem("patients must be a list", where, _line(gold_text, "patients"), "patients")
        )
        raw_patients = []
    for i, entry in enumerate(raw_patients):
        field = f"patients[{i}]"
        if not isinstance(entry, dict) or set(entry) - {"label", "summary"}:
            problems.append(
                Problem("each patient has only 'label' and 'summary'", where, None, field)
            )
            continue
        try:
            summary = CaseSummary.model_validate(entry.get("summary") or {})
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, f"{field}.summary", where, gold_text))
            continue
        label = entry.get("label")
        patients.append(GoldPatient(str(label) if label is not None else None, summary))
    cohort = None
    if data.get("cohort") is not None:
        try:
            cohort = CohortSummary.model_validate(data["cohort"])
        except ValidationError as exc:
            problems.extend(_validation_problems(exc, "cohort", where, gold_text))
    if kind == "cohort" and (raw_patients or data.get("cohort") is None):
        problems.append(
            Problem("a cohort text has no patients and a cohort block", where, None, "kind")
        )
    if kind == "case_report" and len(raw_patients) != 1:
        problems.append(
            Problem("a case report describes exactly one patient", where, None, "patients")
        )
    if kind == "case_series" and len(raw_patients) < 2:
        problems.append(
            Problem("a case series describes two or more patients", where, None, "patients")
        )
    try:
        text = text_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(f"the text cannot be read as UTF-8: {exc}", str(text_path)))
        return None
    if not text.strip():
        problems.append(Problem("the text is empty", str(text_path)))
    if len(problems) > n_before:
        return None
    return CorpusDocument(
        split=split,
        name=text_path.name.removesuffix(".txt"),
        text_path=text_path,
        text=text,
        kind=kind,  # type: ignore[arg-type]
        style=data["style"].strip(),
        situation=data["situation"].strip(),
        notes=data.get("notes"),
        patients=tuple(patients),
        cohort=cohort,
    )


def load_corpus(
    root: str | Path | None = None, splits: Iterable[Split] = SPLITS
) -> list[CorpusDocument]:
    """Every document of the chosen splits, validated; :class:`CorpusError` lists all problems.

    Checked: names are ``NNN-slug.txt`` (a ``README.md`` may describe the split); every text has its gold and every gold its text; each
    gold validates (CaseSummary per patient, CohortSummary for the cohort, the kind agrees with
    them); no text appears in two splits (numbers and contents are unique across the corpus).
    """
    base = Path(root) if root is not None else corpus_root()
    problems: list[Problem] = []
    docs: list[CorpusDocument] = []
    if not base.is_dir():
        raise CorpusError(Problem("no corpus folder here", str(base)))
    seen_numbers: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    for split in SPLITS:
        folder = base / split
        if not folder.is_dir():
            problems.append(Problem(f"the {split!r} folder is missing", str(folder)))
            continue
        for path in sorted(folder.iterdir()):
            name = path.name
            if name.endswith(".gold.yaml"):
                if not (folder / name.replace(".gold.yaml", ".txt")).exists():
                    problems.append(Problem("a gold file without its text", str(path)))
                continue
            if name == "README.md":  # the split's table of contents
                continue
            if name.startswith(".") or not name.endswith(".txt"):
                problems.append(
                    Problem("not a corpus file (NNN-slug.txt or .gold.yaml)", str(path))
                )
                continue
            m = _NAME.match(name)
            if m is None:
                problems.append(
                    Problem("a text is named NNN-slug.txt (3 digits, lower case)", str(path))
                )
                continue
            gold = folder / name.replace(".txt", ".gold.yaml")
            if not gold.exists():
                problems.append(Problem(f"no gold file {gold.name}", str(path)))
                continue
            num = m.group("num")
            if num in seen_numbers:
                problems.append(
                    Problem(f"number {num} is also used by {seen_numbers[num]}", str(path))
                )
            seen_numbers[num] = str(path)
            doc = _document(split, path, gold, problems)
            if doc is None:
                continue
            key = " ".join(doc.text.split()).lower()
            if key in seen_texts:
                problems.append(Problem(f"the same text as {seen_texts[key]}", str(path)))
            seen_texts[key] = str(path)
            if split in set(splits):
                docs.append(doc)
    if problems:
        raise CorpusError(problems)
    return docs
