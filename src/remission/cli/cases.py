"""Case commands: validate, import, list, show, history, export, summary, schema, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from remission import api
from remission.casefile import Document, dump_document, load_file
from remission.cli._common import (
    DbOption,
    JsonOption,
    err,
    handles_errors,
    open_store,
    out,
    print_json,
    print_table,
)
from remission.exceptions import CaseFileError, InputError, Problem
from remission.model import Case, CaseSummary
from remission.model.events import event_time
from remission.store import RecordIn

Files = Annotated[
    list[Path],
    typer.Argument(
        help="Case files (YAML); import also reads FHIR Bundles (JSON).", show_default=False
    ),
]


def _progress(total: int) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=total < 50 or not err.is_terminal,
    )


@handles_errors
def validate(files: Files, json_out: JsonOption = False) -> None:
    """Check case files (YAML) and FHIR Bundles (JSON, told apart by content) without storing
    anything; every problem of every file is listed with file and line (or Bundle entry)."""
    from remission.interop.fhir import looks_like_bundle, read_bundle_file

    bundles = [f for f in files if looks_like_bundle(f)]
    problems: list[Problem] = []
    checked: list[tuple[str, Document, str]] = []
    try:
        checked += [
            (str(i.path), i.document, "case file")
            for i in api.validate_files([f for f in files if f not in bundles])
        ]
    except InputError as exc:
        problems.extend(exc.problems)
    for path in bundles:
        try:
            checked.append((str(path), read_bundle_file(path), "FHIR Bundle"))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise CaseFileError(problems)
    if json_out:
        print_json(
            [
                {"file": f, "id": d.id, "kind": d.kind, "format": form, "valid": True}
                for f, d, form in checked
            ]
        )
        return
    for source, doc, form in checked:
        out.print(f"[green]ok[/] {source} ({form}: {doc.kind} {doc.id!r})", highlight=False)


@handles_errors
def import_(
    files: Files,
    db: DbOption = None,
    author: Annotated[
        str | None, typer.Option(help="Who is importing (default: REMISSION_USER or your login).")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why, kept with each new version.")] = "import",
    json_out: JsonOption = False,
) -> None:
    """Import case files (YAML) and FHIR Bundles (JSON, told apart by content): all are validated
    first; either all are stored, or none."""
    prepared = _prepare_files(files)
    with open_store(db) as store:
        report = api.save_prepared(store, prepared, author=author, reason=reason)
    if json_out:
        print_json([o.__dict__ for o in report.outcomes])
        return
    c = report.counts
    for o in report.outcomes:
        if o.action != "unchanged" or len(report.outcomes) <= 20:
            out.print(f"{o.action:9} {o.id} (version {o.version}) from {o.source}", highlight=False)
    out.print(
        f"imported {len(report.outcomes)} file(s): {c['created']} new, {c['updated']} updated, "
        f"{c['unchanged']} unchanged",
        highlight=False,
    )


def _prepare_files(files: list[Path]) -> list[tuple[str, RecordIn]]:
    """Read and validate YAML case files and FHIR Bundles together, touching no store.

    Every problem of every file (and every case id used twice across them) is gathered into one
    error before anything is returned, so an import stores all of the files or none.
    """
    from remission.interop.fhir import looks_like_bundle, read_bundle_file

    bundles = [f for f in files if looks_like_bundle(f)]
    case_files = [f for f in files if f not in bundles]
    problems: list[Problem] = []
    prepared: list[tuple[str, RecordIn]] = []
    with _progress(len(files)) as bar:
        task = bar.add_task("reading case files", total=len(files))
        try:
            prepared = api.prepare_import(
                case_files, progress=lambda n: bar.update(task, completed=n)
            )
        except InputError as exc:
            problems.extend(exc.problems)
        for n, path in enumerate(bundles, len(case_files) + 1):
            try:
                prepared.append((str(path), api.record_for(read_bundle_file(path))))
            except InputError as exc:
                problems.extend(exc.problems)
            bar.update(task, completed=n)
    bundle_sources = {str(b) for b in bundles}
    seen: dict[str, str] = {}
    for source, record in prepared:
        first = seen.setdefault(record.id, source)
        if first != source and bundle_sources & {first, source}:
            problems.append(Problem(f"case id {record.id!r} is also used by {first}", source))
    if problems:
        raise CaseFileError(problems)
    return prepared


def _yesno(value: object) -> str:
    if value is None:
        return "-"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


@handles_errors
def list_(
    db: DbOption = None,
    kind: Annotated[str | None, typer.Option(help="case or cohort")] = None,
    status: Annotated[str | None, typer.Option(help="final or draft")] = None,
    search: Annotated[str | None, typer.Option(help="Text to look for in the id.")] = None,
    limit: Annotated[int | None, typer.Option(min=1)] = None,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    json_out: JsonOption = False,
) -> None:
    """List stored cases with their summaries."""
    if kind not in (None, "case", "cohort"):
        raise InputError(f"--kind must be 'case' or 'cohort', not {kind!r}")
    if status not in (None, "final", "draft"):
        raise InputError(f"--status must be 'final' or 'draft', not {status!r}")
    with open_store(db) as store:
        rows = api.list_documents(
            store,
            kind=kind,  # type: ignore[arg-type]
            status=status,  # type: ignore[arg-type]
            search=search,
            limit=limit,
            offset=offset,
        )
    if json_out:
        print_json(
            [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "status": r.status,
                    "version": r.version,
                    "updated_at": r.updated_at.isoformat(),
                    "summary": r.summary,
                }
                for r in rows
            ]
        )
        return
    headers = [
        "id",
        "kind",
        "v",
        "age",
        "sex",
        "Ph+",
        "relapses",
        "index therapy",
        "response",
        "CRS",
        "ICANS",
        "alive",
    ]
    table_rows: list[list[str]] = []
    for r in rows:
        s = r.summary
        if r.kind == "cohort":
            table_rows.append(
                [
                    r.id,
                    "cohort",
                    str(r.version),
                    _yesno(s.get("median_age_years")),
                    "",
                    "",
                    "",
                    f"n={s.get('n_patients')}",
                    f"CR {_yesno(s.get('n_complete_response'))}",
                    _yesno(s.get("n_crs_any")),
                    _yesno(s.get("n_icans_any")),
                    "",
                ]
            )
            continue
        therapies = ", ".join(
            f"{t['class']}" + (f" {t['agent']}" if t.get("agent") else "")
            for t in s.get("index_therapies", [])
        )
        table_rows.append(
            [
                r.id + (" (draft)" if r.status == "draft" else ""),
                r.kind,
                str(r.version),
                _yesno(s.get("age_years")),
                _yesno(s.get("sex")),
                _yesno(s.get("ph_positive")),
                _yesno(s.get("relapse_count")),
                therapies or "-",
                _yesno(s.get("response")),
                _yesno(s.get("crs_max_grade")),
                _yesno(s.get("icans_max_grade")),
                _yesno(s.get("alive_at_last_follow_up")),
            ]
        )
    print_table(f"{len(rows)} document(s)", headers, table_rows)


def _describe_time(doc: Case, ev: object) -> str:
    t = event_time(ev)  # type: ignore[arg-type]
    return "-" if t is None else str(t)


def _show_case(doc: Case, summary: CaseSummary) -> None:
    p, d = doc.patient, doc.diagnosis
    out.print(f"[bold]{doc.id}[/] ({doc.status})", highlight=False)
    if doc.source and doc.source.citation:
        out.print(f"source: {doc.source.citation.strip()}", markup=False, highlight=False)
    age = f"{p.age.value:g} {p.age.unit} at {p.age.at}" if p.age else "age not stated"
    out.print(f"patient: {p.sex or 'sex not stated'}, {age}", highlight=False)
    bits: list[str] = [d.disease]
    if d.ph_positive is not None:
        bits.append("Ph+" if d.ph_positive else "Ph-")
    if d.bcr_abl1_transcript:
        bits.append(d.bcr_abl1_transcript)
    out.print(f"diagnosis: {' '.join(bits)}, {d.date or 'date not stated'}", highlight=False)
    table = Table("id", "type", "when", "what", title="timeline")
    for ev in doc.timeline:
        what = ""
        if ev.type == "therapy":
            what = ", ".join(ev.agents) or ""
            if ev.protocol:
                what = f"{ev.protocol} {what}".strip()
            if ev.courses:
                what += f" ({ev.courses} courses)"
        elif ev.type == "relapse":
            what = ", ".join(ev.sites) or "sites not stated"
            if ev.number:
                what = f"#{ev.number}: {what}"
        elif ev.type == "car_t_infusion":
            what = " ".join(
                x
                for x in (
                    ev.product if ev.product != "investigational" else "",
                    ev.target or "",
                    ev.cell_source or "",
                )
                if x
            )
        elif ev.type == "hsct":
            what = " ".join(x for x in (ev.kind, ev.donor_type or "") if x)
        elif ev.type == "disease_assessment":
            what = f"response {ev.response}" if ev.response else ""
        elif ev.type == "toxicity":
            what = ev.syndrome.upper() + (
                f" grade {ev.grade.grade} ({ev.grade.scale})" if ev.grade else ""
            )
        elif ev.type == "follow_up":
            what = ("alive" if ev.alive else "dead") + f", {ev.disease_status}"
        elif ev.type == "death":
            what = f"cause: {ev.cause}"
        table.add_row(ev.id, ev.type.replace("_", " "), _describe_time(doc, ev), what)
    out.print(table)
    _print_summary(summary)


def _print_summary(summary: object) -> None:
    table = Table("field", "value", title="summary")
    for key, value in summary.model_dump(mode="json", by_alias=True).items():  # type: ignore[attr-defined]
        if key == "index_therapies":
            value = "; ".join(
                " ".join(str(v) for k, v in t.items() if v not in (None, [], "")) for t in value
            )
        elif isinstance(value, list):
            value = ", ".join(map(str, value))
        table.add_row(key, _yesno(value) if value != "" else "-")
    out.print(table)


@handles_errors
def show(
    case_id: Annotated[str, typer.Argument(help="Case id.")],
    db: DbOption = None,
    version: Annotated[int | None, typer.Option(min=1, help="A past version.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Show one stored case: patient, diagnosis, timeline and summary."""
    with open_store(db) as store:
        doc, record = api.get_document(store, case_id, version)
    if json_out:
        print_json(
            {
                "id": record.id,
                "version": record.version,
                "current_version": record.current_version,
                "author": record.author,
                "saved_at": record.created_at.isoformat(),
                "document": record.document,
                "summary": record.summary,
            }
        )
        return
    out.print(
        f"version {record.version} of {record.current_version}, saved by {record.author} "
        f"at {record.created_at:%Y-%m-%d %H:%M} UTC ({record.reason})",
        highlight=False,
    )
    summary = api.summarize_document(doc)
    if isinstance(doc, Case):
        assert isinstance(summary, CaseSummary)
        _show_case(doc, summary)
    else:
        out.print(f"[bold]{doc.id}[/]: cohort of {doc.n_patients}", highlight=False)
        _print_summary(summary)


