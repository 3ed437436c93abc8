"""Extraction commands: extract (text -> drafts), extract-eval (the corpus figures), review."""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from remission.casefile import Document, dump_document
from remission.cli._common import (
    DbOption,
    JsonOption,
    err,
    handles_errors,
    open_store,
    out,
    print_json,
)
from remission.exceptions import InputError, Problem
from remission.model import Case, Evidence, ExtractedValue

ExtractorOption = Annotated[
    str,
    typer.Option(
        "--extractor",
        help="rules (default: built in, needs nothing) or llm (a language model behind an "
        "OpenAI-compatible endpoint you configure).",
    ),
]
LlmUrl = Annotated[
    str | None,
    typer.Option(
        "--llm-url",
        help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (else REMISSION_LLM_URL).",
        show_default=False,
    ),
]
LlmModel = Annotated[
    str | None,
    typer.Option("--llm-model", help="Model name (else REMISSION_LLM_MODEL).", show_default=False),
]
LlmKey = Annotated[
    str | None,
    typer.Option("--llm-key", help="API key (else REMISSION_LLM_API_KEY).", show_default=False),
]
LlmTimeout = Annotated[
    float | None,
    typer.Option("--llm-timeout", help="Seconds to wait for an answer (default 120).", min=1),
]
Reviewer = Annotated[
    str | None,
    typer.Option(help="Who decides (default: REMISSION_USER or your login).", show_default=False),
]


