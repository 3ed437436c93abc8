"""The disease before the index therapy: diagnosis, Philadelphia status, kinase mutations, the
relapse treated (its number and extramedullary sites), refractoriness and a prior transplant.

Field meanings follow DESIGN.md ("CaseSummary") and the corpus annotation guidelines:
``relapse_count`` is the ordinal of the relapse the index therapy treats ("second relapse" -> 2,
"relapsed for the third time" -> 3), else 1 when a relapse before it is stated; the sites are
those of that relapse (the last one before the index therapy), summarised through the ``sites``
vocabulary (eye -> other, leukaemides -> skin).
"""

from __future__ import annotations

import re

from remission.evidence.numbers import NUMBER, ORDINAL, number, ordinal
from remission.evidence.reading import Found, Mention, Reading, Sentence, quick
from remission.evidence.segment import PatientScope
from remission.evidence.therapies import IndexPlan, overview_or_title, title_like
from remission.model.evidence import MatchKind
from remission.model.vocab import load_vocabulary

__all__ = ["find_disease", "series_diagnosis"]

_B_ALL = re.compile(
    r"\bB[- ]?ALL\b|\bB[- ]cell (?:precursor )?(?:acute lymphoblastic|ALL)\b|\bpre-?B\b|\bB[- ]?(?:cell )?precursor\b"
    r"|\bBCP[- ]?ALL\b|\bB[- ]lymphoblastic\b|\bB[- ]progenitor|\bfrom B[- ]progenitors\b|\bB[- ]linear\b"
    r"|\bB[- ]lineage (?:acute lymphoblastic|ALL)\b|\bcommon ALL\b|\bPh[+-]? ?ALL\b|\bPh(?:iladelphia)?[- ](?:chromosome[- ])?(?:positive|negative|like)\s+(?:B[- ]?)?(?:ALL|acute lymphoblastic)"
    r"|\bacute B[- ](?:cell |lymphocyte |lymphocytic |lymphoblastic )?leuk",
    re.IGNORECASE,
)
_T_ALL = re.compile(
    r"\bT[- ]?ALL\b|\bT[- ]cell (?:acute lymphoblastic|ALL)\b|\bT[- ]lymphoblastic\b", re.IGNORECASE
)
_OTHER_DX = re.compile(
    r"\bmixed[- ]phenotype (?:acute )?leuk\w*|\bMPAL\b|\bbiphenotypic (?:acute )?leuk\w*",
    re.IGNORECASE,
)
_ALL = re.compile(r"\bALL\b|\bacute lymphoblastic leuk", re.IGNORECASE)

_PH_POS = re.compile(
    r"\bPh(?:iladelphia)?(?:[- ]chromosome)?\s*(?:\+|[- ]?positive\b|[- ]pos\b)(?!\s*-?like)|\bPh\+"
    r"|\bBCR[:\- ]*ABL1?\s*(?:\+|[- ]?positive\b|fusion[- ]positive\b|rearranged\b)|\bt\(9;22\)|\bPh[+]?[- ]ALL\b(?<!-ALL)"
    # "harbouring a BCR-ABL1 fusion", "BCR::ABL1 fusion detected" (not "no BCR-ABL1 fusion")
    r"|(?<!no )(?<!without )(?<!without a )(?<!no evidence of )\b(?:a |the )?BCR[:\- ]*ABL1?[- ](?:fusion|rearrangement|transcript)(?:\s+genes?)?\b(?![^.;,]{0,25}\b(?:not|negative|neg|absent|undetectable)\b)",
    re.IGNORECASE,
)
_PH_POS = quick(_PH_POS, "pbta")
_PH_NEG = re.compile(
    r"\bPh(?:iladelphia)?(?:[- ]chromosome)?\s*(?:[- ]negative\b|-(?=\s)|−)|\bBCR[:\- ]*ABL1?\s*(?:[- ]?negative\b|-(?=\s))"
    r"|\bno (?:Ph|Philadelphia|BCR[:\- ]*ABL1?)\b"
    r"|\bBCR[:\- ]*ABL1?(?: fusion(?: gene)?| rearrangement| transcripts?)?\s*(?:was |were )?(?:negative|neg|not detected|absent)\b"
    r"|\bwithout (?:the )?(?:Philadelphia chromosome|BCR[:\- ]*ABL1?)\b",
    re.IGNORECASE,
)
#: A site named then found free of disease ("the cerebrospinal fluid was negative", "CSF
#: cytology showed no CNS disease", "the CSF was clear").
_SITE_CLEAR = re.compile(
    r"^[^.;]{0,40}?\b(?:was|were|is|remained)\s+(?:\w+\s+)?(?:negative|clear|normal|free|uninvolved|clean|unremarkable)\b"
    r"|^[^.;]{0,50}?\b(?:did not (?:find|show|reveal|detect|contain)|showed no|revealed no|found no|contained no|with no|without)\s+"
    r"(?:\w+\s+){0,2}(?:leuk\w*|blasts|disease|involvement|infiltration|abnormalit\w*|lymphoblasts)"
    r"|^[\s:,(-]*(?:\w+\s+){0,2}(?:negative|neg|not involved|CNS[- ]?1)\b",
    re.IGNORECASE,
)
_P190 = re.compile(r"\bp190\b|\be1a2\b|\bminor bcr\b|\bm-bcr\b", re.IGNORECASE)
_P210 = re.compile(r"\bp210\b|\be1[34]a2\b|\be13a2\b|\be14a2\b|\bmajor bcr\b|\bM-bcr\b")
_MUTATION = re.compile(r"\b(?P<mut>[A-Z]\d{3}[A-Z])\b(?:\s*(?:mutation|mutated|substitution))?")
_ABL_CONTEXT = re.compile(
    r"ABL|kinase|TKI|mutation|mutated|T315I|ponatinib|resistan", re.IGNORECASE
)

