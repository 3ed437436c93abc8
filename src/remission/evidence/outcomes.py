"""What followed the index therapy: response, MRD, CRS and ICANS grades, GVHD, relapse, survival,
a bridge to transplant, and the length of follow-up.

Only sentences at or after the index therapy count (a response to a prior line is not the index
response). Grades are read as the report states them with their scale ("grade 2 CRS (ASTCT)",
"CRS grade II", "grade 1 CRS and ICANS"); a negated syndrome ("no ICANS", "neurotoxicity was not
observed") is grade 0. MRD values are judged by :func:`remission.rules.mrd.mrd_negative` (its
thresholds, not ours). Follow-up is the longest stated time from the index therapy to the last
news (months; days / 30.4375, years x 12).
"""

from __future__ import annotations

import re

from remission.evidence.numbers import duration_months, find_durations
from remission.evidence.reading import Found, Mention, Reading, Sentence, quick
from remission.evidence.segment import PatientScope
from remission.evidence.therapies import IndexPlan, overview_or_title
from remission.model.events import MRD
from remission.model.time import DAYS_PER_MONTH
from remission.rules.mrd import mrd_negative
from remission.rules.response import RESPONSE_RANK

__all__ = ["GRADE", "SCALE", "find_outcomes", "grade_value"]

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}
GRADE = r"(?:grade|gr\.?|G|level)\s*(?P<g>[0-5]|IV|V|I{1,3})\b(?:\s*(?:-|to|/)\s*(?:[0-5]|IV|I{1,3})\b)?"
_GRADE_RE = re.compile(GRADE, re.IGNORECASE)
SCALE = re.compile(
    r"\b(?P<astct>ASTCT|ASBMT|consensus)\b|\b(?P<lee>Lee)\b|\b(?P<penn>Penn|UPenn)\b|\b(?P<cartox>CARTOX)\b|\b(?P<ctcae>CTCAE)\b",
    re.IGNORECASE,
)


def grade_value(raw: str) -> int | None:
    raw = raw.strip().lower()
    if raw.isdigit():
        return int(raw)
    return _ROMAN.get(raw)


def _scale(text: str) -> str:
    m = SCALE.search(text)
    if not m:
        return "unspecified"
    for key, name in (
        ("astct", "astct2019"),
        ("lee", "lee2014"),
        ("penn", "penn"),
        ("cartox", "cartox"),
        ("ctcae", "ctcae"),
    ):
        if m.group(key):
            return name
    return "unspecified"


_RESPONSES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"with incomplete (?:count|blood count|hematologic(?:al)?|haematologic(?:al)?|neutrophil|platelet) recovery|\bCRi\b|\bCRh\b|\bMLFS\b|morphologic leuk\w*[- ]free state",
            re.IGNORECASE,
        ),
        "CRi",
    ),
    (
        re.compile(
            r"\bcomplete (?:\w+ )?(?:remission|response)|\bCR\b|\b(?:MRD|minimal residual disease|measurable residual disease)[- ]negative (?:complete )?remission|\bmolecular remission\b|\bmorphologic(?:al)? remission\b",
            re.IGNORECASE,
        ),
        "CR",
    ),
    (re.compile(r"\bpartial (?:remission|response)\b|\bPR\b", re.IGNORECASE), "PR"),
    (
        re.compile(
            r"\bno (?:clinical )?response\b|\bnon-?respon\w*|\bstable disease\b|\bprogressive disease\b|\b(?:SD|PD)\b|\bdid not respond\b|\bfailed to respond\b|\brefractory to (?:the )?(?:CAR|infusion|treatment|therapy)|\bno (?:remission|response) was (?:achieved|obtained)",
            re.IGNORECASE,
        ),
        "NR",
    ),
)

