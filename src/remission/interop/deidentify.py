"""De-identification of Cases for sharing: pseudonymous ids, per-patient date shifts, ages over
89 grouped, free text removed.

What happens to each field is data: ``deidentify.yaml`` beside this module lists every text
field of the model with its action (docs/interop.md, "De-identification"). In short:

* **Ids.** The case id becomes ``deid-`` and 16 hex digits of HMAC-SHA256(key, id): the same
  key gives the same pseudonym in every export, another key another one, and without the key
  the pseudonym cannot be traced back. Event and observation-series ids (which a person may
  have written with a name or a record number in them) are renamed by type and position
  (``car1``, ``relapse2``); every reference follows.
* **Dates.** Every calendar date of a case moves by the same whole number of days, drawn from
  the key and the original id (1 to ``max_shift_days`` days, earlier or later), so every
  interval between dates known to the day is kept exactly, and offsets (``car1+28d``) are kept
  as written. A date known only to the month or year cannot move by days and stay true: its
  shifted range is replaced by the narrowest partial date that contains all of it (a month
  usually becomes its year); when none does (the range now crosses a new year, which is always
  the case for a year-only date) the date is removed, and the report says so. The year of birth
  is removed (the stated age is kept).
* **Ages** of 90 and over become 90, recorded as "90 or older" (HIPAA Safe Harbor,
  45 CFR 164.514(b)(2)(i)(C)); so does an age reached later in the course (a stated age plus
  the time to the last event).
* **Free text** - notes, citations, DOI/PMID/URL, protocol and construct names, imaging
  findings, the draft's extraction block (report text, evidence, reviewers) - is removed by
  default. With ``text="scrub"`` it is kept with e-mail addresses, URLs, phone numbers, dates,
  record numbers, titled names (Dr, Mrs ...) and any ``known_identifiers`` replaced by
  ``[removed]``; scrubbing cannot find every name, so scrubbed text needs a person's review.
  Short structured values (genetic findings, kinase mutations, trial registrations, HLA match,
  dose units) are kept only when they match the pattern named for them.

De-identification is not anonymisation: the course itself (a rare product, an unusual sequence
of relapses) can still point to a person; share under a data-use agreement.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ValidationError

from remission.exceptions import DeidentificationError, Problem
from remission.interop._fields import literal_fields, plain_fields
from remission.model import Case
from remission.model.time import DAYS_PER_YEAR, PartialDate, RelativeTime

__all__ = [
    "AGE_GROUP_LABEL",
    "DEID_MARK",
    "KEY_ENV",
    "MIN_KEY_BYTES",
    "DeidPolicy",
    "DeidentifiedCase",
    "age_label",
    "date_shift_days",
    "deidentify",
    "deidentify_case",
    "deidentify_cases",
    "is_deidentified",
    "load_policy",
    "policy_markdown",
    "pseudonym",
    "scrub_text",
    "shift_partial_date",
]

#: The environment variable the command line reads the key from.
KEY_ENV = "REMISSION_DEID_KEY"
#: A key shorter than this is refused: a short key can be guessed and every pseudonym reversed
#: by hashing candidate ids (128 bits, the usual floor for an HMAC key).
MIN_KEY_BYTES = 16
#: Ages at or above this are grouped (HIPAA Safe Harbor: "ages over 89").
AGE_GROUP_FROM = 90
AGE_GROUP_LABEL = "90 or older"
#: The mark a de-identified case carries in its ``notes`` (its only note: all others are removed).
DEID_MARK = "De-identified by remission"

_EVENT_PREFIX = {
    "therapy": "therapy",
    "car_t_infusion": "car",
    "hsct": "hsct",
    "relapse": "relapse",
    "disease_assessment": "assessment",
    "toxicity": "toxicity",
    "death": "death",
    "follow_up": "followup",
    "other": "event",
}

TextMode = Literal["drop", "scrub"]


# --------------------------------------------------------------------------------------------
# The policy (data)
# --------------------------------------------------------------------------------------------

_ACTIONS = {"pseudonym", "event_id", "reference", "keep", "drop", "placeholder", "age", "remove"}


@dataclass(frozen=True)
class DeidPolicy:
    """The field actions of ``deidentify.yaml``: ``fields`` maps ``Model.field`` to an action."""

    placeholder: str
    patterns: dict[str, re.Pattern[str]]
    fields: dict[str, str]

    def action(self, model: str, name: str) -> str | None:
        return self.fields.get(f"{model}.{name}")


@lru_cache(maxsize=4)
def load_policy(path: Path | None = None) -> DeidPolicy:
    """Read and check ``deidentify.yaml`` (or another policy file): every action known, every
    pattern named exists and compiles. A malformed file raises ``ValueError`` naming the entry."""
    if path is None:
        text = resources.files("remission.interop").joinpath("deidentify.yaml").read_text("utf-8")
        where = "deidentify.yaml"
    else:
        text, where = Path(path).read_text(encoding="utf-8"), str(path)
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not {"placeholder", "patterns", "fields"} <= set(data):
        raise ValueError(f"{where}: needs 'placeholder', 'patterns' and 'fields'")
    patterns: dict[str, re.Pattern[str]] = {}
    for name, pattern in data["patterns"].items():
        try:
            patterns[str(name)] = re.compile(str(pattern))
        except re.error as exc:
            raise ValueError(
                f"{where}: patterns.{name} is not a regular expression: {exc}"
            ) from None
    fields: dict[str, str] = {}
    for key, action in data["fields"].items():
        base, _, pattern = str(action).partition(":")
        if base == "pattern":
            if pattern not in patterns:
                raise ValueError(f"{where}: fields.{key} names an unknown pattern {action!r}")
        elif base not in _ACTIONS:
            raise ValueError(
                f"{where}: fields.{key} has an unknown action {action!r}; "
                f"known: {', '.join(sorted(_ACTIONS))}, pattern:NAME"
            )
        fields[str(key)] = str(action)
    return DeidPolicy(str(data["placeholder"]), patterns, fields)


# --------------------------------------------------------------------------------------------
# Keys, pseudonyms, shifts
# --------------------------------------------------------------------------------------------


def _key_bytes(key: bytes | str) -> bytes:
    if isinstance(key, str):
        raw = key.strip().encode("utf-8")
    elif isinstance(key, bytes):
        raw = key
    else:
        raise DeidentificationError(
            Problem(f"the de-identification key must be text or bytes, not {type(key).__name__}")
        )
    if len(raw) < MIN_KEY_BYTES:
        raise DeidentificationError(
            Problem(
                f"the de-identification key is {len(raw)} bytes long; it must be at least "
                f'{MIN_KEY_BYTES} (make one with: python -c "import secrets; '
                f'print(secrets.token_urlsafe(32))") and keep it safe: the same key gives the '
                "same pseudonyms and date shifts in every export"
            )
        )
    return raw


def _mac(key: bytes | str, purpose: str, value: str) -> bytes:
    return hmac.new(_key_bytes(key), f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()


def pseudonym(case_id: str, key: bytes | str, *, prefix: str = "deid") -> str:
    """The pseudonymous id of a case: ``deid-`` and 16 hex digits of HMAC-SHA256(key, id)."""
    return f"{prefix}-{_mac(key, 'id', case_id).hex()[:16]}"


def date_shift_days(case_id: str, key: bytes | str, *, max_shift_days: int = 365) -> int:
    """The whole number of days every date of this case moves: 1 to ``max_shift_days``, earlier
    or later, drawn from the key and the original id (never 0, so no date stays as it was)."""
    if isinstance(max_shift_days, bool) or not isinstance(max_shift_days, int):
        raise DeidentificationError(Problem("max_shift_days must be a whole number of days"))
    if not 1 <= max_shift_days <= 3650:
        raise DeidentificationError(
            Problem(f"max_shift_days must be 1 to 3650, not {max_shift_days}")
        )
    digest = _mac(key, "shift", case_id)
    magnitude = 1 + int.from_bytes(digest[:8], "big") % max_shift_days
    return magnitude if digest[8] & 1 else -magnitude


def shift_partial_date(date: PartialDate, days: int) -> PartialDate | None:
    """Move a partial date by ``days`` without claiming more precision than it has.

    A date known to the day moves exactly. A month or year moves as the range of days it
    covers; the result is the narrowest partial date containing that whole shifted range (the
    month when it still fits one month, else the year), or None when no partial date contains it
    (the range crosses a new year; always so for a year-only date and a non-zero shift).
    """
    lo = date.earliest + dt.timedelta(days=days)
    hi = date.latest + dt.timedelta(days=days)
    try:
        if date.day is not None:
            return PartialDate.from_date(lo)
        if lo.year != hi.year:
            return None
        if lo.month == hi.month and lo.day == 1 and PartialDate(hi.year, hi.month).latest == hi:
            return PartialDate(lo.year, lo.month)
        return PartialDate(lo.year)
    except ValueError:  # the shifted year left 1900-2200
        return None


def age_label(years: float | None) -> str | None:
    """An age for a table: the number, or "90 or older" from 90 on (HIPAA Safe Harbor)."""
    if years is None:
        return None
    if years >= AGE_GROUP_FROM:
        return AGE_GROUP_LABEL
    return f"{years:g}"


# --------------------------------------------------------------------------------------------
# Scrubbing free text
# --------------------------------------------------------------------------------------------

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_SCRUB_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("e-mail", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("url", re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)),
    ("doi", re.compile(r"\b10\.\d{4,9}/\S+")),
    (
        "date",
        re.compile(
            r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|"
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTHS}(?:,?\s+\d{{4}})?\b|"
            rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b|"
            rf"\b{_MONTHS}\s+\d{{4}}\b|\b(?:19|20)\d{{2}}\b",
            re.IGNORECASE,
        ),
    ),
    (
        "phone",
        re.compile(r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){2,4}"),
    ),
    (
        "record number",
        re.compile(
            r"\b(?:MRN|NHS|MR|ID|No|Nr|record|chart|patient|case|file|hospital number|"
            r"accession)\s*(?:no\.?|number|#|:)?\s*[:#]?\s*[A-Z]{0,4}[-\d]{3,}\b|"
            r"\b[A-Z]{0,4}\d{5,}\b",
            re.IGNORECASE,
        ),
    ),
    (
        "titled name",
        re.compile(
            r"\b(?:Dr|Drs|Mr|Mrs|Ms|Miss|Prof|Professor|Sister|Nurse)\.?\s+"
            r"(?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+)*"
        ),
    ),
)


def scrub_text(
    text: str, known_identifiers: Iterable[str] = (), *, placeholder: str = "[removed]"
) -> str:
    """Free text with identifiers replaced by ``placeholder``.

    Removes what a pattern can find - e-mail addresses, URLs and DOIs, dates (ISO, numeric and
    written: "3 March 2021", "March 2021", a bare year), phone numbers, record numbers (MRN 123...,
    runs of five or more digits), names after a title (Dr, Mrs, Prof ...) - and every string in
    ``known_identifiers`` (names, places, record numbers the caller knows), case-insensitively.
    A name without a title that is not listed is not found: scrubbed text needs review.
    """
    out = text
    for _, pattern in _SCRUB_PATTERNS:  # e-mails and URLs first: they hold names too
        out = pattern.sub(placeholder, out)
    for known in sorted({k.strip() for k in known_identifiers if k and k.strip()}, key=len)[::-1]:
        out = re.sub(re.escape(known), placeholder, out, flags=re.IGNORECASE)
    return out


# --------------------------------------------------------------------------------------------
# The transformation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeidentifiedCase:
    """A de-identified case and what was done to it.

    ``notes`` name what was removed or coarsened, by field path in the *new* case (never an
    original value); ``shift_days`` is kept out of exports (knowing it undoes the shift).
    """

    case: Case
    shift_days: int
    notes: tuple[str, ...] = ()


_DROP = object()


@dataclass
class _Context:
    policy: DeidPolicy
    key: bytes | str
    shift: int
    text: TextMode
    known: tuple[str, ...]
    ids: dict[str, str]
    notes: list[str] = field(default_factory=list)
    age_grouped: bool = False

    def time(self, value: PartialDate | RelativeTime, path: str) -> Any:
        if isinstance(value, RelativeTime):
            return str(RelativeTime(self.ids.get(value.ref, value.ref), value.amount, value.unit))
        shifted = shift_partial_date(value, self.shift)
        if shifted is None:
            self.notes.append(
                f"{path}: a date known only to the {value.precision.value} cannot be shifted by "
                "days and stay true; removed"
            )
            return _DROP
        if shifted.precision != value.precision:
            self.notes.append(
                f"{path}: a date known to the {value.precision.value} was shifted and is now "
                f"given to the {shifted.precision.value} (the shifted month spans two months)"
            )
        return str(shifted)

    def text_value(self, value: str, action: str, path: str) -> Any:
        base, _, pattern = action.partition(":")
        if base == "keep":
            return value
        if base == "reference":
            return self.ids.get(value, value)
        if base == "pattern" and self.policy.patterns[pattern].match(value):
            return value
        if base == "remove":
            return _DROP
        if self.text == "scrub":
            return scrub_text(value, self.known, placeholder=self.policy.placeholder)
        if base == "placeholder":
            return self.policy.placeholder
        return _DROP

    def age(self, years: float) -> float:
        if years >= AGE_GROUP_FROM:
            self.age_grouped = True
            return float(AGE_GROUP_FROM)
        return years


def _event_ids(case: Case) -> dict[str, str]:
    counts: dict[str, int] = {}
    ids: dict[str, str] = {}
    for ev in case.timeline:
        prefix = _EVENT_PREFIX[ev.type]
        counts[prefix] = counts.get(prefix, 0) + 1
        ids[ev.id] = f"{prefix}{counts[prefix]}"
    for n, series in enumerate(case.observations, start=1):
        ids[series.id] = f"series{n}"
    return ids


@lru_cache(maxsize=256)
def _plan(cls: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """Each field of a model and whether it is copied as it is (numbers, booleans, closed
    lists with no action): most of a case's values, copied without the checks below."""
    model, plain, fields = cls.__name__, plain_fields(), load_policy().fields
    return tuple(
        (name, (model, name) in plain and f"{model}.{name}" not in fields)
        for name in cls.model_fields
    )