_RELAPSE_ORDINAL = re.compile(
    rf"\b(?P<o>{ORDINAL})\b[\s,-]+(?:(?:\w+|[\w-]+)[\s,]+){{0,4}}?(?:relapses?|recurrences?)\b"
    rf"|\b(?:relapsed|recurred|relapse)\s+(?:for\s+)?(?:the\s+)?(?P<o2>{ORDINAL})\s+time\b"
    rf"|\b(?:relapse|recurrence)\s*(?:#|no\.?|number)\s*(?P<n>\d)\b"
    rf"|\b(?:relapse|recurrence)\s*\(\s*(?P<o4>{ORDINAL})\s*\)"
    r"|\b(?P<w>twice|three times|four times)\b(?=[^.]{0,40}relaps)|(?<=relapsed )(?P<w2>twice|three times)\b"
    r"|\bin (?P<o3>first|second|third|fourth|fifth|1st|2nd|3rd|4th|5th) (?:relapse|recurrence)\b|\bCR(?P<cr>[1-4])\b"
    # "in R2", "(R3)": the relapse number written as clinicians abbreviate it
    r"|(?-i:(?<![\w/+-])R(?P<r>[1-9])\b(?![\d.+-]))"
    # "after two prior relapses": the relapse treated is the next one
    rf"|\b(?:after|following|despite) (?P<prior>{NUMBER}) (?:prior |previous |earlier |preceding )?(?:relapses|recurrences)\b"
    # "relapsed again", "another relapse": at least the second
    r"|\b(?P<again>relapsed (?:again|once more|a second time)|another (?:relapse|recurrence))\b",
    re.IGNORECASE,
)
_RELAPSE_HINT = re.compile(r"relaps|recurr|\bCR[1-4]\b|(?-i:\bR[1-9]\b)", re.IGNORECASE)
_RELAPSE_HINT = quick(_RELAPSE_HINT, "rcRC")
#: "multiply relapsed", "multiple relapses": more than one relapse, how many unsaid (no count).
_MANY_RELAPSES = re.compile(
    r"\bmultiply[- ]relapsed\b|\b(?:multiple|several|repeated|numerous) (?:relapses|recurrences)\b",
    re.IGNORECASE,
)
_TIMES = {"twice": 2, "three times": 3, "four times": 4}
_MOLECULAR_ONLY = re.compile(r"\b(?:molecular|MRD|minimal residual)\b", re.IGNORECASE)