#: "MRD-negative remission", "molecular remission": a complete remission.
_CR_BEFORE_REMISSION = re.compile(
    r"(?:MRD|minimal residual disease|measurable residual disease)[- ]negative\s*$"
    r"|\b(?:molecular|complete|morphologic(?:al)?|haematologic(?:al)?|hematologic(?:al)?|cytologic(?:al)?)\s*$",
    re.IGNORECASE,
)
_MRD_NEG = re.compile(
    r"\b(?:MRD|minimal residual disease|measurable residual disease)\b[^.;,()]{0,50}?\b(?:was |became |remained |were |turned |is )?(?:negative|negativity|undetectable|not detect\w*|-ve|neg)\b(?!\s+for\b)"
    r"|\b(?:negative|undetectable) (?:for )?(?:MRD|minimal residual disease|measurable residual disease)\b"
    r"|\bMRD[- ]negative\b|\bMRD\b[^.;,()]{0,30}?(?:<|below|less than)\s*(?:0\.01|10\^?-4|10-4|1e-4|0\.001|10\^?-5|10\^?-6)",
    re.IGNORECASE,
)
_MRD_POS = re.compile(
    r"\b(?:MRD|minimal residual disease|measurable residual disease)\b,?(?: however,?)?[- ]?(?:was |remained |persisted |were |stayed )?(?:positive|positivity|detectable|persist\w*)\b"
    r"|\b(?:persistent|positive|detectable) (?:MRD|minimal residual disease|measurable residual disease)\b",
    re.IGNORECASE,
)
_MRD_VALUE = re.compile(
    r"\b(?:MRD|minimal residual disease|measurable residual disease)\b[^.;]{0,30}?(?P<cmp><|≤|below|less than|of|at|was)?\s*(?P<v>\d+(?:\.\d+)?)\s*%",
    re.IGNORECASE,
)

_ALIVE = re.compile(
    r"\b(?:is|was|remains|remained|are) (?:still )?(?:alive|well|living)\b|\balive\b(?! at)|\b(?:remains|remained|is|continues|stays) (?:\w+ ){0,3}(?:in|on) (?:\w+[- ]?){0,5}(?:remission|CR)\b"
    r"|\b(?:maintains|maintained|survived|surviving|is surviving)\b"
    r"|\b(?:in|with) (?:ongoing|continued|continuous|sustained|durable|persistent) (?:\w+[- ]){0,2}(?:remission|CR|response)\b"
    r"|\b(?:event|disease|relapse|leuk(?:a)?emia|progression)[- ]free (?:survival )?(?:for|of|at)\b|\bat (?:the )?last follow-?up\b[^.]{0,60}\b(?:remission|alive|well|CR)\b"
    r"|\bstable clinical response\b|\bremains? (?:well|disease[- ]free|relapse[- ]free|leuk(?:a)?emia[- ]free)",
    re.IGNORECASE,
)
_ALIVE = quick(_ALIVE, "iwracsmedlp")
_CONTINUING = re.compile(
    r"\b(?:remains|remained|is|continues|stays|was) (?:\w+ ){0,3}(?:in|on) (?:\w+[- ]?){0,5}(?:remission|CR)\b"
    r"|\b(?:maintains|maintained) (?:the |a |her |his )?(?:\w+[- ]?){0,3}(?:remission|CR|response)\b"
    r"|\balive,? (?:and |but )?(?:still )?in (?:\w+[- ]?){0,3}(?:remission|CR)\b"
    r"|\b(?:ongoing|continued|continuous|sustained|durable|persistent) (?:\w+[- ]){0,2}(?:remission|CR|response)\b"
    r"|\b(?:event|disease|relapse|leuk(?:a)?emia|progression)[- ]free\b|\bstable clinical response\b|\bno (?:signs? of |evidence of )?(?:relapse|recurrence)\b"
    r"|\bwithout (?:any )?(?:relapse|recurrence)\b",
    re.IGNORECASE,
)
_CONTINUING = quick(_CONTINUING, "rictswmaoedlpn")
_BRIDGE = re.compile(
    r"\bbridg\w*\b|\bconsolidat\w*\b|\bin (?:\w+[- ]){0,3}(?:remission|CR)\b|\bwhile in\b|\bproceeded to\b|\bsubsequently\b|\bthen\b|\bunderwent\b|\breceived\b|\bfollowed by\b",
    re.IGNORECASE,
)
_FOLLOW_ANCHOR = re.compile(
    r"\b(?:after|following|post|since|from)[- ](?:the\s+)?(?:first\s+|initial\s+|index\s+)?(?:CAR|infusion|cell infusion|treatment|therapy|CTL|tisa|brexu|obe|blina|inotuzumab|the infusion|T[- ]cell|product|start|initiation|day 0|administration|cycle|begin\w*)",
    re.IGNORECASE,
)
#: A sentence giving the patient's state at the last news.
_STATUS_NOW = re.compile(
    r"\b(?:remains?|remained|is alive|was alive|alive|continuing|continuous|ongoing|died|is in|stays|still)\b",
    re.IGNORECASE,
)
_FOLLOW_WORDS = re.compile(
    r"\bfollow(?:ed)?[- ]?up\b|\bfollowed\b|\bevent[- ]free|\bdisease[- ]free|\brelapse[- ]free|\bleuk(?:a)?emia[- ]free|\bremission (?:for|of|lasting)|\bover the course of\b|\bremains?\b|\bongoing\b|\bsurviv\w*|\bat last\b|\blast (?:visit|contact|review)|\bmost recent\b",
    re.IGNORECASE,
)


