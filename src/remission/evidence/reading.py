"""One text read once: cleaned, split into sentences, sections and concept mentions with cues.

The field modules never touch spaCy: they read :class:`Reading` (sentences with their section,
whether they speak of the patient, and the medspaCy target mentions with their ConText cue), and
return :class:`Found` values whose evidence :meth:`Reading.evidence` maps back to the original.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from remission.evidence.clean import CleanText
from remission.evidence.pipeline import SPAN_GROUP
from remission.evidence.ruleset import section_rules
from remission.evidence.scan import quick
from remission.model.evidence import Evidence, MatchKind, Modifier, TextSpan

__all__ = ["Found", "Mention", "Reading", "Sentence", "chunks", "read"]

_MODIFIERS: dict[str, Modifier] = {
    "NEGATED_EXISTENCE": "negated",
    "HYPOTHETICAL": "hypothetical",
    "POSSIBLE_EXISTENCE": "possible",
    "HISTORICAL": "historical",
    "FAMILY": "family",
}
_PRIORITY = ("negated", "hypothetical", "possible", "historical", "family")

#: A sentence that speaks of the reported patient (or one of a series): an article, a pronoun,
#: an age, "we report".
_ANCHOR = re.compile(
    # the look-ahead on the first characters skips other positions quickly (same matches)
    r"(?=[hswpcdHSWPCD0-9])(?:\b(?:he|she|his|her|him|hers)\b|\d+[- ](?:year|month)s?[- ]old\b|\bwe (?:report|describe|present)"
    r"|\bpatient\s*#?\s*\d|\bcase\s*#?\s*\d|\bP\d\b|\bday\s*\+?\d)",
    re.IGNORECASE,
)
#: "the patient", "our boy", "a 7-year-old girl": a person named with a determiner (checked only
#: where one of the nouns occurs: scanning for the nouns first is far faster).
_PERSON = re.compile(
    r"\b(?:patient|boy|girl|man|woman|child|infant|adolescent|toddler|case|gentleman|lady)\b",
    re.IGNORECASE,
)
_DETERMINER = re.compile(
    r"\b(?:the|our|this|a|an|index|present|first|second|third|fourth|fifth|each|that) (?:[\w-]+ )?$",
    re.IGNORECASE,
)


def _anchored(text: str) -> bool:
    if _ANCHOR.search(text):
        return True
    return any(
        _DETERMINER.search(text[max(0, m.start() - 30) : m.start()]) for m in _PERSON.finditer(text)
    )


#: A sentence about patients in general or the literature.
_GENERIC = re.compile(
    r"\b(?:patients|studies|trials?|literature|reports|reported cases|series|cohorts?|has been shown|"
    r"have been|is (?:a|the|an) (?:most|common|major|rare)|remains? (?:a|the|an)|is associated|are associated|"
    r"(?-i:may|might|can|could|should)|option|approach|strategy|modality|prognosis)\b",
    re.IGNORECASE,
)
_GENERIC = quick(_GENERIC, "pstlrchiamo")


@dataclass(frozen=True)
class Mention:
    """A concept the target rules found, with its ConText cue (offsets in the cleaned text)."""

    label: str
    start: int
    end: int
    text: str
    meta: dict[str, Any]
    sentence: int
    modifier: Modifier | None = None
    cue: tuple[int, int] | None = None

    @property
    def negated(self) -> bool:
        return self.modifier == "negated"

    @property
    def asserted(self) -> bool:
        """Neither negated nor hypothetical nor merely possible."""
        return self.modifier not in ("negated", "hypothetical", "possible")


@dataclass(frozen=True)
class Sentence:
    index: int
    start: int
    end: int
    text: str
    section: str | None
    role: str
    anchored: bool
    generic: bool
    mentions: tuple[Mention, ...] = ()

    @property
    def usable(self) -> bool:
        """Whether the sentence may fill this patient's fields (not literature or background)."""
        if self.role == "narrative":
            return self.anchored or not self.generic
        return self.anchored and not re.search(
            r"\bother patients\b|\bprevious(?:ly)? reported\b|\bin (?:the )?literature\b|\bseries\b",
            self.text,
            re.IGNORECASE,
        )

    def find(self, *labels: str) -> list[Mention]:
        return [m for m in self.mentions if m.label in labels]


@dataclass(frozen=True)
class Found:
    """One value and the words behind it."""

    field: str
    value: Any
    evidence: tuple[Evidence, ...]
    position: int = 0
    extra: dict[str, Any] = dataclass_field(default_factory=dict)
    """Details for the timeline event (a toxicity's scale, an assessment's day)."""


@dataclass
class Reading:
    clean: CleanText
    sentences: list[Sentence] = dataclass_field(default_factory=list)
    _starts: list[int] = dataclass_field(default_factory=list, repr=False)

    @property
    def text(self) -> str:
        return self.clean.text

    def sentence_at(self, pos: int) -> Sentence | None:
        """The sentence holding cleaned offset ``pos``."""
        if not self.sentences:
            return None
        if len(self._starts) != len(self.sentences):
            self._starts = [s.start for s in self.sentences]
        i = bisect_right(self._starts, pos) - 1
        return self.sentences[i] if i >= 0 and pos < self.sentences[i].end else None

    def span(self, start: int, end: int) -> TextSpan:
        """The original-text span of cleaned characters ``[start, end)`` (consistent by
        construction: its text is the original's slice, so validation is skipped for speed)."""
        o_start, o_end = self.clean.original_span(start, end)
        return TextSpan.model_construct(
            start=o_start, end=o_end, text=self.clean.original[o_start:o_end]
        )

    def evidence(
        self,
        spans: list[tuple[int, int]] | tuple[int, int],
        *,
        rule: str,
        match: MatchKind = "exact",
        cue: tuple[int, int] | None = None,
        modifier: Modifier | None = None,
        section: str | None = None,
    ) -> Evidence:
        """Evidence for cleaned-text spans, mapped to the original text."""
        if isinstance(spans, tuple):
            spans = [spans]
        return Evidence.model_construct(
            spans=tuple(self.span(s, e) for s, e in spans),
            cue=None if cue is None else self.span(*cue),
            modifier=modifier,
            match=match,
            rule=rule,
            section=section,
        )

    def mention_evidence(self, m: Mention, *, rule: str, match: MatchKind = "exact") -> Evidence:
        return self.evidence(
            (m.start, m.end),
            rule=rule,
            match=match,
            cue=m.cue,
            modifier=m.modifier,
            section=self.sentences[m.sentence].section,
        )