_REFRACTORY_FALSE = re.compile(r"\bchemo-?sensitive\b|\bnot refractory\b", re.IGNORECASE)
_GENERIC_RR = re.compile(
    r"\br/r\b|\brelapsed(?: and|/| or) refractory\b|\brefractory(?: and|/| or) relapsed\b",
    re.IGNORECASE,
)
_PRIMARY_REFRACTORY = re.compile(
    r"\bprimary (?:refractory|induction failure|resistant)|\bnever (?:achieved|attained|reached) (?:a )?(?:complete )?remission|\bno remission after induction|\binduction failure",
    re.IGNORECASE,
)
_NO_RELAPSE_TEXT = re.compile(
    r"\bno (?:previous |prior )?relapse\b|\bnever relapsed\b|\b(?:had|has) (?:not|never) relapsed\b",
    re.IGNORECASE,
)

_CNS_FALSE = re.compile(
    r"\bCNS[- ]?1\b|\bCNS[- ]negative\b|\bno (?:evidence of )?(?:CNS|central nervous system|meningeal) (?:involvement|disease|infiltration|leuk\w*)"
    r"|\b(?:CNS|central nervous system|CSF|cerebrospinal fluid|lumbar puncture|liquor)\b[^.;]{0,30}\b"
    r"(?:negative|free|blast-free|clear|clean|normal|uninvolved|not involved|without blasts|showed no blasts"
    r"|did not (?:show|contain|reveal|find) (?:any )?(?:blasts|leuk\w* cells))\b",
    re.IGNORECASE,
)
_CNS_TRUE_STATUS = re.compile(r"\bCNS[- ]?[23]\b|\bCNS[- ]positive\b", re.IGNORECASE)
_INVOLVEMENT = re.compile(
    r"relaps|recurr|involv|infiltrat|lesion|mass|disease|leukemi|leukaemi|blasts|chloroma|sarcoma|deposits?|"
    r"enlarg|swelling|nodules?|presented|extramedullary|uptake|palsy|metasta",
    re.IGNORECASE,
)
_INVOLVEMENT = quick(_INVOLVEMENT, "rilmdbcsenpu")


def _first(
    reading: Reading,
    sentences: tuple[Sentence, ...],
    pattern: re.Pattern[str],
    field: str,
    value: object,
    rule: str,
    *,
    match: MatchKind = "exact",
) -> Found | None:
    for s in sentences:
        m = pattern.search(s.text)
        if m:
            ev = reading.evidence(
                (s.start + m.start(), s.start + m.end()),
                rule=rule,
                match=match,
                section=s.section,
            )
            return Found(field, value, (ev,), s.start + m.start())
    return None


def find_disease(reading: Reading, scope: PatientScope, plan: IndexPlan) -> list[Found]:
    out: list[Found] = []
    sentences = scope.all
    before = tuple(s for s in sentences if not plan.after_index(s))
    # --- diagnosis
    dx: Found | None = None
    for pattern, value, rule in (
        (_B_ALL, "B-ALL", "diagnosis.b_all"),
        (_T_ALL, "T-ALL", "diagnosis.t_all"),
        (_OTHER_DX, "other", "diagnosis.other"),
    ):
        dx = _first(
            reading, scope.sentences, pattern, "diagnosis", value, rule, match="synonym"
        ) or (
            _first(reading, scope.shared, pattern, "diagnosis", value, rule, match="synonym")
            if scope.shared
            else None
        )
        if dx is not None:
            break
    if dx is None:
        # acute lymphoblastic leukaemia treated with a CD19/CD22-directed therapy is B-lineage
        all_found = _first(
            reading,
            sentences,
            _ALL,
            "diagnosis",
            "B-ALL",
            "diagnosis.b_all_by_target",
            match="inferred",
        )
        if all_found is not None and any(
            r.target in ("CD19", "CD22", "CD19/CD22") for r in plan.rows
        ):
            dx = all_found
    if dx is not None:
        out.append(dx)
    # --- Philadelphia chromosome
    neg = _first(reading, before, _PH_NEG, "ph_positive", False, "ph.negative")
    pos = _first(reading, before, _PH_POS, "ph_positive", True, "ph.positive", match="synonym")
    transcript = None
    for pattern, value in ((_P190, "p190"), (_P210, "p210")):
        transcript = _first(
            reading,
            before,
            pattern,
            "bcr_abl_transcript",
            value,
            f"transcript.{value}",
            match="synonym",
        )
        if transcript is not None:
            break
    if pos is not None:
        out.append(pos)
    elif transcript is not None:
        out.append(
            Found(
                "ph_positive",
                True,
                tuple(e.model_copy(update={"match": "inferred"}) for e in transcript.evidence),
                transcript.position,
            )
        )
    elif neg is not None:
        out.append(neg)
    if transcript is not None:
        out.append(transcript)
    # --- ABL1 kinase-domain mutations known by the index therapy
    muts: dict[str, tuple[int, int, Sentence]] = {}
    for s in before:
        for m in _MUTATION.finditer(s.text):
            name = m.group("mut")
            if name in muts or not _ABL_CONTEXT.search(s.text):
                continue
            if (
                not re.match(r"[GYQEFHMLVTSAIKNPR]\d{3}[A-Z]$", name)
                or not 200 <= int(name[1:4]) <= 520
            ):
                continue  # ABL1 kinase domain residues only (not CD19 or other proteins)
            if re.search(
                r"\bno\b[^.]{0,25}$|\bwithout\b[^.]{0,20}$|negative for[^.]{0,20}$",
                s.text[: m.start()],
                re.IGNORECASE,
            ):
                continue
            muts[name] = (s.start + m.start(), s.start + m.end(), s)
    if muts:
        evs = tuple(
            reading.evidence((a, b), rule="abl_kinase_mutation", section=s.section)
            for a, b, s in muts.values()
        )
        out.append(
            Found("abl_kinase_mutations", list(muts), evs, min(a for a, _, _ in muts.values()))
        )
    out.extend(_relapse_and_sites(reading, scope, plan, before))
    out.extend(_refractory(reading, scope, plan, before))
    out.extend(_prior_hsct(reading, scope, plan, before))
    return out