#: What follows a relapse that came before the index therapy ("... after a transplant", "... from diagnosis").
_BEFORE_INDEX = re.compile(
    r"^[^.;]{0,50}?\b(?:after|following|post)\s+(?:(?:a|an|the|his|her|first|second|matched|sibling|unrelated|haploidentical|allogeneic|\w+)[\s-]+){0,3}"
    r"(?:transplant\w*|HSCT|HCT|SCT|BMT|TSCS|diagnosis|induction|consolidation|chemotherapy|maintenance|remission)"
    r"|^[^.;]{0,40}?\b(?:from|since) diagnosis",
    re.IGNORECASE,
)


_DURATION_HINT = re.compile(r"year|month|week|day|\d\s*(?:y|mo|wk|d)\b", re.IGNORECASE)


def _after(plan: IndexPlan, scope: PatientScope) -> tuple[Sentence, ...]:
    """Sentences at or after the index therapy (all of them when none was found)."""
    if plan.index_sentence is None:
        return ()
    return tuple(s for s in scope.all if s.index >= plan.index_sentence or _mentions_index(plan, s))


def _mentions_index(plan: IndexPlan, s: Sentence) -> bool:
    return any(m.sentence == s.index for r in plan.rows for m in r.mentions)


def _prior_only(plan: IndexPlan, s: Sentence) -> bool:
    """A sentence about a prior therapy (and not the index one): its results are not ours."""
    prior = {m.sentence for m in plan.prior_mentions}
    return s.index in prior and not _mentions_index(plan, s)


def find_outcomes(reading: Reading, scope: PatientScope, plan: IndexPlan) -> list[Found]:
    after = _after(plan, scope)
    if not after:
        return []
    out: list[Found] = []
    out.extend(_response(reading, plan, after))
    out.extend(_mrd(reading, plan, after))
    out.extend(_toxicity(reading, plan, after))
    out.extend(_gvhd(reading, plan, after))
    course = _course(reading, plan, after, scope)
    codes = {f.value for f in out if f.field == "response"}
    if codes == {"NR"}:
        # no remission to relapse from or to bridge in: a later transplant is salvage
        course = [f for f in course if f.field != "relapse_after"]
        course = [
            Found(
                f.field,
                False,
                tuple(
                    e.model_copy(
                        update={
                            "rule": "bridged_to_hsct.salvage_after_no_response",
                            "match": "inferred",
                        }
                    )
                    for e in f.evidence
                ),
                f.position,
            )
            if f.field == "bridged_to_hsct" and f.value
            else f
            for f in course
        ]
    out.extend(course)
    return out


