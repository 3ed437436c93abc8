"""An optional extractor that asks a language model behind an OpenAI-compatible endpoint.

Off by default: the rule-based extractor is the default and needs nothing at run time. This one is
used only when asked for (``remission extract --extractor llm``), with the endpoint, model and key
the user configures (``REMISSION_LLM_URL``, ``REMISSION_LLM_MODEL``, ``REMISSION_LLM_API_KEY`` or
the command's options). It keeps the same contract (:class:`~remission.evidence.result.
ExtractionResult`) and the same promise: every value has evidence in the original text.

The model is asked for JSON: the document kind, a CaseSummary per patient (the schema is generated
from the pydantic model) and, for each value, the exact words of the text it rests on. The answer
is validated with the same pydantic models; each quotation is then located in the original text
(exactly, else ignoring case, spacing and typographic quotes and dashes) to make the evidence
span, and a value whose quotation cannot be found is dropped, with a warning. The language model
never decides what a span is: the text does.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from remission.evidence.result import DocumentKind, ExtractionResult, PatientResult
from remission.exceptions import LanguageModelError, Problem
from remission.model import CaseSummary, CohortSummary, Evidence, ExtractedValue, TextSpan

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENV_KEY",
    "ENV_MODEL",
    "ENV_URL",
    "MAX_LLM_CHARS",
    "LLMExtractor",
    "locate",
    "parse_answer",
]

ENV_URL = "REMISSION_LLM_URL"
ENV_MODEL = "REMISSION_LLM_MODEL"
ENV_KEY = "REMISSION_LLM_API_KEY"
DEFAULT_TIMEOUT = 120.0
#: Texts longer than this are not sent (a report is far shorter; a model's context is limited).
MAX_LLM_CHARS = 200_000

_INSTRUCTIONS = """You read a medical case report, case series or cohort report about acute \
lymphoblastic leukaemia and fill in a JSON object. Answer with JSON only, no prose.

The object has these keys:
- "kind": "case_report" (one patient), "case_series" (several patients, each described) or \
"cohort" (aggregate numbers only).
- "patients": a list with one entry per described patient, in the order of the text; [] for a \
cohort. Each entry: {"label": how the text names the patient or null, "summary": {...}, \
"evidence": {...}}.
- "summary" follows the JSON schema below. Give ONLY values the text states or that follow from \
it; leave out anything unknown (never guess). Index therapies are the ones the report is about.
- "evidence" maps every field you filled (for index therapies: "index_therapies[0]", \
"index_therapies[1]", ...) to the exact words of the text it rests on, copied character for \
character (a short phrase or sentence); a list of such quotations is allowed.
- "cohort": for aggregate numbers, an object with n_patients, median_age_years, \
n_complete_response, n_mrd_negative, n_bridged_to_hsct, n_crs_any, n_crs_grade3plus, n_icans_any \
(only those stated), else null; "cohort_evidence" maps each to its quotation.

CaseSummary JSON schema:
"""


class _Quoted(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _AnswerPatient(_Quoted):
    label: str | None = Field(None, max_length=200)
    summary: dict[str, Any] = Field(default_factory=dict)
    evidence: dict[str, str | list[str]] = Field(default_factory=dict)


class _Answer(_Quoted):
    kind: DocumentKind
    patients: list[_AnswerPatient] = Field(default_factory=list)
    cohort: dict[str, Any] | None = None
    cohort_evidence: dict[str, str | list[str]] = Field(default_factory=dict)


_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def _folded(text: str) -> tuple[str, list[int]]:
    """Lower-cased text with whitespace runs as one space, and each character's original index."""
    chars: list[str] = []
    index: list[int] = []
    space = False
    for i, ch in enumerate(text.translate(_FOLD)):
        if ch.isspace():
            if not space and chars:
                chars.append(" ")
                index.append(i)
            space = True
            continue
        space = False
        chars.append(ch.lower())
        index.append(i)
    return "".join(chars), index