def _walk(obj: BaseModel, path: str, ctx: _Context) -> Any:
    model = type(obj).__name__
    out: dict[str, Any] = {}
    for name, plain in _plan(type(obj)):
        value = getattr(obj, name)
        if value is None or value == ():
            continue
        if plain:
            out[name] = value
            continue
        here = f"{path}.{name}" if path else name
        new = _value(model, name, value, here, ctx)
        if new is not _DROP:
            out[name] = new
    # what the schema requires after a removal
    if model in ("DailyAssessment", "ObservationPoint") and "at" not in out and "day" not in out:
        ctx.notes.append(f"{path}: its time was removed, so it was removed")
        return _DROP
    if model == "Dose" and "unit" not in out:
        ctx.notes.append(f"{path}: its unit was free text and removed, so the dose was removed")
        return _DROP
    if model == "Therapy" and not out.get("agents") and "protocol" not in out:
        out["protocol"] = ctx.policy.placeholder
    if model == "ToxicityEpisode" and out.get("syndrome") == "other" and "term" not in out:
        out["term"] = ctx.policy.placeholder
    if model == "ObservationSeries" and not out.get("points"):
        ctx.notes.append(f"{path}: every point was removed, so the series was removed")
        return _DROP
    return out


def _value(model: str, name: str, value: Any, path: str, ctx: _Context) -> Any:
    if isinstance(value, PartialDate | RelativeTime):
        return ctx.time(value, path)
    action = ctx.policy.action(model, name)
    if action == "remove":
        return _DROP
    if action == "pseudonym":
        return pseudonym(value, ctx.key)
    if action == "event_id":
        return ctx.ids[value]
    if action == "age" and model != "Age" and isinstance(value, int | float):
        return ctx.age(float(value))  # years (an assessment's age); a stated Age: see deidentify
    if isinstance(value, BaseModel):
        return _walk(value, path, ctx)
    if isinstance(value, tuple | list):
        items = []
        for i, item in enumerate(value):
            new = _value(model, name, item, f"{path}[{i}]", ctx)
            if new is not _DROP:
                items.append(new)
        return items
    if isinstance(value, str):
        if action is None:
            # closed lists (Literal fields) are safe; an unlisted text field is removed
            return value if _is_literal(model, name) else _DROP
        return ctx.text_value(value, action, path)
    if isinstance(value, dt.datetime | dt.date):
        return _DROP
    return value