def _response(reading: Reading, plan: IndexPlan, after: tuple[Sentence, ...]) -> list[Found]:
    best: tuple[int, str, Mention | None, tuple[int, int], Sentence] | None = None
    for s in after:
        if _prior_only(plan, s):
            continue
        for m in s.mentions:
            if m.label not in ("RESPONSE", "REFRACTORY"):
                continue
            local = reading.text[m.start : min(s.end, m.end + 60)]
            pre = reading.text[max(s.start, m.start - 40) : m.start]
            code = None
            if m.label == "RESPONSE":
                if m.negated:
                    if re.search(
                        r"\bno (?:further )?(?:remission|response)|did not (?:achieve|attain|reach)|failed to (?:achieve|attain)",
                        pre + m.text,
                        re.IGNORECASE,
                    ):
                        code = "NR"
                    else:
                        continue
                elif not m.asserted:
                    continue
                else:
                    for pattern, value in _RESPONSES:
                        if pattern.search(
                            m.text + local[len(m.text) : len(m.text) + 50]
                            if value == "CRi"
                            else m.text
                        ):
                            code = value
                            break
                    if (
                        code is None
                        and re.fullmatch(r"remission", m.text, re.IGNORECASE)
                        and _CR_BEFORE_REMISSION.search(pre)
                    ):
                        code = "CR"
            else:
                if m.asserted and re.search(
                    r"\bno (?:clinical )?response|did not respond|failed to respond",
                    m.text,
                    re.IGNORECASE,
                ):
                    code = "NR"
            if code is None:
                continue
            if (
                re.search(r"\b(?:to|after|with|following)\s+(?:\w+\s+){0,2}$", pre, re.IGNORECASE)
                and any(pm.sentence == s.index and pm.start < m.start for pm in plan.prior_mentions)
                and not _mentions_index(plan, s)
            ):
                continue
            rank = RESPONSE_RANK.get(code, 0)
            if best is None or rank > best[0]:
                best = (rank, code, m, (m.start, m.end), s)
    if best is None:
        return []
    _, code, chosen, _span, s = best
    assert chosen is not None
    m = chosen
    return [
        Found(
            "response",
            code,
            (reading.mention_evidence(m, rule=f"response.{code}", match="synonym"),),
            m.start,
        )
    ]


def _mrd(reading: Reading, plan: IndexPlan, after: tuple[Sentence, ...]) -> list[Found]:
    negative: Found | None = None
    positive: Found | None = None
    for s in after:
        if _prior_only(plan, s):
            continue
        for m in _MRD_NEG.finditer(s.text):
            negative = negative or Found(
                "mrd_negative",
                True,
                (
                    reading.evidence(
                        (s.start + m.start(), s.start + m.end()),
                        rule="mrd.negative",
                        match="synonym",
                        section=s.section,
                    ),
                ),
                s.start + m.start(),
            )
        for m in _MRD_VALUE.finditer(s.text):
            value = float(m.group("v")) / 100.0
            if value > 1:
                continue
            comparator = (m.group("cmp") or "").lower()
            method = (
                "ngs"
                if re.search(r"\bNGS|next[- ]generation|clonoseq", s.text, re.IGNORECASE)
                else (
                    "flow"
                    if re.search(r"\bflow|FCM|cytometr", s.text, re.IGNORECASE)
                    else "unspecified"
                )
            )
            if comparator in ("<", "≤", "below", "less than"):
                call = mrd_negative(MRD(value=min(value, 0.1) if value > 0 else 0, method=method))
                neg = value <= call.threshold
            else:
                neg = bool(mrd_negative(MRD(value=value, method=method)).negative)
            f = Found(
                "mrd_negative",
                neg,
                (
                    reading.evidence(
                        (s.start + m.start(), s.start + m.end()),
                        rule="mrd.value",
                        match="computed",
                        section=s.section,
                    ),
                ),
                s.start + m.start(),
            )
            if neg:
                negative = negative or f
            else:
                positive = positive or f
        for m in _MRD_POS.finditer(s.text):
            if re.search(r"\bnot?\b[^.]{0,12}$", s.text[: m.start()], re.IGNORECASE):
                continue
            positive = positive or Found(
                "mrd_negative",
                False,
                (
                    reading.evidence(
                        (s.start + m.start(), s.start + m.end()),
                        rule="mrd.positive",
                        section=s.section,
                    ),
                ),
                s.start + m.start(),
            )
    if negative is not None:
        return [negative]
    return [positive] if positive is not None else []