def _modifier(doc: Any, span: Any, offset: int) -> tuple[Modifier | None, tuple[int, int] | None]:
    best: tuple[int, Modifier, tuple[int, int]] | None = None
    for mod in span._.modifiers:
        name = _MODIFIERS.get(mod.category.upper())
        if name is None:
            continue
        s, e = mod.modifier_span
        cue = (offset + doc[s].idx, offset + doc[e - 1].idx + len(doc[e - 1].text))
        rank = _PRIORITY.index(name)
        if best is None or rank < best[0]:
            best = (rank, name, cue)
    if best is None:
        return None, None
    return best[1], best[2]


def chunks(text: str, size: int = 6_000) -> list[tuple[int, str]]:
    """``(offset, piece)`` pieces of at most about ``size`` characters, cut at paragraph or line
    breaks (else after a full stop). ConText relates every cue to every concept of a document,
    so one long document would cost the square of its length; pieces keep it linear."""
    out: list[tuple[int, str]] = []
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + size)
        if end < len(text):
            cut = text.rfind("\n\n", pos + size // 2, end)
            if cut < 0:
                cut = text.rfind("\n", pos + size // 2, end)
            if cut < 0:
                cut = text.rfind(". ", pos + size // 2, end)
                cut = cut + 1 if cut >= 0 else -1
            end = cut + 1 if cut >= 0 else end
        out.append((pos, text[pos:end]))
        pos = end
    return out


def _sentences(doc: Any) -> list[tuple[int, int, int, int]]:
    """``(first token, end token, start char, end char)`` of each sentence, read from arrays
    (iterating ``doc.sents`` touched every token from Python: a tenth of the extractor's time)."""
    from spacy.attrs import IDX, SENT_START

    if not len(doc):
        return []
    arr = doc.to_array([SENT_START, IDX])
    firsts = [i for i, v in enumerate(arr[:, 0].tolist()) if v == 1] or [0]
    if firsts[0] != 0:
        firsts.insert(0, 0)
    idx = arr[:, 1].tolist()
    text_end = len(doc.user_data.get("remission_text") or doc.text)
    out = []
    for k, first in enumerate(firsts):
        last = firsts[k + 1] if k + 1 < len(firsts) else len(doc)
        end_char = idx[last] if last < len(doc) else text_end
        # a sentence ends after its last token that is not white space, as spaCy's spans do
        t = last - 1
        while t > first and doc[t].is_space:
            t -= 1
        end_char = min(end_char, idx[t] + len(doc[t].text))
        out.append((first, last, idx[first], end_char))
    return out


def read(clean_text: CleanText, docs: list[tuple[int, Any]]) -> Reading:
    """Turn processed spaCy docs of the pieces of ``clean_text.text`` (``(offset, doc)``) into
    one :class:`Reading`; a piece without a heading at its start continues the last section."""
    rules = section_rules()
    sentences: list[Sentence] = []
    section: str | None = None
    for offset, doc in docs:
        sents = _sentences(doc)
        doc_text = doc.user_data.get("remission_text") or doc.text
        starts = [s[2] for s in sents]
        base = len(sentences)
        by_sentence: list[list[Mention]] = [[] for _ in sents]
        for span in doc.spans.get(SPAN_GROUP, []):
            i = max(0, bisect_right(starts, span.start_char) - 1)
            rule = span._.target_rule
            meta = dict(rule.metadata or {}) if rule is not None else {}
            modifier, cue = _modifier(doc, span, offset)
            by_sentence[i].append(
                Mention(
                    label=span.label_,
                    start=offset + span.start_char,
                    end=offset + span.end_char,
                    text=span.text,
                    meta=meta,
                    sentence=base + i,
                    modifier=modifier,
                    cue=cue,
                )
            )
        sections = [(sec.section_span[0], sec.category) for sec in doc._.sections]
        if not sections or sections[0][0] > 0 or sections[0][1] is None:
            sections = [(0, section)] + [x for x in sections if x[0] > 0 or x[1] is not None]
        section_starts = [start for start, _ in sections]
        for i, (first_token, start_char, end_char) in enumerate(
            (t, a, b) for t, a, b in ((s[0], s[2], s[3]) for s in sents)
        ):
            text = doc_text[start_char:end_char]
            k = bisect_right(section_starts, first_token) - 1
            section = sections[k][1] if k >= 0 else section
            sentences.append(
                Sentence(
                    index=base + i,
                    start=offset + start_char,
                    end=offset + end_char,
                    text=text,
                    section=section,
                    role=rules.role(section),
                    anchored=_anchored(text),
                    generic=bool(_GENERIC.search(text)),
                    mentions=tuple(sorted(by_sentence[i], key=lambda m: m.start)),
                )
            )
    return Reading(clean=clean_text, sentences=sentences)