def _load_evidence() -> None:
    """Import the extraction package quietly: spaCy, loaded by the rule-based extractor, warns
    about its own dependencies' deprecations, which are no concern of the user's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import remission.evidence  # noqa: F401


#: From this many files on, a progress bar is shown (on a terminal).
PROGRESS_FROM = 5


def _progress(total: int) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=total < PROGRESS_FROM or not err.is_terminal,
    )


def _snippet(text: str | None, ev: Evidence, width: int = 40) -> Text:
    """The evidence words in their context, the words themselves in bold."""
    shown = Text()
    for i, span in enumerate(ev.spans[:3]):
        if i:
            shown.append("  |  ", style="dim")
        if text is None:
            shown.append(span.text, style="bold")
            continue
        before = " ".join(text[max(0, span.start - width) : span.start].split())
        after = " ".join(text[span.end : span.end + width].split())
        shown.append(("…" if span.start > width else "") + before + " ", style="dim")
        shown.append(" ".join(span.text.split()), style="bold")
        shown.append(" " + after + ("…" if span.end + width < len(text) else ""), style="dim")
    if ev.cue is not None:
        shown.append(f"  [{ev.modifier or 'cue'}: {ev.cue.text}]", style="italic")
    return shown


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_shown(v)}" for k, v in value.items() if v not in (None, []))
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def _values_table(title: str, values: tuple[ExtractedValue, ...], text: str | None) -> Table:
    table = Table(
        "field", "value", "status", "evidence", "match", title=title, title_justify="left"
    )
    for v in values:
        evidence = _snippet(text, v.evidence[0]) if v.evidence else Text("-")
        status = v.status + (f" ({v.reviewer})" if v.reviewer else "")
        match = v.evidence[0].match if v.evidence else "-"
        table.add_row(v.field, _shown(v.value), status, evidence, match)
    return table


@handles_errors
def extract(
    files: Annotated[
        list[Path], typer.Argument(help="Report texts (plain UTF-8 text).", show_default=False)
    ],
    json_out: JsonOption = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write one draft case file per patient into this folder."),
    ] = None,
    save: Annotated[
        bool, typer.Option("--store", help="Save the drafts in the store (see --db).")
    ] = False,
    db: DbOption = None,
    author: Annotated[
        str | None, typer.Option(help="Who saves the drafts (default: REMISSION_USER or login).")
    ] = None,
    id_prefix: Annotated[
        str | None,
        typer.Option(help="Draft case id (one file only); default draft-<file>-<text hash>."),
    ] = None,
    extractor: ExtractorOption = "rules",
    llm_url: LlmUrl = None,
    llm_model: LlmModel = None,
    llm_key: LlmKey = None,
    llm_timeout: LlmTimeout = None,
) -> None:
    """Extract case summaries, with the words behind every value, from report texts.

    Every file is read first; an unreadable one (missing, a folder, binary, over 2 MB) stops the
    command before anything is extracted. --json prints one object per file.
    """
    _load_evidence()
    from remission.evidence import api

    if id_prefix is not None and len(files) > 1:
        raise InputError("--id-prefix names the drafts of one file; give one file")
    texts = api.read_reports(files)  # every file is read before anything is extracted
    engine = api.get_extractor(
        extractor, llm_url=llm_url, llm_model=llm_model, llm_key=llm_key, llm_timeout=llm_timeout
    )
    with _progress(len(files)) as bar:
        task = bar.add_task("extracting", total=len(files))
        items = api.extract_texts(texts, engine, progress=lambda n: bar.update(task, completed=n))
    drafts: list[Document] = []
    if out_dir is not None or save:
        for item in items:
            drafts.extend(api.drafts_for(item, id_prefix=id_prefix))
    say = err if json_out else out
    if out_dir is not None:
        written = api.write_drafts(drafts, out_dir)
        say.print(f"wrote {len(written)} draft(s) to {out_dir}", highlight=False)
    if save:
        with open_store(db) as store:
            report = api.save_drafts(store, drafts, author=author)
        say.print(
            f"stored {len(report.outcomes)} draft(s): "
            + ", ".join(f"{o.id} (version {o.version})" for o in report.outcomes),
            highlight=False,
        )
    if json_out:
        print_json([item.result.to_json() for item in items])
        return
    for item in items:
        r = item.result
        out.print(
            Text.assemble(
                (item.path, "bold"), f"  {r.kind.replace('_', ' ')}, {len(r.patients)} patient(s)"
            ),
            f"[dim](extractor: {r.extractor})[/]",
        )
        for w in r.warnings:
            err.print(f"warning: {item.path}: {w}", markup=False, highlight=False)
        for n, p in enumerate(r.patients, 1):
            label = p.label or f"patient {n}"
            if not p.values:
                out.print(f"  {label}: nothing extracted", highlight=False)
                continue
            out.print(_values_table(label, p.values, item.text))
        if r.cohort is not None:
            out.print(_values_table("cohort", r.cohort_values, item.text))


@handles_errors
def extract_eval(
    split: Annotated[str, typer.Option(help="dev, heldout or all.")] = "all",
    corpus: Annotated[
        Path | None,
        typer.Option(help="Corpus folder with dev/ and heldout/ (default: the one shipped)."),
    ] = None,
    mismatches: Annotated[
        bool, typer.Option("--mismatches", help="List every value that did not match.")
    ] = False,
    json_out: JsonOption = False,
    extractor: ExtractorOption = "rules",
    llm_url: LlmUrl = None,
    llm_model: LlmModel = None,
    llm_key: LlmKey = None,
    llm_timeout: LlmTimeout = None,
) -> None:
    """Score the extractor on the annotated corpus: per-field precision, recall and F1.

    The rules are tuned on dev only; heldout is never looked at while tuning, so its figures say
    how the extractor does on new texts.
    """
    _load_evidence()
    from remission.evidence import api
    from remission.evidence.corpus import SPLITS, load_corpus
    from remission.evidence.evaluate import evaluate

    if split not in ("dev", "heldout", "all"):
        raise InputError(f"--split must be dev, heldout or all, not {split!r}")
    chosen = SPLITS if split == "all" else (split,)
    docs = load_corpus(corpus, chosen)  # type: ignore[arg-type]
    engine = api.get_extractor(
        extractor, llm_url=llm_url, llm_model=llm_model, llm_key=llm_key, llm_timeout=llm_timeout
    )
    with _progress(len(docs)) as bar:
        task = bar.add_task("extracting", total=len(docs))
        done = 0

        class _Counting:
            name = engine.name

            def extract(self, text: str, file: str | None = None) -> Any:
                nonlocal done
                result = engine.extract(text, file=file)
                done += 1
                bar.update(task, completed=done)
                return result

        report = evaluate(docs, _Counting())
    if json_out:
        print_json(report.to_json(mismatches=mismatches))
        return
    for name, scores in report.splits.items():
        table = Table(
            "field",
            "gold",
            "TP",
            "FP",
            "FN",
            "precision",
            "recall",
            "F1",
            title=f"{name}: {scores.n_documents} texts, {scores.n_patients} patients "
            f"(extractor: {report.extractor})",
            title_justify="left",
        )

        def pct(x: float | None) -> str:
            return "-" if x is None else f"{x:.2f}"

        for field, c in scores.fields.items():
            if c.tp + c.fp + c.fn == 0:
                continue
            table.add_row(
                field,
                str(c.tp + c.fn),
                str(c.tp),
                str(c.fp),
                str(c.fn),
                pct(c.precision),
                pct(c.recall),
                pct(c.f1),
            )
        micro = scores.micro
        table.add_section()
        table.add_row(
            "micro (all fields)",
            str(micro.tp + micro.fn),
            str(micro.tp),
            str(micro.fp),
            str(micro.fn),
            pct(micro.precision),
            pct(micro.recall),
            pct(micro.f1),
        )
        table.add_row("macro F1 (mean over fields)", "", "", "", "", "", "", pct(scores.macro_f1))
        out.print(table)
        for e in scores.errors:
            err.print(f"warning: extractor failed on {e}", markup=False, highlight=False)
        if mismatches:
            for m in scores.mismatches:
                who = f" patient {m.patient}" if m.patient else ""
                out.print(
                    f"  {m.document}{who} {m.field}: gold {m.gold!r}, extracted {m.predicted!r}",
                    markup=False,
                    highlight=False,
                )


# --- review -----------------------------------------------------------------------------------

review_app = typer.Typer(
    help="Review a draft: accept, edit or reject each extracted value, then finalise it.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Target = Annotated[
    str,
    typer.Argument(help="A draft case file (YAML) or the id of a draft in the store (with --db)."),
]
VersionOption = Annotated[
    int | None,
    typer.Option(
        "--version",
        help="The stored version you reviewed (refused if someone saved since).",
        min=1,
    ),
]


def _is_file(target: str) -> bool:
    return Path(target).exists() or target.endswith((".yaml", ".yml"))


def _write_in_place(path: Path, case: Case) -> None:
    """Replace the file only once the new text is complete (a crash leaves the old one)."""
    text = dump_document(case)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _apply(target: str, db: str | None, what: str, change: Any, stored: Any) -> Case:
    """Run a review step on a draft file (rewritten in place) or a stored draft (new version)."""
    _load_evidence()
    from remission.evidence import api

    if _is_file(target):
        path = Path(target)
        case = change(api.load_draft(path))
        _write_in_place(path, case)
        out.print(f"{what}: {path}", highlight=False)
        return case
    with open_store(db) as store:
        case, saved = stored(store)
    out.print(f"{what}: {target} (version {saved.version})", highlight=False)
    return case


def _parse_value(raw: str) -> Any:
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise InputError(Problem(f"the value {raw!r} cannot be read: {exc}")) from None


@review_app.command("show")
@handles_errors
def review_show(target: Target, db: DbOption = None, json_out: JsonOption = False) -> None:
    """List a draft's values with their evidence and review status."""
    _load_evidence()
    from remission.api import get_document
    from remission.evidence import api

    if _is_file(target):
        case = api.load_draft(target)
    else:
        with open_store(db) as store:
            doc, _ = get_document(store, target)
        if not isinstance(doc, Case):
            raise InputError(Problem("a cohort document has no extracted values", target))
        case = doc
    values = case.extraction.values if case.extraction else ()
    if json_out:
        print_json(
            {
                "id": case.id,
                "status": case.status,
                "pending": [v.field for v in values if v.status == "pending"],
                "values": [v.model_dump(mode="json", exclude_none=True) for v in values],
                "notes": case.notes,
            }
        )
        return
    text = case.extraction.text if case.extraction else None
    pending = sum(1 for v in values if v.status == "pending")
    out.print(
        f"{case.id} ({case.status}): {len(values)} value(s), {pending} pending", highlight=False
    )
    if values:
        out.print(_values_table("values", values, text))
    if case.notes:
        out.print(case.notes, markup=False, highlight=False)