def locate(quote: str, text: str) -> TextSpan | None:
    """The span of ``text`` a quotation covers: exact, else ignoring case, spacing and typography."""
    quote = quote.strip()
    if len(quote) < 2:
        return None
    start = text.find(quote)
    if start >= 0:
        return TextSpan(start=start, end=start + len(quote), text=quote)
    folded_text, index = _folded(text)
    folded_quote, _ = _folded(quote)
    folded_quote = folded_quote.strip()
    pos = folded_text.find(folded_quote)
    if pos < 0 or not folded_quote:
        return None
    begin = index[pos]
    end = index[pos + len(folded_quote) - 1] + 1
    return TextSpan(start=begin, end=end, text=text[begin:end])


def _quotes(raw: str | list[str] | None) -> list[str]:
    if raw is None:
        return []
    return [raw] if isinstance(raw, str) else [q for q in raw if isinstance(q, str)]


def _evidence(raw: str | list[str] | None, text: str) -> Evidence | None:
    spans = [s for s in (locate(q, text) for q in _quotes(raw)) if s is not None]
    if not spans:
        return None
    return Evidence(spans=tuple(spans), match="inferred", rule="llm")


def _patient(answer: _AnswerPatient, n: int, text: str, warnings: list[str]) -> PatientResult:
    try:
        summary = CaseSummary.model_validate(answer.summary)
    except ValidationError as exc:
        raise LanguageModelError(
            [
                Problem(
                    f"the language model's answer does not fit the summary: {e['msg']}",
                    f"patient {n}",
                    field=".".join(str(p) for p in e["loc"]),
                )
                for e in exc.errors()
            ]
        ) from None
    data = summary.model_dump(mode="json", by_alias=True)
    values: list[ExtractedValue] = []
    kept: dict[str, Any] = {}
    for name, value in data.items():
        if name == "index_therapies":
            rows: list[Any] = []
            for i, row in enumerate(value):
                ev = _evidence(answer.evidence.get(f"index_therapies[{i}]"), text) or _evidence(
                    answer.evidence.get("index_therapies"), text
                )
                if ev is None:
                    warnings.append(
                        f"patient {n}: index_therapies[{i}] dropped: its quotation was not found "
                        "in the text"
                    )
                    continue
                values.append(
                    ExtractedValue(field=f"index_therapies[{len(rows)}]", value=row, evidence=(ev,))
                )
                rows.append(row)
            kept[name] = rows
            continue
        if value is None or value == []:
            continue
        ev = _evidence(answer.evidence.get(name), text)
        if ev is None:
            warnings.append(f"patient {n}: {name} dropped: its quotation was not found in the text")
            continue
        values.append(ExtractedValue(field=name, value=value, evidence=(ev,)))
        kept[name] = value
    return PatientResult(
        label=answer.label,
        summary=CaseSummary.model_validate(kept),
        values=tuple(values),
    )


def _cohort(
    answer: _Answer, text: str, warnings: list[str]
) -> tuple[CohortSummary | None, tuple[ExtractedValue, ...]]:
    if answer.cohort is None:
        return None, ()
    try:
        cohort = CohortSummary.model_validate(answer.cohort)
    except ValidationError as exc:
        raise LanguageModelError(
            [
                Problem(
                    f"the language model's cohort numbers do not fit: {e['msg']}",
                    "cohort",
                    field=".".join(str(p) for p in e["loc"]),
                )
                for e in exc.errors()
            ]
        ) from None
    values = []
    kept: dict[str, Any] = {}
    for name, value in cohort.model_dump(mode="json").items():
        if value is None:
            continue
        ev = _evidence(answer.cohort_evidence.get(name), text)
        if ev is None:
            warnings.append(f"cohort.{name} dropped: its quotation was not found in the text")
            continue
        values.append(ExtractedValue(field=f"cohort.{name}", value=value, evidence=(ev,)))
        kept[name] = value
    if "n_patients" not in kept:
        if kept:
            warnings.append(
                "the cohort counts were dropped: the number of patients has no quotation"
            )
        return None, ()
    return CohortSummary.model_validate(kept), tuple(values)


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_answer(
    content: str, text: str, *, extractor: str, file: str | None = None
) -> ExtractionResult:
    """Validate a model's answer and anchor every value in ``text`` (pure; no network)."""
    m = _FENCE.match(content)
    body = m.group(1) if m else content
    try:
        raw = json.loads(body)
    except json.JSONDecodeError as exc:
        raise LanguageModelError(
            Problem(f"the language model did not answer with JSON ({exc.msg} at {exc.pos})", file)
        ) from None
    try:
        answer = _Answer.model_validate(raw)
    except ValidationError as exc:
        raise LanguageModelError(
            [
                Problem(
                    f"the language model's answer is not the JSON asked for: {e['msg']}",
                    file,
                    field=".".join(str(p) for p in e["loc"]),
                )
                for e in exc.errors()
            ]
        ) from None
    warnings: list[str] = []
    patients = tuple(_patient(p, n, text, warnings) for n, p in enumerate(answer.patients, 1))
    cohort, cohort_values = _cohort(answer, text, warnings)
    return ExtractionResult(
        file=file,
        kind=answer.kind,
        extractor=extractor,
        text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        patients=patients,
        cohort=cohort,
        cohort_values=cohort_values,
        warnings=tuple(warnings),
    )