def _relapse_and_sites(
    reading: Reading, scope: PatientScope, plan: IndexPlan, before: tuple[Sentence, ...]
) -> list[Found]:
    out: list[Found] = []
    best: tuple[int, int, int, Sentence] | None = None  # (count, start, end, sentence)
    for s in before:
        text = s.text
        if not _RELAPSE_HINT.search(text):
            continue
        for om in _RELAPSE_ORDINAL.finditer(text):
            g = om.groupdict()
            if g.get("cr"):
                n: int | None = (
                    int(g["cr"]) - 1
                )  # "in CR2" means after one relapse: not the relapse count
                continue
            raw = g.get("o") or g.get("o2") or g.get("o3") or g.get("o4")
            if raw:
                n = ordinal(raw)
            elif g.get("n"):
                n = int(g["n"])
            elif g.get("r"):
                n = int(g["r"])
            elif g.get("prior"):
                prior = number(g["prior"])
                n = int(prior) + 1 if prior is not None and prior == int(prior) else None
            elif g.get("again"):
                n = 2
            else:
                n = _TIMES.get((g.get("w") or g.get("w2") or "").lower())
            if n is None or not 1 <= n <= 10:
                continue
            after_words = text[om.end() : om.end() + 60]
            if re.match(
                r"\s*(?:after|following) (?:the )?(?:CAR|infusion|this|index)",
                after_words,
                re.IGNORECASE,
            ):
                continue
            if best is None or n > best[0] or (n == best[0] and False):
                best = (n, s.start + om.start(), s.start + om.end(), s)
    relapse_mentions = [
        (s, m)
        for s in before
        for m in s.find("RELAPSE")
        if m.asserted
        and not _GENERIC_RR.search(m.text)
        and not _GENERIC_RR.search(s.text[max(0, m.start - s.start - 12) : m.end - s.start + 14])
    ]
    if best is not None:
        n, a, b, s = best
        out.append(
            Found(
                "relapse_count",
                n,
                (
                    reading.evidence(
                        (a, b), rule="relapse_count.ordinal", match="normalized", section=s.section
                    ),
                ),
                a,
            )
        )
    elif relapse_mentions and not any(_MANY_RELAPSES.search(s.text) for s in before):
        s, m = relapse_mentions[0]
        out.append(
            Found(
                "relapse_count",
                1,
                (reading.mention_evidence(m, rule="relapse_count.stated", match="inferred"),),
                m.start,
            )
        )
    else:
        for s in before:
            mm = _NO_RELAPSE_TEXT.search(s.text)
            if mm:
                out.append(
                    Found(
                        "relapse_count",
                        0,
                        (
                            reading.evidence(
                                (s.start + mm.start(), s.start + mm.end()),
                                rule="relapse_count.none",
                                section=s.section,
                            ),
                        ),
                        s.start,
                    )
                )
                break
    # --- sites of the relapse treated: from the last relapse sentence before the index therapy on
    last_relapse: int | None = None
    for s in before:
        if s.find("RELAPSE") and any(m.asserted for m in s.find("RELAPSE")):
            last_relapse = s.index
    if best is not None and (last_relapse is None or best[3].index > last_relapse):
        last_relapse = best[3].index
    window = [
        s
        for s in scope.all
        if (last_relapse is not None and s.index >= last_relapse and not plan.after_index(s))
    ]
    # the title speaks of the case as a whole (a "CNS relapse" in it is the relapse treated)
    titles = [s for s in scope.all[:3] if title_like(s) and s not in window]
    window[:0] = titles
    sites = load_vocabulary("sites")
    found_sites: dict[str, list[Mention]] = {}
    negated_cns: Mention | None = None
    for s in window:
        if not _INVOLVEMENT.search(s.text):
            continue
        if (
            re.search(
                r"\b(?:complete remission|CR|resolution|resolved|cleared|disappear\w*|no longer)\b",
                s.text,
            )
            and s.index != last_relapse
            and plan.after_index(s)
        ):
            continue
        for m in s.find("SITE"):
            term = sites.get(m.meta["id"])
            summary = term.attributes.get("summary")
            if summary is None:
                continue
            if m.negated:
                if summary == "cns":
                    negated_cns = m
                continue
            if not m.asserted:
                continue
            after_site = reading.text[m.end : min(s.end, m.end + 80)]
            if _SITE_CLEAR.search(after_site) or re.search(
                r"\bat (?:initial )?diagnosis\b",
                reading.text[max(s.start, m.start - 40) : m.start],
                re.IGNORECASE,
            ):
                if summary == "cns" and _SITE_CLEAR.search(after_site):
                    negated_cns = negated_cns or m
                continue
            found_sites.setdefault(str(summary), []).append(m)
    order = ["cns", "testis", "skin", "lymph_node", "soft_tissue", "bone", "other"]
    if found_sites:
        names = [k for k in order if k in found_sites]
        evs = tuple(
            reading.mention_evidence(found_sites[k][0], rule=f"site.{k}", match="synonym")
            for k in names
        )
        out.append(
            Found(
                "extramedullary_sites",
                names,
                evs,
                min(m.start for v in found_sites.values() for m in v),
            )
        )
    if "cns" in found_sites:
        m = found_sites["cns"][0]
        out.append(
            Found(
                "cns_involvement",
                True,
                (reading.mention_evidence(m, rule="cns.involved", match="synonym"),),
                m.start,
            )
        )
    else:
        cns_false = None
        treated = (
            [s for s in window if s not in titles] if last_relapse is not None else list(before)
        )
        for s in treated:
            mm = _CNS_FALSE.search(s.text)
            if mm:
                cns_false = Found(
                    "cns_involvement",
                    False,
                    (
                        reading.evidence(
                            (s.start + mm.start(), s.start + mm.end()),
                            rule="cns.negative",
                            section=s.section,
                        ),
                    ),
                    s.start + mm.start(),
                )
                break
        if cns_false is None and negated_cns is not None:
            cns_false = Found(
                "cns_involvement",
                False,
                (reading.mention_evidence(negated_cns, rule="cns.negated"),),
                negated_cns.start,
            )
        if cns_false is None:
            for s in window:
                mm = _CNS_TRUE_STATUS.search(s.text)
                if mm:
                    out.append(
                        Found(
                            "cns_involvement",
                            True,
                            (
                                reading.evidence(
                                    (s.start + mm.start(), s.start + mm.end()),
                                    rule="cns.status",
                                    section=s.section,
                                ),
                            ),
                            s.start,
                        )
                    )
                    break
        elif cns_false is not None:
            out.append(cns_false)
    return out