def _decide_many(
    target: str,
    fields: list[str],
    action: str,
    db: str | None,
    reviewer: str | None,
    note: str | None,
    version: int | None,
) -> None:
    _load_evidence()
    from remission.api import current_user
    from remission.evidence import api
    from remission.evidence.review import decide

    who = reviewer or current_user()

    def change(case: Case) -> Case:
        for f in fields:
            case = decide(case, f, action, reviewer=who, note=note)  # type: ignore[arg-type]
        return case

    def stored(store: Any) -> Any:
        result = None
        expected = version
        for f in fields:
            result = api.review_value(
                store,
                target,
                f,
                action,  # type: ignore[arg-type]
                reviewer=who,
                note=note,
                expected_version=expected,
            )
            expected = result[1].version
        return result

    _apply(target, db, f"{action}ed {', '.join(fields)}", change, stored)


NoteOption = Annotated[str | None, typer.Option(help="Why (kept with the decision).")]
Fields = Annotated[list[str], typer.Argument(help="Field paths, e.g. crs_max_grade.")]


@review_app.command("accept")
@handles_errors
def review_accept(
    target: Target,
    fields: Fields,
    db: DbOption = None,
    reviewer: Reviewer = None,
    note: NoteOption = None,
    version: VersionOption = None,
) -> None:
    """Accept values as extracted."""
    _decide_many(target, fields, "accept", db, reviewer, note, version)


