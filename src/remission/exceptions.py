"""Every error remission raises on purpose, in one place.

Messages are written for the person at the keyboard (a clinician, a data manager, a researcher):
they say what is wrong, where (file, line, field) and, where possible, what would be right.
Statistical caveats are *warnings* (``RemissionWarning`` subclasses), never errors.
"""

from __future__ import annotations

from dataclasses import dataclass


class RemissionError(Exception):
    """Base class of every error remission raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input, located as precisely as the input allows.

    ``where`` is a file name, ``"<stdin>"`` or a record label; ``line`` is 1-based when known;
    ``field`` is a dotted path into the document (``timeline[3].sites[0]``).
    """

    message: str
    where: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        loc = ""
        if self.where:
            loc = self.where
            if self.line is not None:
                loc += f":{self.line}"
            loc += ": "
        elif self.line is not None:
            loc = f"line {self.line}: "
        fld = f"{self.field}: " if self.field else ""
        return f"{loc}{fld}{self.message}"


class InputError(RemissionError):
    """An input (file, stdin, form, API body) cannot be accepted; nothing was stored.

    Carries every :class:`Problem` found, so a user can fix them all in one pass.
    """

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class CaseFileError(InputError):
    """A case file (YAML) is malformed, has wrong types, unknown fields or impossible values."""


class ChronologyError(InputError):
    """Events of a case are in an impossible order (relapse before diagnosis, events after death)."""


class VocabularyError(RemissionError):
    """A controlled vocabulary file is itself malformed (a packaging error, not user input)."""


class StoreError(RemissionError):
    """The store could not be opened or written."""


class CaseNotFoundError(StoreError):
    """No case (or no such version of a case) with that id is in the store."""


class VersionConflictError(StoreError):
    """Someone saved the case since it was read: the save is refused, nothing is overwritten."""


class DuplicateIdError(InputError):
    """Two inputs in one import carry the same case id."""


class GradingInputError(InputError):
    """A toxicity assessment cannot be graded as given (unknown device, ICE 11, missing age)."""


class KineticsInputError(InputError):
    """A kinetic profile cannot be analysed as given (unsorted days, negative values, too few
    points)."""


class CohortError(RemissionError):
    """A cohort cannot be assembled or analysed as asked: two documents with one case id, an
    object that is not a case or cohort document, an unknown endpoint, rate or anchor name.
    Statistical limits (an empty cohort, no events) are never errors: the result says what
    cannot be estimated and why."""


class RemissionWarning(UserWarning):
    """Base class of remission's warnings: caveats, not failures."""


class PrecisionWarning(RemissionWarning):
    """An interval or date was computed from partial dates and is only known within a range."""


class KineticsWarning(RemissionWarning):
    """A kinetic figure was computed but rests on thin data (few points, extrapolation, a fit
    parameter at its bound or not identifiable)."""


class EstimationWarning(RemissionWarning):
    """A cohort estimate was computed but rests on thin data (few patients, few events, a
    subgroup of one); the same caveat is kept in the result's ``notes``."""


class AccountError(RemissionError):
    """A web-app account cannot be created, changed or removed as asked (a name already taken,
    an unknown user, an invalid role or name, removing or demoting the last administrator).

    ``kind`` says which: ``invalid``, ``exists``, ``missing`` or ``last_admin``."""

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


class ExportTargetError(InputError):
    """An export cannot be written where asked (a folder that is not empty, a path that cannot
    be written); nothing was written."""


class DeidentificationError(InputError):
    """De-identification cannot run as asked (no key, a key too short); nothing was written."""


class ExtractionError(InputError):
    """A report text cannot be read for extraction (missing, a folder, binary, too large), or an
    extractor cannot be used as configured; nothing was drafted or stored."""


class ReviewError(InputError):
    """A review decision cannot be applied: no such value in the draft, an edited value the
    summary does not accept, a case that is not a draft; the draft is left as it was."""


class DraftPendingError(ReviewError):
    """A draft cannot be finalised while values are still pending review; each is listed."""


class LanguageModelError(ExtractionError):
    """The language-model extractor got no usable answer: the endpoint did not answer in time,
    refused the request, or answered with something that is not the JSON asked for."""


@dataclass(frozen=True)
class TableProblem(Problem):
    """A problem in one cell of a CSV or REDCap export, located by data row and column.

    ``row`` is the 1-based data row (the header is not counted), ``line`` the physical line of the
    file (they differ when a cell spans lines), ``column`` the CSV column or REDCap field, and
    ``record`` the record id the row belongs to. ``field`` names the part of the Case, if any.
    """

    row: int | None = None
    column: str | None = None
    record: str | None = None

    def __str__(self) -> str:
        loc = self.where or ""
        if self.line is not None:
            loc += f":{self.line}" if loc else f"line {self.line}"
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.record is not None:
            parts.append(f"record {self.record!r}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        where = ", ".join(parts)
        if self.field:
            where = f"{where} ({self.field})" if where else self.field
        head = ": ".join(x for x in (loc, where) if x)
        return f"{head}: {self.message}" if head else self.message


class MappingError(InputError):
    """A mapping file for a CSV or REDCap import is malformed, names unknown Case fields,
    vocabularies or units, or does not fit the REDCap data dictionary; nothing was read or
    stored."""


class TableImportError(InputError):
    """A CSV or REDCap export cannot be imported as mapped: every failing row is listed with its
    row and column, and nothing was stored."""


class FhirBundleError(CaseFileError):
    """A FHIR Bundle cannot be imported: malformed JSON, a resource that is not valid FHIR R4, an
    unknown code, a reference to nothing or to the wrong kind of resource, two entries with one
    id. Every problem names the file, the entry (index, resource type and id) and the element;
    nothing was stored."""


class FhirImportWarning(RemissionWarning):
    """Part of a FHIR Bundle was skipped on import (a resource remission has no place for, a
    severity given without a grade and its scale); the rest was read."""