def _toxicity(reading: Reading, plan: IndexPlan, after: tuple[Sentence, ...]) -> list[Found]:
    """Worst stated CRS and ICANS grades (0 when stated absent)."""
    worst: dict[str, tuple[int, Mention, tuple[int, int] | None, str]] = {}
    for s in after:
        if _prior_only(plan, s):
            continue
        syndromes = [m for m in s.mentions if m.label in ("CRS", "ICANS")]
        # "cytokine release syndrome (CRS)": the abbreviation is the same mention
        syndromes = [
            m
            for k, m in enumerate(syndromes)
            if not (
                k
                and syndromes[k - 1].label == m.label
                and reading.text[syndromes[k - 1].end : m.start].strip() == "("
            )
        ]
        if not syndromes:
            continue
        grades = [
            (s.start + g.start(), s.start + g.end(), grade_value(g.group("g")))
            for g in _GRADE_RE.finditer(s.text)
        ]
        for m in syndromes:
            grade, gspan = _grade_for(m, syndromes, grades, reading.text)
            if m.negated:
                if (
                    gspan is not None
                    and gspan[1] <= m.start
                    and not reading.text[gspan[1] : m.start].strip(" (-")
                ):
                    continue  # "no grade 3 CRS" says nothing about milder CRS
                grade, gspan = 0, None
            elif not m.asserted:
                continue
            if grade is None or grade > 5:
                continue
            scale = _scale(reading.text[max(s.start, m.start - 40) : min(s.end, m.end + 60)])
            prev = worst.get(m.label)
            if prev is None or grade > prev[0]:
                worst[m.label] = (grade, m, gspan, scale)
    out: list[Found] = []
    for label, field in (("CRS", "crs_max_grade"), ("ICANS", "icans_max_grade")):
        if label not in worst:
            continue
        grade, m, gspan, scale_name = worst[label]
        spans = [(m.start, m.end)] + ([gspan] if gspan else [])
        ev = reading.evidence(
            sorted(spans),
            rule=f"{field}.{'negated' if grade == 0 and m.negated else 'stated'}",
            cue=m.cue if m.negated else None,
            modifier="negated" if m.negated else None,
            section=reading.sentences[m.sentence].section,
            match="normalized"
            if gspan and re.search(r"[IV]", reading.text[gspan[0] : gspan[1]])
            else "exact",
        )
        out.append(Found(field, grade, (ev,), m.start, {"scale": scale_name}))
    return out


def _grade_for(
    m: Mention, syndromes: list[Mention], grades: list[tuple[int, int, int | None]], text: str
) -> tuple[int | None, tuple[int, int] | None]:
    """The grade a syndrome mention states: "grade 2 CRS", "CRS grade 2", "CRS (grade 2)",
    "CRS was grade 2", or shared: "grade 1 CRS and ICANS"."""
    best: tuple[int, int | None, tuple[int, int]] | None = None
    for gs, ge, g in grades:
        if ge <= m.start:
            between = text[ge : m.start]
            if len(between) > 45 or re.search(r"[.;]", between):
                continue
            # another syndrome between grade and this one: shared only when joined by "and"/"or"/","
            others = [o for o in syndromes if ge <= o.start < m.start]
            if others and not re.fullmatch(
                r"[\s\w()-]*?(?:and|or|,|/)[\s\w()-]*", text[others[-1].end : m.start]
            ):
                continue
            if others and len(text[others[-1].end : m.start]) > 40:
                continue
            if (
                re.search(r"\b(?:was|were|of|with|had|developed)\b", between)
                and not others
                and len(between) > 30
            ):
                continue
            dist = len(between)
        else:
            between = text[m.end : gs]
            if len(between) > 30 or re.search(r"[.;]", between):
                continue
            if any(m.end <= o.start < gs for o in syndromes):
                continue
            # "ICANS grade 1", "CRS (G3)", "CRS, which was grade 2": a grade right after the
            # syndrome is its own, whatever grade stands before it
            adjacent = re.fullmatch(
                r"[\s(:,]*(?:(?:which |that )?(?:was|were|of|reached|at)\s*)?", between
            )
            dist = -1 if adjacent else len(between) + 5
        if best is None or dist < best[0]:
            best = (dist, g, (gs, ge))
    if best is None:
        return None, None
    return best[1], best[2]