@review_app.command("reject")
@handles_errors
def review_reject(
    target: Target,
    fields: Fields,
    db: DbOption = None,
    reviewer: Reviewer = None,
    note: NoteOption = None,
    version: VersionOption = None,
) -> None:
    """Reject values: they are removed from the case (the proposal stays on record)."""
    _decide_many(target, fields, "reject", db, reviewer, note, version)


@review_app.command("edit")
@handles_errors
def review_edit(
    target: Target,
    field: Annotated[str, typer.Argument(help="Field path, e.g. crs_max_grade.")],
    value: Annotated[
        str, typer.Argument(help="The right value, as YAML: 3, true, CR, [cns, testis].")
    ],
    db: DbOption = None,
    reviewer: Reviewer = None,
    note: NoteOption = None,
    version: VersionOption = None,
) -> None:
    """Replace a value (the extractor's proposal is kept beside it)."""
    _load_evidence()
    from remission.api import current_user
    from remission.evidence import api
    from remission.evidence.review import decide

    new = _parse_value(value)
    who = reviewer or current_user()
    _apply(
        target,
        db,
        f"edited {field}",
        lambda case: decide(case, field, "edit", value=new, reviewer=who, note=note),
        lambda store: api.review_value(
            store,
            target,
            field,
            "edit",
            value=new,
            reviewer=who,
            note=note,
            expected_version=version,
        ),
    )


@review_app.command("accept-all")
@handles_errors
def review_accept_all(
    target: Target,
    db: DbOption = None,
    reviewer: Reviewer = None,
    version: VersionOption = None,
) -> None:
    """Accept every value still pending."""
    _load_evidence()
    from remission.api import current_user
    from remission.evidence import api
    from remission.evidence.review import accept_all

    who = reviewer or current_user()
    _apply(
        target,
        db,
        "accepted all pending values",
        lambda case: accept_all(case, reviewer=who),
        lambda store: api.accept_all_values(store, target, reviewer=who, expected_version=version),
    )


@review_app.command("finalize")
@handles_errors
def review_finalize(
    target: Target,
    db: DbOption = None,
    reviewer: Reviewer = None,
    version: VersionOption = None,
) -> None:
    """Make a reviewed draft a final case (refused while values are pending)."""
    _load_evidence()
    from remission.api import current_user
    from remission.evidence import api
    from remission.evidence.review import finalize

    who = reviewer or current_user()
    _apply(
        target,
        db,
        "finalised",
        lambda case: finalize(case, reviewer=who),
        lambda store: api.finalize_draft(store, target, reviewer=who, expected_version=version),
    )


def register(app: typer.Typer) -> None:
    app.command("extract")(extract)
    app.command("extract-eval")(extract_eval)
    app.add_typer(review_app, name="review")