def _is_literal(model: str, name: str) -> bool:
    return (model, name) in literal_fields()


def _max_age(case: Case) -> float | None:
    """The highest age the case reaches: the stated age plus the time to its last placed event."""
    age = case.patient.age
    if age is None:
        return None
    later = 0.0
    for ev in case.timeline:
        iv = case.interval(age.at, ev.id)
        if iv is not None:
            later = max(later, iv.hi)
    return age.years + later / DAYS_PER_YEAR


def deidentify(
    case: Case,
    *,
    key: bytes | str,
    max_shift_days: int = 365,
    text: TextMode = "drop",
    known_identifiers: Sequence[str] = (),
) -> DeidentifiedCase:
    """De-identify one case (module doc) and say what was removed; pure: the input is unchanged."""
    if text not in ("drop", "scrub"):
        raise DeidentificationError(Problem(f"text must be 'drop' or 'scrub', not {text!r}"))
    shift = date_shift_days(case.id, key, max_shift_days=max_shift_days)
    ctx = _Context(
        policy=load_policy(),
        key=key,
        shift=shift,
        text=text,
        known=(case.id, *known_identifiers),
        ids=_event_ids(case),
    )
    data = _walk(case, "", ctx)
    top = _max_age(case)
    patient = data.get("patient", {})
    if top is not None and top >= AGE_GROUP_FROM and "age" in patient:
        patient["age"] = {**patient["age"], "value": float(AGE_GROUP_FROM), "unit": "years"}
        ctx.age_grouped = True
    if ctx.age_grouped:
        patient["note"] = f"Age {AGE_GROUP_LABEL} (grouped for de-identification)."
        data["patient"] = patient
    data["notes"] = (
        f"{DEID_MARK}: pseudonymous ids, dates moved by a per-patient shift, free text "
        f"{'scrubbed' if text == 'scrub' else 'removed'}"
        + (f", age {AGE_GROUP_LABEL} grouped" if ctx.age_grouped else "")
        + "."
    )
    try:
        result = Case.model_validate(data)
    except ValidationError as exc:  # a defect of this module, reported without the values
        raise DeidentificationError(
            [
                Problem(
                    f"the de-identified case is not valid: {e['msg']}",
                    where=data.get("id"),
                    field=".".join(str(p) for p in e["loc"]),
                )
                for e in exc.errors(include_input=False)
            ]
        ) from None
    return DeidentifiedCase(result, shift, tuple(ctx.notes))


