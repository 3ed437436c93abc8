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