@handles_errors
def history(
    case_id: Annotated[str, typer.Argument(help="Case id.")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Every saved version of a case: who, when, why."""
    with open_store(db) as store:
        versions = api.history(store, case_id)
    if json_out:
        print_json(
            [
                {
                    "version": v.version,
                    "status": v.status,
                    "author": v.author,
                    "reason": v.reason,
                    "saved_at": v.created_at.isoformat(),
                    "content_hash": v.content_hash,
                }
                for v in versions
            ]
        )
        return
    table = Table("version", "saved at (UTC)", "by", "why", "status", title=f"history of {case_id}")
    for v in versions:
        table.add_row(
            str(v.version), f"{v.created_at:%Y-%m-%d %H:%M:%S}", v.author, v.reason, v.status
        )
    out.print(table)


@handles_errors
def export(
    case_id: Annotated[
        str | None,
        typer.Argument(help="Case id (YAML or FHIR export of one case); omit to export all cases."),
    ] = None,
    db: DbOption = None,
    version: Annotated[int | None, typer.Option(min=1)] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="yaml (one case), csv (a folder of tables), xlsx (one workbook), cbioportal "
            "(a study folder), registry (CSV, data dictionary, missing-fields report) or fhir "
            "(a FHIR R4 Bundle per case: one file with a case id, else a folder).",
        ),
    ] = "yaml",
    output: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File (yaml, xlsx; fhir with a case id) or folder (csv, cbioportal, registry; "
            "fhir without one) to write; yaml and fhir default to stdout for one case.",
        ),
    ] = None,
    deidentify: Annotated[
        bool,
        typer.Option(
            "--deidentify",
            help="Pseudonymous ids, dates shifted per patient, ages 90+ grouped, free text "
            "removed (docs/interop.md). Needs --key or REMISSION_DEID_KEY.",
        ),
    ] = False,
    key: Annotated[
        str | None,
        typer.Option(
            "--key",
            envvar="REMISSION_DEID_KEY",
            help="De-identification key (16+ characters); the same key gives the same "
            "pseudonyms and shifts. Prefer the REMISSION_DEID_KEY variable to the command line.",
            show_default=False,
        ),
    ] = None,
    scrub_text: Annotated[
        bool,
        typer.Option(
            "--scrub-text",
            help="With --deidentify: keep free text scrubbed of dates, numbers, e-mails, phones "
            "and titled names instead of removing it (review it before sharing).",
        ),
    ] = False,
    anchor: Annotated[
        str,
        typer.Option(help="cbioportal: day 0 of the timeline, OS and EFS: infusion or diagnosis."),
    ] = "infusion",
    study_id: Annotated[
        str, typer.Option(help="cbioportal: the cancer_study_identifier.")
    ] = "remission_cohort",
    overwrite: Annotated[
        bool,
        typer.Option(help="cbioportal, registry: replace the files of an earlier export."),
    ] = False,
) -> None:
    """Export a case as YAML that re-imports to an identical case, or every stored case as tables
    (CaseSummary rows, long-format observations and a data dictionary) in CSV or XLSX, as a
    cBioPortal study folder, as the registry-shaped summary (one row per CAR-T infusion), or as
    FHIR R4 Bundles (one per case; `remission import` reads them back). With --deidentify every
    format is written from de-identified copies."""
    if scrub_text and not deidentify:
        raise InputError("--scrub-text is used only with --deidentify")
    if fmt == "yaml":
        if case_id is None:
            raise InputError(
                "give the case id to export as YAML (or --format csv|xlsx for all cases)"
            )
        with open_store(db) as store:
            if deidentify:
                doc = api.get_document(store, case_id, version)[0]
                if not isinstance(doc, Case):
                    raise InputError(
                        f"{case_id!r} is a cohort aggregate (published counts, no patient "
                        "data): --deidentify applies to cases"
                    )
                text = dump_document(_deidentified([doc], key, scrub_text)[0])
            else:
                text = api.export_document(store, case_id, version)
        if output is None:
            typer.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8")
            err.print(f"wrote {output}", highlight=False)
        return
    if fmt not in ("csv", "xlsx", "cbioportal", "registry", "fhir"):
        raise InputError(
            f"--format must be yaml, csv, xlsx, cbioportal, registry or fhir, not {fmt!r}"
        )
    from remission.report.tables import write_csv_tables, write_xlsx_tables

    with open_store(db) as store:
        if case_id is None and version is not None:
            raise InputError("--version needs a case id")
        ids = [case_id] if case_id else store.ids("case", status="final")
        cases = [
            doc
            for doc in (api.get_document(store, i, version)[0] for i in ids)
            if isinstance(doc, Case)
        ]
    if deidentify:
        cases = _deidentified(cases, key, scrub_text)
    if fmt == "cbioportal":
        from remission.interop.cbioportal import write_study

        if anchor not in ("infusion", "diagnosis"):
            raise InputError(f"--anchor must be infusion or diagnosis, not {anchor!r}")
        study = write_study(
            cases,
            output or Path("remission-cbioportal"),
            study_id=study_id,
            anchor=anchor,  # type: ignore[arg-type]
            overwrite=overwrite,
        )
        err.print(
            f"wrote {study.folder} ({study.patients} patients; timeline events: "
            + ", ".join(f"{k} {v}" for k, v in study.events.items())
            + f"; {len(study.skipped)} items left out, listed in skipped_events.tsv)",
            highlight=False,
        )
        return
    if fmt == "fhir":
        _write_fhir(cases, output, case_id)
        return
    if fmt == "registry":
        from remission.interop.registry import write_registry

        for path in write_registry(
            cases, output or Path("remission-registry"), overwrite=overwrite
        ):
            err.print(f"wrote {path}", highlight=False)
        return
    if fmt == "csv":
        folder = output or Path("remission-export")
        for path in write_csv_tables(cases, folder):
            err.print(f"wrote {path}", highlight=False)
    else:
        path = write_xlsx_tables(cases, output or Path("remission-export.xlsx"))
        err.print(f"wrote {path} ({len(cases)} cases)", highlight=False)


def _write_fhir(cases: list[Case], output: Path | None, case_id: str | None) -> None:
    """One FHIR R4 Bundle per case: to stdout or --out for one case id, else into a folder."""
    import json

    from remission.interop.fhir import case_to_bundle

    def text(case: Case) -> str:
        return json.dumps(case_to_bundle(case), ensure_ascii=False, indent=2) + "\n"

    if case_id is not None:
        if not cases:
            raise InputError(
                f"{case_id!r} is a cohort aggregate: FHIR Bundles are written for cases"
            )
        if output is None:
            typer.echo(text(cases[0]), nl=False)
        else:
            output.write_text(text(cases[0]), encoding="utf-8")
            err.print(f"wrote {output}", highlight=False)
        return
    folder = output or Path("remission-fhir")
    folder.mkdir(parents=True, exist_ok=True)
    for case in cases:
        (folder / f"{case.id}.json").write_text(text(case), encoding="utf-8")
    err.print(f"wrote {len(cases)} FHIR Bundle(s) to {folder}", highlight=False)


def _deidentified(cases: list[Case], key: str | None, scrub: bool) -> list[Case]:
    """De-identified copies for --deidentify; refuses to run without a key (none is made up:
    a generated key that is not kept would make pseudonyms that never match again)."""
    from remission.exceptions import DeidentificationError
    from remission.interop.deidentify import KEY_ENV, deidentify_cases

    if not key:
        raise DeidentificationError(
            f"--deidentify needs a key: set {KEY_ENV} (or give --key) to 16 or more random "
            'characters, e.g. from: python -c "import secrets; print(secrets.token_urlsafe(32))"; '
            "keep it to get the same pseudonyms in later exports"
        )
    return deidentify_cases(cases, key=key, text="scrub" if scrub else "drop")


@handles_errors
def summary(
    targets: Annotated[list[str], typer.Argument(help="Case ids in the store, or case files.")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """The flat CaseSummary row of a stored case or of a case file."""
    docs: list[Document] = []
    pending_ids = []
    for target in targets:
        path = Path(target)
        if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
            docs.append(load_file(path).document)
        else:
            pending_ids.append(target)
    if pending_ids:
        with open_store(db) as store:
            for doc_id in pending_ids:
                docs.append(api.get_document(store, doc_id)[0])
    summaries = [api.summarize_document(d) for d in docs]
    if json_out:
        payload = [
            {"id": d.id, "kind": d.kind, "summary": api.summary_json(s)}
            for d, s in zip(docs, summaries, strict=True)
        ]
        print_json(payload[0] if len(payload) == 1 else payload)
        return
    for d, s in zip(docs, summaries, strict=True):
        out.print(f"[bold]{d.id}[/]", highlight=False)
        _print_summary(s)


@handles_errors
def schema(
    kind: Annotated[str, typer.Option(help="case, cohort or all")] = "all",
) -> None:
    """Print the JSON Schema of case files, generated from the model."""
    if kind not in ("case", "cohort", "all"):
        raise InputError(f"--kind must be case, cohort or all, not {kind!r}")
    print_json(api.document_schema(kind))  # type: ignore[arg-type]


@handles_errors
def demo(
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL; default: a SQLite file in --out.")
    ] = None,
    output: Annotated[Path, typer.Option("--out", help="Folder for the demo outputs.")] = Path(
        "out/demo"
    ),
    virtual: Annotated[
        int, typer.Option(min=0, help="Virtual patients to add beside the bundled cases.")
    ] = 200,
    json_out: JsonOption = False,
) -> None:
    """Load the bundled seed cases and write summaries and exports; prints where they are."""
    from remission.demo import run_demo

    output.mkdir(parents=True, exist_ok=True)
    url = db or f"sqlite:///{(output / 'remission-demo.sqlite').resolve()}"
    with open_store(url) as store:
        result = run_demo(store, output, virtual=virtual)
    if json_out:
        print_json(
            {
                "store": result.store_url,
                "files": {k: str(v) for k, v in result.files.items()},
                "imported": [o.__dict__ for o in result.report.outcomes],
            }
        )
        return
    c = result.report.counts
    out.print(
        f"[bold]remission demo[/]: {len(result.report.outcomes)} bundled documents "
        f"({c['created']} new, {c['updated']} updated, {c['unchanged']} unchanged)",
        highlight=False,
    )
    table = Table(
        "case",
        "age",
        "Ph+",
        "relapses",
        "EM sites",
        "index therapy",
        "response",
        "CRS",
        "ICANS",
        "bridged",
        "follow-up (mo)",
        title="derived case summaries",
    )
    for doc_id, s in result.summaries:
        table.add_row(
            doc_id,
            _yesno(s.age_years),
            _yesno(s.ph_positive),
            _yesno(s.relapse_count),
            ", ".join(s.extramedullary_sites) or "-",
            ", ".join(
                f"{t.therapy_class} {t.target or ''} {t.cell_source or ''}".strip()
                for t in s.index_therapies
            )
            or "-",
            _yesno(s.response),
            _yesno(s.crs_max_grade),
            _yesno(s.icans_max_grade),
            _yesno(s.bridged_to_hsct),
            _yesno(s.follow_up_months),
        )
    out.print(table)
    derived = Table(
        "case",
        "episodes (computed, ASTCT 2019)",
        "responses",
        "OS",
        "EFS",
        "duration of response",
        title="derived by the rules",
    )
    for doc_id, d in result.derived.items():
        eps = (
            ", ".join(f"{e['syndrome'].upper()} max {e['max_grade']}" for e in d["episodes"]) or "-"
        )
        resp = ", ".join(r.get("label") or "-" for r in d["responses"] if r.get("label")) or "-"
        cells = [
            _outcome_cell(d["outcomes"][k])
            for k in ("overall_survival", "event_free_survival", "duration_of_response")
        ]
        derived.add_row(doc_id, eps, resp, *cells)
    out.print(derived)
    out.print(f"store: {result.store_url}", highlight=False)
    for label, path in result.files.items():
        out.print(f"{label}: {path}", highlight=False)
    if "cohort report (HTML)" in result.files:
        out.print(
            f"open the cohort report: {result.files['cohort report (HTML)']}", highlight=False
        )


def _outcome_cell(outcome: dict) -> str:
    if not outcome.get("computable"):
        return "not computable"
    iv = outcome.get("interval") or {}
    months = iv.get("months")
    if months is None:
        return "-"
    status = "event" if outcome.get("event") else "censored"
    precision = "" if iv.get("exact") else f" ({iv.get('precision')})"
    return f"{months:.1f} mo, {status}{precision}"


@handles_errors
def rederive(
    db: DbOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; save nothing.")
    ] = False,
    author: Annotated[
        str | None, typer.Option(help="Who runs it (default: REMISSION_USER or your login).")
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Derive every stored document's summary again with this version's rules (after an
    upgrade); each one that differs is saved as a new version, all in one transaction."""
    with open_store(db) as store, _progress(store.count()) as bar:
        task = bar.add_task("deriving", total=None)
        report = api.rederive(
            store,
            author=author,
            dry_run=dry_run,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if json_out:
        print_json(
            {
                "changed": report.changed,
                "unchanged": report.unchanged,
                "unreadable": [str(p) for p in report.unreadable],
                "saved": report.saved,
                "reports_refreshed": report.reports_refreshed,
            }
        )
    else:
        verb = "would change" if dry_run else "changed (a new version each)"
        for doc_id in report.changed:
            out.print(
                f"{'would change' if dry_run else 'changed'}  {doc_id}", highlight=False, markup=False
            )
        out.print(
            f"{len(report.changed)} {verb}, {report.unchanged} already current, "
            f"{len(report.unreadable)} unreadable",
            highlight=False,
        )
        if report.reports_refreshed:
            out.print(
                f"case page data of {report.reports_refreshed} current version(s) "
                f"{'would be' if dry_run else 'was'} derived again in place (no new version)",
                highlight=False,
            )
        for line in [str(p) for p in report.unreadable]:
            err.print(f"unreadable (left as it is): {line}", highlight=False, markup=False)
    if report.unreadable:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("import")(import_)
    app.command("list")(list_)
    app.command("show")(show)
    app.command("history")(history)
    app.command("rederive")(rederive)
    app.command("export")(export)
    app.command("summary")(summary)
    app.command("schema")(schema)
    app.command("demo")(demo)