def _gvhd(reading: Reading, plan: IndexPlan, after: tuple[Sentence, ...]) -> list[Found]:
    neg: Mention | None = None
    for s in after:
        if _prior_only(plan, s):
            continue
        for m in s.find("GVHD"):
            local = reading.text[m.end : min(s.end, m.end + 25)]
            pre = reading.text[max(s.start, m.start - 30) : m.start]
            if re.search(r"^\s*(?:prophyla\w*|prevention)", local, re.IGNORECASE) or re.search(
                r"(?:risk|prevent\w*|prophyla\w*) (?:of|for|against)\s*(?:\w+\s+)?$",
                pre,
                re.IGNORECASE,
            ):
                continue
            if m.negated:
                neg = neg or m
                continue
            if not m.asserted:
                continue
            if re.search(r"graft[- ]versus[- ]leuk", m.text, re.IGNORECASE):
                continue
            return [
                Found("gvhd", True, (reading.mention_evidence(m, rule="gvhd.stated"),), m.start)
            ]
    if neg is not None:
        return [
            Found("gvhd", False, (reading.mention_evidence(neg, rule="gvhd.negated"),), neg.start)
        ]
    return []


def _course(
    reading: Reading, plan: IndexPlan, after: tuple[Sentence, ...], scope: PatientScope
) -> list[Found]:
    out: list[Found] = []
    relapse: Mention | None = None
    death: Mention | None = None
    hsct: Mention | None = None
    no_hsct: Mention | None = None
    salvage: Mention | None = None
    continuing: tuple[int, int, Sentence] | None = None
    alive: tuple[int, int, Sentence] | None = None
    relapse_sentence: int | None = None
    index_sents = {m.sentence for r in plan.rows for m in r.mentions}
    last_index_sentence = max(index_sents) if index_sents else plan.index_sentence or 0
    own = {s.index for s in scope.sentences}
    for s in after:
        if s.index not in own or overview_or_title(s):
            continue  # the title, the summary sentence and a series' preamble tell no course
        for m in s.mentions:
            if m.label == "RELAPSE" and m.asserted and relapse is None:
                pre = reading.text[max(s.start, m.start - 60) : m.start]
                if s.index <= (plan.index_sentence or 0) and not re.search(
                    r"\b(?:after|following|post)\b", reading.text[m.end : s.end][:40], re.IGNORECASE
                ):
                    continue
                if re.search(
                    r"\b(?:risk of|prevent\w*|free|no|without|at|at the time of|since|from|before)\s*$",
                    pre,
                    re.IGNORECASE,
                ):
                    continue  # "MRD at relapse": the relapse treated, as a time point
                post = reading.text[m.end : min(s.end, m.end + 70)]
                if _BEFORE_INDEX.match(post) or (
                    re.search(
                        r"\b(?:this|the|her|his|first|second|third|fourth|\d(?:st|nd|rd|th))\s+$",
                        pre[-20:],
                        re.IGNORECASE,
                    )
                    and s.index <= (plan.index_sentence or 0) + 1
                ):
                    continue  # "relapsed ... after a transplant", "this second relapse": the relapse treated
                if re.search(
                    r"/refractory|relapsed or refractory|relapsed and refractory",
                    reading.text[m.start : m.end + 15],
                    re.IGNORECASE,
                ):
                    continue
                if s.index == plan.index_sentence and not re.search(
                    r"\b(?:after|following|later|post)\b",
                    reading.text[max(s.start, m.start - 80) : m.end + 60],
                    re.IGNORECASE,
                ):
                    continue
                if (
                    re.search(r"\b(?:after|following)\s+(?:\w+\s+){0,3}$", pre, re.IGNORECASE)
                    is None
                    and s.index == plan.index_sentence
                ):
                    continue
                relapse, relapse_sentence = m, s.index
            elif m.label == "DEATH" and m.asserted and death is None:
                pre = reading.text[max(s.start, m.start - 40) : m.start]
                if re.search(
                    r"\b(?:risk|cause|causes|rate|rates|prevent\w*)\s+(?:of\s+)?$",
                    pre,
                    re.IGNORECASE,
                ):
                    continue
                if m.text.lower() == "fatal" and not re.search(
                    r"\b(?:was|proved|became)\s*$", pre, re.IGNORECASE
                ):
                    continue
                death = m
            elif m.label == "HSCT":
                if re.search(r"\bauto(?:logous)?\b", m.text, re.IGNORECASE):
                    continue
                if s.index < (plan.index_sentence or 0):
                    continue
                if (
                    s.index == plan.index_sentence
                    and plan.index_pos is not None
                    and m.start < plan.index_pos
                ):
                    continue
                hpre = reading.text[max(s.start, m.start - 80) : m.start]
                if re.search(
                    r"\b(?:relaps\w*|recurr\w*|progress\w*)\b[^.;]{0,60}\b(?:after|following|post)\s+(?:\w+[\s-]+){0,4}$",
                    hpre,
                    re.IGNORECASE,
                ):
                    continue  # "relapsed ... after a haploidentical transplant": a prior transplant
                if re.search(r"\bsalvage\s+(?:[\w-]+\s+){0,2}$", hpre, re.IGNORECASE):
                    # "a salvage haploidentical transplant": after failure, not a bridge (GUIDELINES)
                    salvage = salvage or m
                    continue
                if m.negated:
                    no_hsct = no_hsct or m
                elif (
                    m.asserted
                    and hsct is None
                    and not re.search(
                        r"\b(?:candidate|eligible|planned|plan|awaiting|search|option|consider\w*)\b",
                        reading.text[max(s.start, m.start - 50) : min(s.end, m.end + 30)],
                        re.IGNORECASE,
                    )
                ):
                    if (
                        relapse_sentence is not None
                        and relapse_sentence > last_index_sentence
                        and relapse_sentence <= s.index
                    ):
                        continue  # a salvage transplant after a relapse is not a bridge
                    hsct = m
        mm = _CONTINUING.search(s.text)
        if mm and continuing is None and s.index >= (plan.index_sentence or 0):
            pre = s.text[: mm.start()]
            if not re.search(r"\b(?:no|not|without)\s+(?:\w+\s+){0,2}$", pre, re.IGNORECASE):
                continuing = (s.start + mm.start(), s.start + mm.end(), s)
        am = _ALIVE.search(s.text)
        if am and s.index >= (plan.index_sentence or 0):
            alive = (s.start + am.start(), s.start + am.end(), s)
    if relapse is not None:
        out.append(
            Found(
                "relapse_after",
                True,
                (reading.mention_evidence(relapse, rule="relapse_after.stated"),),
                relapse.start,
            )
        )
    elif continuing is not None:
        a, b, s = continuing
        out.append(
            Found(
                "relapse_after",
                False,
                (
                    reading.evidence(
                        (a, b),
                        rule="relapse_after.continuing_remission",
                        match="inferred",
                        section=s.section,
                    ),
                ),
                a,
            )
        )
    if death is not None:
        out.append(
            Found(
                "alive_at_last_follow_up",
                False,
                (reading.mention_evidence(death, rule="alive.death"),),
                death.start,
            )
        )
    elif alive is not None:
        a, b, s = alive
        out.append(
            Found(
                "alive_at_last_follow_up",
                True,
                (
                    reading.evidence(
                        (a, b), rule="alive.stated", match="inferred", section=s.section
                    ),
                ),
                a,
            )
        )
    if hsct is not None:
        out.append(
            Found(
                "bridged_to_hsct",
                True,
                (
                    reading.mention_evidence(
                        hsct, rule="bridged_to_hsct.after_index", match="inferred"
                    ),
                ),
                hsct.start,
            )
        )
    elif no_hsct is not None:
        out.append(
            Found(
                "bridged_to_hsct",
                False,
                (reading.mention_evidence(no_hsct, rule="bridged_to_hsct.negated"),),
                no_hsct.start,
            )
        )
    elif salvage is not None:
        out.append(
            Found(
                "bridged_to_hsct",
                False,
                (reading.mention_evidence(salvage, rule="bridged_to_hsct.salvage"),),
                salvage.start,
            )
        )
    fu = _follow_up(reading, plan, after)
    if fu is not None:
        out.append(fu)
    return out