def _refractory(
    reading: Reading, scope: PatientScope, plan: IndexPlan, before: tuple[Sentence, ...]
) -> list[Found]:
    for s in before:
        mm = _PRIMARY_REFRACTORY.search(s.text)
        if mm:
            return [
                Found(
                    "refractory",
                    True,
                    (
                        reading.evidence(
                            (s.start + mm.start(), s.start + mm.end()),
                            rule="refractory.primary",
                            section=s.section,
                        ),
                    ),
                    s.start + mm.start(),
                )
            ]
    for s in before:
        for m in s.find("REFRACTORY"):
            if not m.asserted:
                continue
            local = s.text[max(0, m.start - s.start - 15) : m.end - s.start + 15]
            if _GENERIC_RR.search(local) and not s.anchored:
                continue
            if re.search(r"\bresistan", m.text, re.IGNORECASE) and re.search(
                r"antibiotic|drug[- ]resistant|bacter|fung|insulin|steroid", s.text, re.IGNORECASE
            ):
                continue
            return [
                Found(
                    "refractory",
                    True,
                    (reading.mention_evidence(m, rule="refractory.stated"),),
                    m.start,
                )
            ]
        # a prior therapy that failed is refractoriness ("two cycles of X produced no response")
        for m in plan.prior_mentions:
            if m.sentence == s.index and re.search(
                r"\b(?:no response|no clinical effect|failed|failure|ineffective|without response|did not respond|refractory|resistant)\b",
                s.text,
                re.IGNORECASE,
            ):
                return [
                    Found(
                        "refractory",
                        True,
                        (
                            reading.mention_evidence(
                                m, rule="refractory.prior_failure", match="inferred"
                            ),
                        ),
                        m.start,
                    )
                ]
    for s in before:
        mm = _REFRACTORY_FALSE.search(s.text)
        if mm:
            return [
                Found(
                    "refractory",
                    False,
                    (
                        reading.evidence(
                            (s.start + mm.start(), s.start + mm.end()),
                            rule="refractory.negative",
                            section=s.section,
                        ),
                    ),
                    s.start,
                )
            ]
    return []