def _endpoint(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


class LLMExtractor:
    """Extraction by a language model behind an OpenAI-compatible ``/v1/chat/completions``."""

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise LanguageModelError(
                Problem(f"the language-model URL must start with http:// or https://, not {url!r}")
            )
        if timeout <= 0:
            raise LanguageModelError(Problem("the language-model timeout must be positive"))
        self.url = _endpoint(url)
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.name = f"llm {model}"[:200]

    @classmethod
    def configured(
        cls,
        *,
        url: str | None = None,
        model: str | None = None,
        api_key: str | None = None,
        timeout: float | None = None,
    ) -> LLMExtractor:
        """An extractor from the arguments, else the environment; a clear error when unset."""
        url = url or os.environ.get(ENV_URL) or None
        model = model or os.environ.get(ENV_MODEL) or None
        api_key = api_key or os.environ.get(ENV_KEY) or None
        missing = [
            f"{what} (--{opt} or {env})"
            for what, opt, env, value in (
                ("the endpoint URL", "llm-url", ENV_URL, url),
                ("the model name", "llm-model", ENV_MODEL, model),
            )
            if not value
        ]
        if missing:
            raise LanguageModelError(
                Problem("the language-model extractor needs " + " and ".join(missing))
            )
        assert url is not None and model is not None
        return cls(url, model, api_key=api_key, timeout=timeout or DEFAULT_TIMEOUT)

    def request_body(self, text: str) -> dict[str, Any]:
        schema = json.dumps(CaseSummary.model_json_schema(by_alias=True), separators=(",", ":"))
        return {
            "model": self.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": _INSTRUCTIONS + schema},
                {"role": "user", "content": text},
            ],
        }

    def _ask(self, text: str, file: str | None) -> str:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            response = httpx.post(
                self.url, json=self.request_body(text), headers=headers, timeout=self.timeout
            )
        except httpx.TimeoutException:
            raise LanguageModelError(
                Problem(
                    f"the language model at {self.url} did not answer within {self.timeout:g} s",
                    file,
                )
            ) from None
        except httpx.HTTPError as exc:
            raise LanguageModelError(
                Problem(f"the language model at {self.url} cannot be reached: {exc}", file)
            ) from None
        if response.status_code >= 400:
            raise LanguageModelError(
                Problem(
                    f"the language model at {self.url} refused the request (HTTP "
                    f"{response.status_code}): {response.text[:300]}",
                    file,
                )
            )
        try:
            payload = response.json()
            content = payload["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise LanguageModelError(
                Problem(
                    f"the answer from {self.url} is not a chat completion "
                    f"(choices[0].message.content): {response.text[:300]}",
                    file,
                )
            ) from None
        if not isinstance(content, str):
            raise LanguageModelError(Problem("the chat completion has no text content", file))
        return content

    def extract(self, text: str, file: str | None = None) -> ExtractionResult:
        """Ask the model about ``text`` and anchor its answer in the text."""
        if len(text) > MAX_LLM_CHARS:
            raise LanguageModelError(
                Problem(
                    f"the text has {len(text)} characters; the language-model extractor takes at "
                    f"most {MAX_LLM_CHARS}",
                    file,
                )
            )
        if not text.strip():
            return ExtractionResult(
                file=file,
                kind="case_report",
                extractor=self.name,
                text_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                warnings=("the text is empty: nothing was sent to the language model",),
            )
        return parse_answer(self._ask(text, file), text, extractor=self.name, file=file)