_DAY_AFTER = re.compile(
    r"\b(?:day|d)\s*\+?\s*(?P<n>\d{1,4})\b(?=[^.;]{0,25}\b(?:after|post|following)[- ](?:the\s+)?(?:first\s+)?(?:CAR|infusion|cell|T[- ]cell))"
    r"|\b(?:died|death|deceased)\b[^.;]{0,30}?\b(?:on\s+)?(?:day|d)\s*\+?\s*(?P<d>\d{1,4})\b",
    re.IGNORECASE,
)
_LAST_NEWS = re.compile(
    r"\balive\b|\bremission\b|\bfollow|\blast\b|\bdied\b|\bdeath\b|\bwell\b", re.IGNORECASE
)


def _follow_up_day(after: tuple[Sentence, ...]) -> tuple[float, int, int, Sentence] | None:
    """Follow-up from a day count: "at day +180 after the CAR T infusion he was alive", "died on day 12"."""
    best: tuple[float, int, int, Sentence] | None = None
    for s in after:
        if not _LAST_NEWS.search(s.text):
            continue
        for m in _DAY_AFTER.finditer(s.text):
            day = int(m.group("n") or m.group("d"))
            if not 0 < day <= 3650:
                continue
            months = day / DAYS_PER_MONTH
            if best is None or months > best[0]:
                best = (months, s.start + m.start(), s.start + m.end(), s)
    return best