def _prior_hsct(
    reading: Reading, scope: PatientScope, plan: IndexPlan, before: tuple[Sentence, ...]
) -> list[Found]:
    negated: Mention | None = None
    for s in before:
        if overview_or_title(s):
            continue  # "... rescued by CAR T cells followed by transplantation" sums up, in any order
        for m in s.find("HSCT"):
            if re.search(
                r"\bauto(?:logous)?\b",
                m.text + reading.text[max(0, m.start - 20) : m.start],
                re.IGNORECASE,
            ):
                continue
            pre = reading.text[max(s.start, m.start - 60) : m.start]
            if (
                re.search(
                    r"\b(?:bridg\w*|before|prior to|candidate for|eligible for|consolidat\w*|proceed\w* to|planned|plan)\b[^.;]{0,30}$",
                    pre,
                    re.IGNORECASE,
                )
                and not m.negated
            ):
                continue
            if (
                s.index == plan.index_sentence
                and plan.index_pos is not None
                and m.start > plan.index_pos
            ):
                continue
            if m.negated:
                if re.search(
                    r"na[iï]ve|had not (?:undergone|received|had)|never|no (?:prior|previous)|not previously|without (?:prior|previous)",
                    reading.text[max(0, m.start - 40) : m.end + 12],
                    re.IGNORECASE,
                ):
                    negated = negated or m
                continue
            if not m.asserted:
                continue
            return [
                Found(
                    "prior_hsct",
                    True,
                    (reading.mention_evidence(m, rule="prior_hsct.stated", match="synonym"),),
                    m.start,
                )
            ]
    if negated is not None:
        return [
            Found(
                "prior_hsct",
                False,
                (reading.mention_evidence(negated, rule="prior_hsct.negated"),),
                negated.start,
            )
        ]
    return []


def series_diagnosis(reading: Reading, sentences: tuple[Sentence, ...]) -> list[Found]:
    """The diagnosis a series states anywhere, for patients whose own text does not repeat it
    (the patients of one series share their disease unless the text says otherwise)."""
    kinds = []
    for pattern, value in ((_B_ALL, "B-ALL"), (_T_ALL, "T-ALL")):
        hit = _first(
            reading,
            sentences,
            pattern,
            "diagnosis",
            value,
            f"diagnosis.series_{value}",
            match="inferred",
        )
        if hit is not None:
            kinds.append(hit)
    return kinds if len(kinds) == 1 else []
