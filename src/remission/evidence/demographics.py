"""Age and sex of one patient.

Age: the age at the index therapy when a sentence giving the index therapy states one ("at the
age of 41 he received ..."), else the first age the patient's text gives (usually at
diagnosis). Cohort phrases ("median age", "aged 2 to 17 years") are not a patient's age.
Sex: nouns first ("a 34-year-old man", "the girl", "female patient"), pronouns otherwise, never
from a donor ("her brother" says the patient is female, not that the patient is male).
"""

from __future__ import annotations

import re

from remission.evidence.numbers import age_years, find_ages
from remission.evidence.reading import Found, Reading, Sentence, quick
from remission.evidence.segment import PatientScope
from remission.evidence.therapies import IndexPlan
from remission.model.evidence import MatchKind

__all__ = ["find_age", "find_sex"]

_NOT_AGE = re.compile(
    r"(?:median|mean|average|range|between|ages?\s+of\s+(?:the\s+)?(?:patients|children)|donor|brother|sister|"
    r"mother|father|sibling)\W+(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)
_AGE_HINT = re.compile(
    r"year|month|week|aged?\b|\byo\b|y/o|y\.o\.|\d\s*(?:y|yrs?|mo)\b", re.IGNORECASE
)
_AGE_HINT = quick(_AGE_HINT, "ymwa0-9")
_AGE_RANGE_AFTER = re.compile(r"^\s*(?:-|to|and)\s*\d", re.IGNORECASE)
_AT_DIAGNOSIS = re.compile(
    r"diagnos\w*|\bDx\b|initial presentation|at onset|first presented|as an infant", re.IGNORECASE
)

_MALE = re.compile(
    r"\b(?:man|male|boy|gentleman|Mr\.?|son|young man|schoolboy|he)\b", re.IGNORECASE
)
_FEMALE = re.compile(
    r"\b(?:woman|female|girl|lady|Mrs\.?|Ms\.?|daughter|young woman|schoolgirl|she)\b",
    re.IGNORECASE,
)
_SEX_NOUN = re.compile(
    # the look-ahead on the first letters skips other positions quickly (same matches)
    r"(?=[mbglwfpsMBGLWFPS])(?:\b(?P<m>man|male|boy|gentleman|Mr)\b|\b(?P<f>woman|female|girl|lady|Mrs|Ms)\b"
    r"|\b(?:pt|patient|sex)\s*\d?\s*:\s*(?:(?P<m2>M)|(?P<f2>F))\b)",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"\b(?P<m>he|his|him)\b|\b(?P<f>she|her|hers)\b", re.IGNORECASE)
_DONOR_NEAR = re.compile(
    r"\bdonor|\bdonat\w*|\bsibling|\bbrother|\bsister|\bmother|\bfather|\bparents?\b", re.IGNORECASE
)


def find_age(reading: Reading, scope: PatientScope, plan: IndexPlan) -> list[Found]:
    candidates: list[tuple[int, float, Sentence, re.Match[str]]] = []
    for s in scope.sentences:
        if not _AGE_HINT.search(s.text):
            continue
        for m in find_ages(s.text):
            before = s.text[: m.start()]
            if _NOT_AGE.search(before[-40:]) or _AGE_RANGE_AFTER.match(s.text[m.end() :]):
                continue
            years = age_years(m)
            if years is None:
                continue
            # 0: stated with the index therapy; 1: another age (at the relapse treated, ...);
            # 2: the age at diagnosis, used only when no other age is given
            local = s.text[max(0, m.start() - 90) : m.end() + 35]
            rank = 2 if _AT_DIAGNOSIS.search(local) else 1
            index_here = plan.index_sentence is not None and s.index == plan.index_sentence
            if index_here or (
                plan.rows
                and any(mm.sentence == s.index for r in plan.rows for mm in r.mentions)
                and not _AT_DIAGNOSIS.search(s.text)
            ):
                rank = 0
            candidates.append((rank, years, s, m))
    if not candidates:
        return []
    # the age with the index therapy, else another stated age, else the age at diagnosis
    best = min(candidates, key=lambda c: (c[0], c[2].index, c[3].start()))
    if len({c[1] for c in candidates}) == 1:
        best = min(
            candidates, key=lambda c: (c[2].index, c[3].start())
        )  # one age: its first statement
    _, years, s, m = best
    words = m.group(0).lower()
    # months, weeks or a number in words are normalised; "41-year-old" is the value as stated
    normalized = "month" in words or "week" in words or not re.search(r"\d", words)
    match: MatchKind = "normalized" if normalized else "exact"
    ev = reading.evidence(
        (s.start + m.start(), s.start + m.end()), rule="age", match=match, section=s.section
    )
    return [Found("age_years", years, (ev,), s.start + m.start())]


def find_sex(reading: Reading, scope: PatientScope) -> list[Found]:
    votes: dict[str, list[tuple[int, int]]] = {"male": [], "female": []}
    for pattern, weight in ((_SEX_NOUN, 3), (_PRONOUN, 1)):
        for s in scope.sentences:
            for m in pattern.finditer(s.text):
                sex = "male" if m.group("m") or m.groupdict().get("m2") else "female"
                after = s.text[m.end() : m.end() + 25]
                before = s.text[max(0, m.start() - 25) : m.start()]
                if weight == 3 and (
                    _DONOR_NEAR.search(after[:15]) or re.search(r"\bdonor\b", before)
                ):
                    continue  # "male donor", "a female sibling donor"
                # "her brother": the pronoun is still the patient's, so pronouns always vote
                votes[sex].extend([(s.start + m.start(), s.start + m.end())] * weight)
        if (votes["male"] or votes["female"]) and pattern is _SEX_NOUN:
            break  # nouns decide; pronouns only when no noun says it
    male, female = len(votes["male"]), len(votes["female"])
    if male == female:
        return []
    sex = "male" if male > female else "female"
    # a clear majority only: mixed signals stay unknown
    if min(male, female) * 3 > max(male, female):
        return []
    spans = sorted(set(votes[sex]))[:3]
    ev = reading.evidence(spans, rule="sex", match="synonym", section=None)
    return [Found("sex", sex, (ev,), spans[0][0])]
