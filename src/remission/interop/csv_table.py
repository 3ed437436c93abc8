"""Reading a CSV file safely: size, encoding, quoting and row shape, every problem located.

A CSV exported from REDCap, a spreadsheet or a laboratory system is read into a header and rows
of text cells, each row knowing its 1-based data row number (the header is not counted) and the
physical line it starts on (a quoted cell may span lines). Refused, with the line: files over the
size limit, binary files (NUL bytes), UTF-16 and other non-UTF-8 encodings, unbalanced quotes, a
header that repeats a column, and rows with more or fewer cells than the header.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from remission.exceptions import Problem, TableImportError, TableProblem

__all__ = ["MAX_TABLE_BYTES", "CsvTable", "TableRow", "parse_csv_text", "read_csv_file"]

#: CSV files larger than this are refused before reading (a REDCap export of a few hundred
#: patients with daily laboratory values is a few MB).
MAX_TABLE_BYTES = 50_000_000
#: The longest cell accepted (csv's own limit is 128 kB); longer is not a clinical value.
MAX_CELL_CHARS = 100_000


@dataclass(frozen=True)
class TableRow:
    """One data row: its number (1-based, header excluded), its first line, its cells by column."""

    number: int
    line: int
    cells: dict[str, str]

    def get(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True)
class CsvTable:
    where: str
    header: tuple[str, ...]
    rows: tuple[TableRow, ...]


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{n / 1e3:.1f} kB"


def _decode(raw: bytes, where: str) -> str:
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise TableImportError(
            TableProblem("the file is saved as UTF-16; export or save it as UTF-8 CSV", where, 1)
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise TableImportError(
            TableProblem(
                "this is a binary file, not a CSV (it contains a NUL byte)",
                where,
                raw[:nul].count(b"\n") + 1,
            )
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise TableImportError(
            TableProblem(
                f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at position "
                f"{exc.start}); it may be Latin-1 or Windows-1252: save it as CSV UTF-8",
                where,
                line,
            )
        ) from None


def parse_csv_text(text: str, where: str = "<csv>") -> CsvTable:
    """Split CSV text into a header and rows; :class:`TableImportError` lists every malformed
    row (blank lines are skipped)."""
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    rows: list[TableRow] = []
    start_line = 1
    try:
        for cells in reader:
            line = start_line
            start_line = reader.line_num + 1
            if not cells or all(not c.strip() for c in cells):
                continue
            long_cell = next((c for c in cells if len(c) > MAX_CELL_CHARS), None)
            if long_cell is not None:
                problems.append(
                    TableProblem(
                        f"a cell of {len(long_cell)} characters is too long for a value "
                        f"(limit {MAX_CELL_CHARS})",
                        where,
                        line,
                        row=len(rows) + 1 if header is not None else None,
                    )
                )
                continue
            if header is None:
                header = [c.strip() for c in cells]
                seen: set[str] = set()
                for name in header:
                    if not name:
                        problems.append(
                            TableProblem("the header has an empty column name", where, line)
                        )
                    elif name in seen:
                        problems.append(
                            TableProblem(
                                "the header names this column twice", where, line, column=name
                            )
                        )
                    seen.add(name)
                continue
            number = len(rows) + 1
            if len(cells) != len(header):
                problems.append(
                    TableProblem(
                        f"the row has {len(cells)} cells but the header has {len(header)} "
                        "(a stray comma or quote?)",
                        where,
                        line,
                        row=number,
                    )
                )
                rows.append(TableRow(number, line, {}))
                continue
            rows.append(
                TableRow(number, line, dict(zip(header, (c.strip() for c in cells), strict=True)))
            )
    except csv.Error as exc:
        problems.append(
            TableProblem(
                f"the CSV is malformed: {exc} (an unbalanced quote?)", where, reader.line_num
            )
        )
    if header is None:
        problems.append(TableProblem("the file is empty (expected a header row)", where, 1))
    if problems:
        raise TableImportError(problems)
    assert header is not None
    return CsvTable(where, tuple(header), tuple(r for r in rows if r.cells))


def read_csv_file(path: str | Path, *, max_bytes: int = MAX_TABLE_BYTES) -> CsvTable:
    """Read and split a CSV file; refuses folders, missing files, oversized or non-UTF-8 files."""
    p = Path(path)
    where = str(path)
    try:
        if p.is_dir():
            raise TableImportError(TableProblem("this is a folder, not a CSV file", where))
        size = p.stat().st_size
        if size > max_bytes:
            raise TableImportError(
                TableProblem(
                    f"the file is {_size(size)}; tables are limited to {_size(max_bytes)} "
                    "(split the export)",
                    where,
                )
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise TableImportError(TableProblem("no such file", where)) from None
    except OSError as exc:
        raise TableImportError(
            TableProblem(f"the file cannot be read: {exc.strerror}", where)
        ) from None
    return parse_csv_text(_decode(raw, where), where)
