"""The medspaCy pipeline the extractor reads with, built once per process.

A blank English spaCy pipeline (no model download) with:

1. ``remission_sentences``: sentence starts after ``. ! ?`` and at line breaks before a capital
   (web text puts headings and list items on their own lines; PyRuSH is not used: it is slow);
2. medspaCy's ``TargetMatcher`` with the concepts of ``rules/targets.yaml`` plus every agent,
   CAR-T product, site and transplant donor term of the vocabularies (their synonyms);
3. ``remission_longest``: overlapping matches keep the longest (``CD19 CAR-T`` over ``CAR``);
4. medspaCy ``ConText`` with the cues of ``rules/context.yaml`` (negation, history, hypothesis);
5. medspaCy ``Sectionizer`` with the case-report headings of ``rules/sections.yaml``.
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_left
from functools import cache
from typing import Any

import numpy

from remission.evidence.ruleset import context_rules, section_rules, target_rules
from remission.model.vocab import load_vocabulary

__all__ = ["SPAN_GROUP", "build_pipeline", "pipeline", "process", "vocabulary_targets"]

SPAN_GROUP = "remission_targets"

#: Vocabulary forms too short or too common to find in prose (``Cy``, ``Flu``, ``RT``, ``MP``).
_MIN_FORM = 3
_SKIP_FORMS = frozenset(
    {
        "mit",
        "ida",
        "clo",
        "dox",
        "dex",
        "pred",
        "pdn",
        "mps",
        "dxm",
        "crt",
        "itt",
        "tit",
        "csa",
        "treo",
        "dexa",
        "toci",
        "blina",
        "mel",
        "flu",
        "cord",
        "related",
        "unrelated",
        "sibling",
        "haplo",
        "unknown",
        "not stated",
        "unspecified",
        "peripheral",
        "nodes",
        "abdominal",
        "gum",
        "gums",
        "muscle",
        "academic",
        "in-house",
        "trial product",
        "ct",
        "irradiation",
    }
)


#: Agent classes that fill no CaseSummary field or index row (toxicity management, supportive care).
_UNUSED_CLASSES = frozenset(
    {
        "antipyretic",
        "supportive",
        "anti_cytokine",
        "immunosuppressant",
        "corticosteroid",
        "monoclonal_antibody",
    }
)


def _form_pattern(form: str) -> str:
    """A regular expression for one vocabulary form: flexible spaces and hyphens, word bounds."""
    parts = [re.escape(p) for p in re.split(r"[\s\-]+", form.strip()) if p]
    body = r"[\s\-]?".join(parts)
    if len(form) <= 4 and form.upper() == form:
        body = f"(?-i:{body})"  # short capitals (VCR, MTX, TBI) are acronyms: match the case
    return rf"(?<![\w-]){body}(?![\w])"


def vocabulary_targets() -> list[tuple[str, str, str, dict[str, Any]]]:
    """``(literal, category, pattern, metadata)`` for every usable vocabulary form."""
    out: list[tuple[str, str, str, dict[str, Any]]] = []
    spec = (
        ("agents", "AGENT"),
        ("car_t_products", "CAR_PRODUCT"),
        ("sites", "SITE"),
    )
    for vocab_name, category in spec:
        vocab = load_vocabulary(vocab_name)
        for term in vocab.terms:
            if term.id in ("other", "investigational") and vocab_name != "sites":
                continue
            forms = {f for f in term.surface_forms() if "_" not in f or vocab_name == "sites"}
            if vocab_name == "sites" and term.id == "other":
                forms = {"extramedullary", "EMD"}
            if term.attributes.get("class") in _UNUSED_CLASSES:
                continue  # supportive drugs fill no field: fewer targets, faster ConText
            for form in sorted(forms):
                if len(form) < _MIN_FORM or form.lower() in _SKIP_FORMS or "(" in form:
                    continue
                out.append(
                    (form, category, _form_pattern(form), {"vocab": vocab_name, "id": term.id})
                )
    donors = load_vocabulary("donor_types")
    for term in donors.terms:
        for form in term.surface_forms():
            if re.search(r"BMT|HSCT|HCT|SCT|transplant|CBT", form, re.IGNORECASE):
                meta = {"vocab": "donor_types", "id": term.id}
                out.append((form, "HSCT", _form_pattern(form), meta))
    return out


#: Where a sentence starts: after . ! ? and spaces before a capital, digit or bracket, after . ! ?
#: run into a capitalised word ("patient.Aim", never "90.0"), and after a line break before
#: anything but a small letter.
_SENTENCE_BREAK = re.compile(
    # the leading look-ahead lets the scan skip every character that cannot start a break before
    # trying the nine look-behinds (a tenth of the time per document without it)
    r"(?=[.!?\n])(?:(?:(?<=[a-z0-9)\]%])|(?<=[A-Z]{2}))(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)(?<!\bDr)(?<!\bFig)(?<!\bal)(?<!\bapprox)(?<!\bNo)(?<!\bref)"
    r"(?:[.!?]+[\"')\]]*[ \t]+(?=[A-Z0-9(\[\"'#*])|[.!?]+(?=[A-Z][a-z]))"
    r"|\n[ \t\n]*(?=[^a-z\s]))"
)


#: Tokenizer rules. spaCy's English rules (prefixes, suffixes, infixes over all of Unicode, URL
#: and emoticon patterns, thousands of exceptions) took fifteen times as long on report text as
#: these, which split what the target and cue phrases need: brackets and quotes, final
#: punctuation, hyphens and slashes between letters or digits ("CAR-T", "allo-HSCT", "CD19/CD22",
#: "4-1BB"), a full stop run into a capital ("patient.Aim"), list punctuation.
_PREFIX = re.compile(r"""^[\[\(\{"'<*#~«“‘]""")
_SUFFIX = re.compile(r"""(?:[\]\)\}"'>»”’,;:!?%*]|(?<!\.\w)\.)$""")
_INFIX = re.compile(
    r"""(?<=[A-Za-z0-9])[-–—/](?=[A-Za-z0-9])|(?<=[a-z0-9)\]])\.(?=[A-Z])|[,:;](?=\S)|[()\[\]](?=\S)"""
    r"""|(?<=\S)[()\[\]]|[×=+~^]"""
)

_TEXT_KEY = "remission_text"


def _regex_matches(self: Any, doc: Any) -> list[tuple[int, int, int]]:
    """medspaCy's regex matching, reading ``doc.text`` once per document.

    medspaCy's ``RegexMatcher`` rebuilds the document text for every pattern, which made the
    regex rules three quarters of the extractor's time; this keeps its behaviour (a match that
    cuts a token is widened to whole tokens; callbacks are called) with one text per document.
    """
    text = doc.user_data.get(_TEXT_KEY) or doc.text
    keys: dict[int, tuple[str, ...]] | None = getattr(self, "_remission_keys", None)
    lower = text.lower() if keys else ""
    matches: list[tuple[int, int, int]] = []
    for match_id, patterns in self._patterns.items():
        if keys and match_id in keys and not any(k in lower for k in keys[match_id]):
            continue  # none of the words the pattern needs is in the text
        on_match = self._callbacks.get(match_id)
        for pattern in patterns:
            for m in pattern.finditer(text):
                span = doc.char_span(m.start(), m.end(), alignment_mode="expand")
                if span is None or not len(span):
                    continue
                matches.append((match_id, span.start, span.end))
                if on_match is not None:
                    on_match(self, doc, len(matches) - 1, matches)
    return matches


def _update_scopes(self: Any) -> None:
    """medspaCy's ``ConTextGraph.update_scopes``, skipping pairs of modifiers whose scopes do not
    touch: scopes only shrink, so such a pair can never limit each other (medspaCy's
    ``limit_scope`` returns at once for it). The other pairs are visited in medspaCy's order."""
    modifiers = self.modifiers
    spans = [m.scope_span for m in modifiers]
    for i in range(len(modifiers) - 1):
        a0, a1 = spans[i]
        for j in range(i + 1, len(modifiers)):
            b0, b1 = spans[j]
            if a0 <= b1 and b0 <= a1:
                modifiers[i].limit_scope(modifiers[j])
                modifiers[j].limit_scope(modifiers[i])


def _apply_modifiers(self: Any) -> None:
    """medspaCy's ``ConTextGraph.apply_modifiers``, testing each modifier only against the
    targets near its scope.

    medspaCy tests every modifier against every target of the document (a modifier's scope ends
    at its sentence, so nearly all pairs fail), which was most of ConText's time. A target can
    be in a modifier's scope only when it starts before the scope ends and ends after it starts;
    those are found by bisecting the target starts, then tested with medspaCy's own
    ``modifies``. Same edges, in the same order.
    """
    from medspacy.util import tuple_overlaps

    if self.prune_on_modifier_overlap:
        for i in range(len(self.modifiers) - 1, -1, -1):
            modifier = self.modifiers[i]
            for target in self.targets:
                if tuple_overlaps((target.start, target.end), modifier.modifier_span):
                    self.modifiers.pop(i)
                    break
    targets = self.targets
    order = sorted(range(len(targets)), key=lambda k: targets[k].start)
    starts = [targets[k].start for k in order]
    longest = max((t.end - t.start for t in targets), default=0)
    for modifier in self.modifiers:
        scope_start, scope_end = modifier.scope_span
        lo = bisect_left(starts, scope_start - longest)
        hi = bisect_left(starts, scope_end)
        near = sorted(k for k in order[lo:hi] if targets[k].end > scope_start)
        for k in near:
            if modifier.modifies(targets[k]):
                modifier.modify(targets[k])
    edges = []
    for modifier in self.modifiers:
        modifier.reduce_targets()
        for target in modifier._targets:
            edges.append((target, modifier))
    self.edges = edges


class _CaseReportSections:
    """medspaCy's Sectionizer with the case-report headings of ``rules/sections.yaml``.

    Its rules and matcher find the headings; the sections are kept on ``doc._.sections`` only
    (medspaCy also writes the section onto every token, a Python loop that cost as much as the
    rest of the pipeline; :func:`remission.evidence.reading.read` looks sections up by offset).
    """

    def __init__(self, nlp: Any, name: str) -> None:
        from medspacy.section_detection import Sectionizer, SectionRule

        self.sectionizer = Sectionizer(
            nlp, name=name, rules=None, input_span_type=None, span_attrs=None
        )
        rules = []
        for spec in section_rules().sections:
            # one regular expression per section for all its headings (a scan of the text each)
            alts = "|".join(
                "(?-i:"
                + re.escape(h[:1].upper())
                + ")"
                + r"[\s\-]+".join(re.escape(w) for w in h.split())[1:]
                if len(h) > 1
                else re.escape(h)
                for h in sorted(spec.headings, key=len, reverse=True)
            )
            # the line break or full stop before a heading is part of the match: a regular
            # expression that starts by consuming a character is scanned far faster than one
            # that starts with a look-behind
            line_start = (
                rf"(?:\n|^)[ \t#*]*(?:\d+\.?[ \t]*)?(?:{alts})s?[ \t*]*(?::|\.(?=\s)|(?=[ \t]*\n))"
            )
            run_in = rf"[.!?][ \t]?(?:{alts})[ \t]*(?::|\.(?=\s))"
            rules.append(
                SectionRule(spec.headings[0], spec.category, pattern=f"{line_start}|{run_in}")
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.sectionizer.add(rules)
        self._matcher = self.sectionizer._Sectionizer__matcher
        self._strings = nlp.vocab.strings
        # a section's pattern can match only where the first word of one of its headings occurs:
        # texts without any of them skip that scan (see _regex_matches)
        regex_matcher = self._matcher._MedspacyMatcher__regex_matcher
        specs = section_rules().sections
        ids = list(regex_matcher._patterns)  # one pattern per section, in the order added
        if len(ids) == len(specs):
            regex_matcher._remission_keys = {
                match_id: tuple(sorted({h.split()[0].lower() for h in spec.headings}))
                for match_id, spec in zip(ids, specs, strict=True)
            }

    def __call__(self, doc: Any) -> Any:
        from medspacy.section_detection.section import Section

        sections = []
        matches = sorted(self._matcher(doc), key=lambda m: m[1])
        if not matches or matches[0][1] != 0:
            sections.append(Section(None, 0, 0, 0, matches[0][1] if matches else len(doc)))
        for i, (match_id, start, end) in enumerate(matches):
            rule = self._matcher.rule_map[self._strings[match_id]]
            stop = matches[i + 1][1] if i + 1 < len(matches) else len(doc)
            sections.append(Section(rule.category, start, end, end, stop, None, rule))
        doc._.sections = sections
        return doc


def _make_sections(nlp: Any, name: str) -> _CaseReportSections:
    return _CaseReportSections(nlp, name)


def build_pipeline() -> Any:
    """A new pipeline (slow: about a quarter of a second); use :func:`pipeline` for the shared one."""
    from loguru import logger

    logger.disable("PyRuSH")
    logger.disable("medspacy")
    import medspacy  # noqa: F401  (registers the medspaCy factories)
    import spacy
    from medspacy.common.regex_matcher import RegexMatcher
    from medspacy.context import ConTextRule
    from medspacy.context.context_graph import ConTextGraph
    from medspacy.target_matcher import TargetRule
    from spacy.attrs import IDX, IS_SPACE, SENT_START
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer
    from spacy.tokens import Doc
    from spacy.util import filter_spans

    RegexMatcher.__call__ = _regex_matches
    ConTextGraph.apply_modifiers = _apply_modifiers
    ConTextGraph.update_scopes = _update_scopes
    # medspaCy keeps an empty token Matcher beside its phrase and regex matchers; spaCy warns
    # about it on every document
    warnings.filterwarnings("ignore", message=r"\[W036\]")
    if "remission_sentences" not in Language.factories:

        @Language.component("remission_sentences")
        def remission_sentences(doc: Doc) -> Doc:
            # the text as given to :func:`process` (spaCy's ``doc.text`` joins every token again)
            text = doc.user_data.get(_TEXT_KEY) or doc.text
            doc.user_data[_TEXT_KEY] = text  # read once, shared with the regex matchers
            if not len(doc):
                return doc
            idx = doc.to_array([IDX])
            space = doc.to_array([IS_SPACE]).astype(bool)
            starts = numpy.fromiter(
                (m.end() for m in _SENTENCE_BREAK.finditer(text)), dtype=idx.dtype
            )
            # a break that lands on white space starts the sentence at the next token
            pos = numpy.searchsorted(idx, starts)
            flags = numpy.full(len(doc), -1, dtype="int32")
            flags[0] = 1
            if len(pos):
                pos = pos[pos < len(doc)]
                pos = numpy.where(space[pos] & (pos + 1 < len(doc)), pos + 1, pos)
                flags[pos] = 1
            flags[space & (flags == 1) & (numpy.arange(len(doc)) > 0)] = -1
            flags[0] = 1
            doc.from_array([SENT_START], flags.astype("uint64").reshape(-1, 1))  # type: ignore[arg-type]
            return doc

        Language.factory("remission_sections")(_make_sections)

        @Language.component("remission_longest")
        def remission_longest(doc: Doc) -> Doc:
            spans = list(doc.spans.get(SPAN_GROUP, []))
            doc.spans[SPAN_GROUP] = filter_spans(spans)
            return doc

    nlp: Any = spacy.blank("en")
    nlp.tokenizer = Tokenizer(
        nlp.vocab,
        prefix_search=_PREFIX.search,
        suffix_search=_SUFFIX.search,
        infix_finditer=_INFIX.finditer,
    )
    nlp.add_pipe("remission_sentences")
    matcher: Any = nlp.add_pipe(
        "medspacy_target_matcher",
        config={"result_type": "group", "span_group_name": SPAN_GROUP},
    )
    rules = []
    for r in target_rules().rules:
        if r.pattern:
            rules.append(
                TargetRule(r.literal, r.category, pattern=r.pattern, metadata={"rule": r.literal})
            )
        rules += [TargetRule(p, r.category, metadata={"rule": r.literal}) for p in r.phrases]
    # vocabulary forms go to spaCy's PhraseMatcher (lower-cased tokens): one pass for hundreds
    rules += [TargetRule(lit, cat, metadata=meta) for lit, cat, _, meta in vocabulary_targets()]
    matcher.add(rules)
    nlp.add_pipe("remission_longest")
    context: Any = nlp.add_pipe(
        "medspacy_context",
        config={
            "rules": None,
            "input_span_type": "group",
            "span_group_name": SPAN_GROUP,
            # "but", "however", ";" and ":" end the scope of every cue
            "terminating_types": {
                cr.category: ["TERMINATE"]
                for cr in context_rules().rules
                if cr.direction not in ("TERMINATE", "PSEUDO")
            },
        },
    )
    cues = []
    for cr in context_rules().rules:
        pairs: list[tuple[str, str | None]] = [(p, None) for p in cr.phrases]
        for literal, pattern in pairs or [(cr.literal, cr.pattern)]:
            cues.append(
                ConTextRule(
                    literal,
                    cr.category,
                    pattern=pattern,
                    direction=cr.direction,
                    max_scope=cr.max_scope,
                )
            )
    context.add(cues)
    nlp.add_pipe("remission_sections")
    return nlp


@cache
def pipeline() -> Any:
    """The shared pipeline (built on first use)."""
    return build_pipeline()


def process(pieces: list[str]) -> list[Any]:
    """The shared pipeline run over ``pieces``; each document keeps its text in its user data
    (spaCy rebuilds ``doc.text`` from the tokens at every reading, twice per piece otherwise)."""
    nlp = pipeline()
    docs = []
    for piece in pieces:
        doc = nlp.make_doc(piece)
        doc.user_data[_TEXT_KEY] = piece
        docs.append(doc)
    return list(nlp.pipe(docs))