def _follow_up(reading: Reading, plan: IndexPlan, after: tuple[Sentence, ...]) -> Found | None:
    """The longest stated time from the index therapy to the last news."""
    cars = [
        r
        for r in plan.rows
        if r.therapy_class in ("car_t", "bispecific", "antibody_drug_conjugate")
    ]
    best: tuple[float, int, int, Sentence] | None = None
    for s in after:
        if not _DURATION_HINT.search(s.text):
            continue
        for m in find_durations(s.text):
            months = duration_months(m.group("n"), m.group("u"))
            if months is None or months <= 0 or months > 360:
                continue
            if re.match(r"(?:s?[- ]old|\s+of age)", s.text[m.end() : m.end() + 6], re.IGNORECASE):
                continue
            pre = s.text[max(0, m.start() - 60) : m.start()]
            post = s.text[m.end() : m.end() + 70]
            anchored = bool(
                _FOLLOW_ANCHOR.match(post.lstrip())
                or re.match(
                    r"\s*(?:after|following|post)[- ](?:the\s+)?(?:first\s+)?(?:CAR|infusion|treatment|therapy|cell|T)",
                    post,
                    re.IGNORECASE,
                )
            )
            follow = bool(_FOLLOW_WORDS.search(pre[-45:]) or _FOLLOW_WORDS.search(post[:40]))
            if (
                re.search(
                    r"\b(?:persist\w*|proliferat\w*|detect\w*|expan\w*|B[- ]cell aplasia|duration of|lasted|for \d+ days|earlier|before|prior|ago)\b",
                    pre[-35:] + " " + post[:20],
                    re.IGNORECASE,
                )
                and not anchored
            ):
                continue
            status = bool(_STATUS_NOW.search(s.text))
            if re.search(
                r"\b(?:after (?:diagnosis|transplant\w*|HSCT|allo\w*|relapse))\b",
                post[:30],
                re.IGNORECASE,
            ):
                continue
            if re.match(r"\s*later\b", post) and not status:
                continue  # "relapsed 6 months later" is not the last news; "remains in CR 2 years later" is
            if status and (re.match(r"\s*later\b", post) or re.search(r"\bat\s*$", pre)):
                follow = True
            if not (anchored or follow):
                continue
            if (
                len(cars) > 1
                and not re.search(r"\bfirst\b", post[:40], re.IGNORECASE)
                and not follow
            ):
                continue
            if len(cars) > 1 and re.search(r"\bsurvival\b", pre + post, re.IGNORECASE):
                continue
            if best is None or months > best[0]:
                best = (months, s.start + m.start(), s.start + m.end(), s)
    by_day = _follow_up_day(after)
    if by_day is not None and (best is None or by_day[0] > best[0]):
        best = by_day
    if best is None:
        return None
    months, a, b, s = best
    return Found(
        "follow_up_months",
        round(months, 1),
        (reading.evidence((a, b), rule="follow_up", match="normalized", section=s.section),),
        a,
    )