def deidentify_case(
    case: Case,
    *,
    key: bytes | str,
    max_shift_days: int = 365,
    text: TextMode = "drop",
    known_identifiers: Sequence[str] = (),
) -> Case:
    """The de-identified copy of ``case`` (see :func:`deidentify` for the report)."""
    return deidentify(
        case,
        key=key,
        max_shift_days=max_shift_days,
        text=text,
        known_identifiers=known_identifiers,
    ).case


def deidentify_cases(
    cases: Iterable[Case],
    *,
    key: bytes | str,
    max_shift_days: int = 365,
    text: TextMode = "drop",
    known_identifiers: Sequence[str] = (),
) -> list[Case]:
    """De-identify many cases with one key; refuses two cases that get one pseudonym."""
    _key_bytes(key)
    out: list[Case] = []
    seen: dict[str, str] = {}
    for case in cases:
        new = deidentify_case(
            case,
            key=key,
            max_shift_days=max_shift_days,
            text=text,
            known_identifiers=known_identifiers,
        )
        if new.id in seen:
            raise DeidentificationError(
                Problem(f"two cases share one case id or pseudonym ({new.id}); ids must be unique")
            )
        seen[new.id] = case.id
        out.append(new)
    return out


def is_deidentified(case: Case) -> bool:
    """True for a case made by :func:`deidentify_case` (its notes carry the mark)."""
    return bool(case.notes and case.notes.startswith(DEID_MARK))


_ACTION_WORDS = {
    "pseudonym": "replaced by the keyed pseudonym",
    "event_id": "renamed by type and position",
    "reference": "follows the renaming",
    "keep": "kept (controlled term)",
    "drop": "removed (scrubbed with text: scrub)",
    "placeholder": "replaced by the placeholder",
    "age": "90 and over becomes 90 (90 or older)",
    "remove": "removed",
}


def policy_markdown() -> str:
    """The field table of docs/interop.md, generated from ``deidentify.yaml``."""
    policy = load_policy()
    lines = ["| field | what happens |", "|---|---|"]
    for key, action in policy.fields.items():
        base, _, pattern = action.partition(":")
        if base == "pattern":
            what = f"kept when it matches `{policy.patterns[pattern].pattern}`, else removed"
        else:
            what = _ACTION_WORDS[base]
        cell = what.replace("|", "\\|")  # a pipe inside a table cell, escaped for Markdown
        lines.append(f"| `{key}` | {cell} |")
    return "\n".join(lines) + "\n"
