"""Index therapies versus prior therapy, and what each index therapy was (DESIGN.md, "CaseSummary").

The index therapies are the ones the report is about and whose outcome it reports. Read here as:

- the *primary class* is CAR-T when the text gives a CAR-T that is not history, else a bispecific
  (blinatumomab), else an antibody-drug conjugate (inotuzumab), else a TKI;
- a therapy is *prior* when the words make it history: "after X" following a relapse or failure,
  "X failure", "refractory to X", "X produced no response", "previous X", a ConText history cue;
- CAR-T products are told apart by product, cell source and target ("autologous CD19 CAR-T"
  then "donor-derived CD19 CAR-T cells" are two rows); a named product implies its fixed facts
  (tisagenlecleucel: CD19, autologous, 4-1BB) from the ``car_t_products`` vocabulary, an agent its
  class and target from ``agents``; "CD28 or 4-1BB" assigns neither;
- a TKI given with an index therapy or after it (not after a later relapse) is an index row too.

The *index position* (where in the text the first index therapy is given) separates what came
before (prior HSCT, the relapse treated, refractoriness) from what came after (response,
toxicity, bridge to transplant, follow-up).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from remission.evidence.numbers import NUMBER, NUMBER_FIRST, ORDINAL, number, ordinal
from remission.evidence.reading import Found, Mention, Reading, Sentence, quick
from remission.evidence.segment import PatientScope
from remission.model.evidence import Evidence, MatchKind
from remission.model.vocab import load_vocabulary

__all__ = ["IndexPlan", "TherapyRow", "overview_or_title", "plan_index", "title_like"]

_TARGET_DUAL = re.compile(
    r"CD19\s*(?:/|-|\+|and|&)\s*CD22|CD22\s*(?:/|-|\+|and|&)\s*CD19|\btandem\b|\bbispecific CAR|\bdual[- ]target",
    re.IGNORECASE,
)
_TARGET_22 = re.compile(
    r"\bCD-?22(?![- ]?(?:neg|dim|low|loss|positive|\+|expression))", re.IGNORECASE
)
_TARGET_19 = re.compile(
    r"\b(?:anti-?)?CD-?19(?![- ]?(?:neg|dim|low|loss|positive|\+|expression))", re.IGNORECASE
)
_DONOR = re.compile(
    r"\bdonor[- ]?(?:derived|source|origin)\b|\ballogeneic\b|\ballo-?(?=CAR)|\buniversal\b|\bthird[- ]party\b"
    r"|\b(?:HSCT|transplant|haploidentical|sibling|unrelated|original|previous)[- ]donor[- ]derived\b",
    re.IGNORECASE,
)
#: A donor named right after the CAR-T ("CAR-T cells derived from her brother").
_DONOR_FROM = re.compile(
    r"^[^.;]{0,40}?\b(?:derived|manufactured|generated|produced|collected|made|prepared)?\s*from (?:his|her|the|a|an|its) "
    r"(?:\w+[- ]){0,2}(?:brother|sister|donor|father|mother|sibling|son|daughter)\b"
    r"|^[^.;]{0,30}?\bof donor origin\b",
    re.IGNORECASE,
)
_AUTO = re.compile(r"\bautologous\b|\bauto-(?=CAR)", re.IGNORECASE)
_EITHER = re.compile(
    r"CD28\s*(?:or|and/or|/)\s*4-?1BB|4-?1BB\s*(?:or|and/or|/)\s*CD28", re.IGNORECASE
)
_41BB = re.compile(r"4-?1BB|CD137|41BB", re.IGNORECASE)
_CD28 = re.compile(r"\bCD28\b", re.IGNORECASE)

#: Words before a therapy that make it history ("relapse 7 months after tisagenlecleucel").
_PRIOR_TAIL = r"\s+(?:(?:the|a|an|first|initial|prior|previous|\w+)[\s-]+){0,4}$"
#: Words before a therapy that make it history for sure ("refractory to", "previous", "had ... with").
_PRIOR_BEFORE = re.compile(
    r"(?:\b(?:refractory|resistant|no response|unresponsive|failure|failing) (?:to|of)"
    r"|\bfailed|\bprevious(?:ly)?|\bprior|\bhistory of|\bearlier|\bformer|\bpre-?treated with|\bexposed to"
    r"|\bafter (?:the )?(?:failure|loss of response) of|\bhad (?:\w+ ){0,6}(?:with|received|undergone|after)"
    r"|\bafter earlier|\bdespite"
    r"|\b(?:earlier|previous|prior|former|first-line|initial)\b[^.;]{0,25}(?:consolidation|induction|therapy|line)? ?(?:with)?)"
    + _PRIOR_TAIL,
    re.IGNORECASE,
)
#: Words before a therapy that place it before a relapse ("relapse 7 months after X"): history
#: unless every mention of the therapy says so (a relapse after the index therapy reads the same).
_PRIOR_RELATION = re.compile(
    r"(?:(?:relaps\w*|recurren\w*|recurred|refractory|progress\w*|resistan\w*|escape|failure|failed|"
    r"persist\w*|no response|emerged)\b[^.;]{0,90}\b(?:after|following|post|on)"
    r"|\b(?:escape|relapse|relapsed|recurrence|progression) (?:\w+ ){0,2}(?:after|following|post))"
    + _PRIOR_TAIL,
    re.IGNORECASE,
)
#: Words after a therapy that make it history ("blinatumomab failure", "... produced no response").
_PRIOR_AFTER = re.compile(
    r"^[\s\w/,()-]{0,60}?\b(?:failure|failed|was ineffective|were ineffective|produced no|"
    r"did not (?:induce|achieve|result|produce|lead)|without (?:any )?(?:response|effect|remission)|"
    r"no (?:clinical )?(?:response|effect|remission)|(?:was|were) unsuccessful|with no response|"
    r"(?:was|were) (?:refractory|resistant))\b",
    re.IGNORECASE,
)
#: A sentence that gives a therapy (as opposed to naming it).
_GIVING = re.compile(
    r"\b(?:received|receive|receiving|was given|were given|given|treated|underwent|undergo|infus\w*|"
    r"administ\w*|performed|started|initiated|commenced|proceeded|was offered|we (?:used|gave|chose))\b",
    re.IGNORECASE,
)
_GIVING_UNNAMED = re.compile(
    r"\b(?:was|were) (?:then )?(?:treated|infused|given|consolidated) with (?:the )?(?:same|tandem|study|investigational|academic) (?:product|construct|cells)"
    r"|\b(?:received|given|infused)\b[^.;]{0,30}\b(?:cells|CAR[- ]?T)\s*/\s*kg\b|\bthe (?:same|tandem|study) product\b",
    re.IGNORECASE,
)
_OVERVIEW = re.compile(
    r"\bwe (?:report|describe|present)\b|\bthis (?:case|report)\b|\bhere,?\b|\bto (?:present|describe|report)\b|\baim\b",
    re.IGNORECASE,
)
_OVERVIEW = quick(_OVERVIEW, "wthea")
_COURSES = re.compile(
    rf"\b(?P<n>{NUMBER})\s+(?:cycles?|courses?|blocks?|doses?|infusions?)\s+of\s+(?:\w+[\s-]+){{0,2}}$",
    re.IGNORECASE,
)
_COURSES = quick(_COURSES, NUMBER_FIRST)
_COURSES_AFTER = re.compile(
    rf"^[^.;]{{0,50}}?\b(?:received|receiving|given|completed|administered|in|over|for)\s+(?:a total of\s+)?(?P<d>{NUMBER})\s+(?:cycles?|courses?|blocks?)\b"
    rf"|^[^.;()]{{0,40}}?,\s*(?P<e>{NUMBER})\s+(?:cycles?|courses?)\s*\)"
    rf"|^\s*(?:\(\s*(?P<a>{NUMBER})\s+(?:cycles?|courses?)\s*\)|(?:x|×)\s*(?P<b>\d)\b|for\s+(?P<c>{NUMBER})\s+(?:cycles?|courses?))",
    re.IGNORECASE,
)
_REINFUSION = re.compile(
    r"\bre-?infus\w*|\bsecond (?:CAR[- ]?T )?(?:infusion|dose)\b|\b(?:two|2) (?:CAR[- ]?T )?infusions\b|\binfused twice\b"
    r"|\bsecond infusion of (?:the )?same\b",
    re.IGNORECASE,
)
#: Words after a CAR-T that make it an earlier line ("... achieved remission but relapsed eight
#: months later", before another CAR-T): weak, used only when another candidate remains.
_PRIOR_THEN_RELAPSE = re.compile(
    r"^[^.]{0,90}?\b(?:but|and|then|before)\s+(?:\w+\s+){0,3}(?:relapsed|recurred|progressed)\b"
    r"|^[^.]{0,60}?\brelapsed (?:\w+ ){0,3}(?:later|afterwards)\b"
    r"|^[^.]{0,60}?\bremission,? (?:which |that )?(?:lasted|of) (?:\w+ ){0,2}(?:months?|years?|weeks?|days?)\b",
    re.IGNORECASE,
)
_CO_GIVEN = re.compile(
    r"\b(?:plus|with|combined|combination|together|alongside|concurrent\w*|and|added|restart\w*|continu\w*"
    r"|resum\w*|maintenance)\b",
    re.IGNORECASE,
)

_CLASS_RANK = ("car_t", "bispecific", "antibody_drug_conjugate", "tki")
_INDEX_CLASSES = frozenset({"car_t", "bispecific", "antibody_drug_conjugate", "tki"})


@dataclass
class TherapyRow:
    therapy_class: str
    agent: str | None = None
    target: str | None = None
    cell_source: str | None = None
    costimulatory: tuple[str, ...] = ()
    either: bool = False
    courses: int | None = None
    mentions: list[Mention] = field(default_factory=list)
    votes: list[int] = field(default_factory=list)
    weak_prior: bool = False
    first_line: bool = False
    """Named as the first of several ("first CAR-T infusion")."""
    inferred: set[str] = field(default_factory=set)

    @property
    def prior(self) -> bool:
        """History: one mention says so for sure, or every mention places it before a relapse."""
        return bool(self.votes) and (max(self.votes) == 2 or min(self.votes) >= 1)

    @prior.setter
    def prior(self, value: bool) -> None:
        self.votes = [2] if value else [0]

    @property
    def first(self) -> int:
        return min(m.start for m in self.mentions)

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"class": self.therapy_class}
        if self.agent:
            out["agent"] = self.agent
        if self.target:
            out["target"] = self.target
        if self.cell_source:
            out["cell_source"] = self.cell_source
        if self.costimulatory and not self.either:
            out["costimulatory"] = list(self.costimulatory)
        if self.courses:
            out["courses"] = self.courses
        return out


@dataclass
class IndexPlan:
    """The index therapies of one patient and where in the text they begin."""

    rows: list[TherapyRow]
    index_pos: int | None
    index_sentence: int | None
    prior_mentions: list[Mention]
    found: list[Found]

    def before_index(self, s: Sentence) -> bool:
        return self.index_sentence is not None and s.index < self.index_sentence

    def after_index(self, s: Sentence) -> bool:
        return self.index_sentence is not None and s.index > self.index_sentence


def _window(s: Sentence, m: Mention, reading: Reading) -> tuple[str, str]:
    """Words before and after a mention, up to the neighbouring therapy mentions."""
    text = reading.text
    left = max(s.start, m.start - 90)
    right = min(s.end, m.end + 70)
    for other in s.mentions:
        if other is m or other.label not in ("CAR_T", "CAR_PRODUCT", "AGENT", "HSCT"):
            continue
        if other.end <= m.start:
            left = max(left, other.end)
        elif other.start >= m.end:
            right = min(right, other.start)
    return text[left : m.start], text[m.end : right]


def _nearest(pattern: re.Pattern[str], before: str, after: str) -> bool:
    return bool(pattern.search(before) or pattern.search(after))


def _car_attributes(row: TherapyRow, before: str, after: str, text: str) -> None:
    """Target, cell source and costimulatory domain from the words next to a CAR-T mention,
    the words before it first ("autologous CD22 CAR T cells ... after CD19-directed therapy")."""
    left = before[-60:] + " " + text
    right = after[:60]
    # the nearest side that says something decides (left wins over right)
    for side in (left, right):
        if _TARGET_DUAL.search(side):
            row.target = row.target or "CD19/CD22"
            break
        has22, has19 = bool(_TARGET_22.search(side)), bool(_TARGET_19.search(side))
        if has22 != has19:
            row.target = row.target or ("CD22" if has22 else "CD19")
            break
        if has22 and has19:
            last22 = max(m.end() for m in _TARGET_22.finditer(side))
            last19 = max(m.end() for m in _TARGET_19.finditer(side))
            row.target = row.target or ("CD22" if (last22 > last19) == (side is left) else "CD19")
            break
    for side in (before[-45:] + " " + text, right):
        if _DONOR.search(side) or (side is right and _DONOR_FROM.search(side)):
            row.cell_source = row.cell_source or "donor_derived"
            break
        if _AUTO.search(side):
            row.cell_source = row.cell_source or "autologous"
            break
    near = left + " " + right
    if _EITHER.search(near):
        row.either = True
    else:
        co = []
        if _CD28.search(near):
            co.append("CD28")
        if _41BB.search(near):
            co.append("4-1BB")
        if co and not row.costimulatory:
            row.costimulatory = tuple(co)


def _prior_strength(before: str, after: str, m: Mention) -> int:
    """2: the words make the therapy history; 1: a relapse came after it; 0: neither."""
    if m.modifier == "historical" or _PRIOR_BEFORE.search(before) or _PRIOR_AFTER.search(after):
        return 2
    return 1 if _PRIOR_RELATION.search(before) else 0


def _is_prior(before: str, after: str, m: Mention) -> bool:
    return _prior_strength(before, after, m) > 0


def _compatible(a: TherapyRow, b: TherapyRow) -> bool:
    for attr in ("agent", "target", "cell_source"):
        x, y = getattr(a, attr), getattr(b, attr)
        if x and y and x != y:
            return False
    return not (a.costimulatory and b.costimulatory and a.costimulatory != b.costimulatory)


def _merge(into: TherapyRow, row: TherapyRow) -> None:
    into.mentions.extend(row.mentions)
    for attr in ("agent", "target", "cell_source", "courses"):
        if getattr(into, attr) is None and getattr(row, attr) is not None:
            setattr(into, attr, getattr(row, attr))
    if not into.costimulatory:
        into.costimulatory = row.costimulatory
    into.either = into.either or row.either
    into.votes = into.votes + row.votes
    into.weak_prior = into.weak_prior or row.weak_prior


def _specific(row: TherapyRow) -> bool:
    """A CAR-T description that tells one product from another (a name or a cell source)."""
    return bool(row.agent or row.cell_source)


def _rows_for(sentences: tuple[Sentence, ...], reading: Reading) -> list[TherapyRow]:
    """One row per distinct therapy mentioned (before deciding which are index)."""
    agents = load_vocabulary("agents")
    products = load_vocabulary("car_t_products")
    rows: list[TherapyRow] = []
    for s in sentences:
        for m in s.mentions:
            if m.label not in ("CAR_T", "CAR_PRODUCT", "AGENT") or not m.asserted:
                continue
            before, after = _window(s, m, reading)
            if m.label == "AGENT":
                term = agents.get(m.meta["id"])
                cls = str(term.attributes.get("class", "other"))
                if cls not in _INDEX_CLASSES:
                    continue
                row = TherapyRow(cls, agent=term.id, mentions=[m])
                if term.attributes.get("target") in ("CD19", "CD22"):
                    row.target = str(term.attributes["target"])
                    row.inferred.add("target")
            else:
                row = TherapyRow("car_t", mentions=[m])
                if m.label == "CAR_PRODUCT":
                    term = products.get(m.meta["id"])
                    row.agent = term.id
                    fixed = term.attributes
                    if fixed.get("target"):
                        row.target = str(fixed["target"])
                    if fixed.get("cell_source"):
                        row.cell_source = str(fixed["cell_source"])
                    if fixed.get("costimulatory"):
                        row.costimulatory = tuple(fixed["costimulatory"])
                    row.inferred |= {"target", "cell_source", "costimulatory"}
                _car_attributes(row, before, after, m.text)
            strength = _prior_strength(before, after, m)
            if strength == 1 and title_like(s):
                strength = 2  # a title placing a therapy before the relapse ("... relapse after X") means history
            row.votes = [strength]
            row.first_line = bool(
                re.search(r"\b(?:first|initial)\s+(?:\w+[\s-]+){0,2}$", before[-30:], re.IGNORECASE)
            )
            if not row.prior and row.therapy_class == "car_t" and _PRIOR_THEN_RELAPSE.search(after):
                row.weak_prior = True
            cm = _COURSES.search(before) or None
            ca = _COURSES_AFTER.search(after)
            n = None
            if cm:
                n = number(cm.group("n"))
            elif ca:
                n = number(
                    ca.group("a")
                    or ca.group("b")
                    or ca.group("c")
                    or ca.group("d")
                    or ca.group("e")
                )
            if n is not None and 1 <= n <= 20 and n == int(n):
                row.courses = int(n)
            # merge with a compatible row of the same therapy
            target_row = None
            generic = row.therapy_class == "car_t" and not (
                row.agent or row.cell_source or row.target
            )
            for r in [] if generic else rows:
                if r.therapy_class != row.therapy_class or not _compatible(r, row):
                    continue
                if (
                    row.therapy_class != "car_t"
                    or not _specific(row)
                    or not _specific(r)
                    or _agrees(r, row)
                ):
                    target_row = r
                    break
            if target_row is None:
                rows.append(row)
            else:
                _merge(target_row, row)
    return rows


def _agrees(a: TherapyRow, b: TherapyRow) -> bool:
    """Two specific CAR-T descriptions that share a distinguishing attribute."""
    return any(
        getattr(a, attr) and getattr(a, attr) == getattr(b, attr)
        for attr in ("agent", "cell_source")
    ) or (a.target == b.target and not (a.cell_source or b.cell_source or a.agent or b.agent))


def _collapse_generic(rows: list[TherapyRow]) -> list[TherapyRow]:
    """A CAR-T row with nothing specific merges into the one specific row, when there is one."""
    cars = [r for r in rows if r.therapy_class == "car_t"]
    specific = [r for r in cars if _specific(r) and not r.prior]
    generic = [r for r in cars if not _specific(r)]
    out = [r for r in rows if r not in generic]
    merged: list[TherapyRow] = []
    earlier = [r for r in cars if _specific(r) and r.prior]
    for g in generic:
        if g.first_line and earlier:
            # "first CAR-T infusion" when an earlier line of CAR-T is history: that one
            _merge(earlier[0], g)
            earlier[0].votes = [2]
            continue
        fits = [r for r in specific if _compatible(r, g)]
        if len(fits) == 1 or (fits and not g.target):
            votes = fits[0].votes
            _merge(fits[0], g)
            fits[0].votes = votes
        elif not specific or (g.target and not fits):
            same = next((r for r in merged if _compatible(r, g) and not r.prior), None)
            if same is not None and not g.prior:
                _merge(same, g)
                same.votes = [v for v in same.votes if v == 0] or same.votes
            else:
                merged.append(g)
                out.append(g)
    out.sort(key=lambda r: r.first)
    return out


def plan_index(reading: Reading, scope: PatientScope) -> IndexPlan:
    """Find the index therapies of one patient, with evidence."""
    sentences_all = {s.index: s for s in scope.all}
    own = _rows_for(scope.sentences, reading)
    # a report about a CAR-T that failed ("Primary resistance to CD19 CAR T-cell therapy ...",
    # named in the title) keeps it as the index therapy: its failure is the outcome reported
    cars_all = [r for r in own if r.therapy_class == "car_t" and (_specific(r) or r.target)]
    if cars_all and all(r.prior for r in cars_all):
        titled = [
            r
            for r in cars_all
            if any(
                title_like(sentences_all[m.sentence])
                for m in r.mentions
                if m.sentence in sentences_all
            )
        ]
        for r in titled[:1]:
            r.votes = [0]
    shared = _rows_for(scope.shared, reading) if scope.shared else []
    rows = _collapse_generic(own)
    if shared:
        shared = _collapse_generic(shared)
        own_index = [r for r in rows if not r.prior and r.therapy_class == "car_t" and _specific(r)]
        for srow in shared:
            if srow.prior:
                continue
            match = next(
                (
                    r
                    for r in rows
                    if r.therapy_class == srow.therapy_class
                    and not r.prior
                    and _compatible(r, srow)
                    and not (own_index and r not in own_index and _specific(r))
                ),
                None,
            )
            if match is not None:
                votes = match.votes
                _merge(match, srow)
                match.votes = votes
            elif not any(r.therapy_class == srow.therapy_class and not r.prior for r in rows):
                rows.append(srow)
    # a CAR-T that was followed by a relapse is an earlier line when another CAR-T follows it
    cars = [r for r in rows if r.therapy_class == "car_t" and not r.prior]
    if len(cars) > 1:
        for r in cars:
            if r.weak_prior and any(o is not r and not o.weak_prior for o in cars):
                r.prior = True
    primary = _title_class(rows, sentences_all) or next(
        (c for c in _CLASS_RANK if any(r.therapy_class == c and not r.prior for r in rows)), None
    )
    index_rows = [r for r in rows if r.therapy_class == primary and not r.prior] if primary else []
    sentences = {s.index: s for s in scope.all}
    own_sentences = {s.index: s for s in scope.sentences}
    index_pos, index_sentence = _index_position(index_rows, own_sentences)
    if index_sentence is None and index_rows and scope.shared:
        # a series patient whose own text never names the product: the index therapy starts
        # where the patient's text first gives treatment or its effects
        for s in scope.sentences[1:]:
            if _GIVING.search(s.text) or any(
                m.label in ("CRS", "ICANS", "RESPONSE") for m in s.mentions
            ):
                index_pos, index_sentence = s.start, s.index
                break
    if index_sentence is None:
        index_pos, index_sentence = _index_position(index_rows, sentences)
    if index_rows and index_sentence is not None:
        # "was treated with the same product", "received 1 x 10^6 cells/kg": the index therapy
        # given without its name, earlier than its first named mention
        for s in scope.sentences:
            if s.index >= index_sentence:
                break
            if _GIVING_UNNAMED.search(s.text) and not overview_or_title(s):
                index_pos, index_sentence = s.start, s.index
                break
    if primary in ("car_t", "bispecific", "antibody_drug_conjugate") and index_sentence is not None:
        _add_companions(rows, index_rows, primary, index_sentence, sentences, reading)
    index_rows.sort(key=lambda r: _row_order(r, sentences, index_sentence))
    if primary == "car_t" and not any(r.therapy_class == "car_t" and r.prior for r in rows):
        # a "second infusion" after a CAR-T line that is history is the index line itself
        _reinfusions(index_rows, scope, reading)
    if primary in ("bispecific", "antibody_drug_conjugate") and index_sentence is not None:
        _cycles_by_ordinal(index_rows, primary, scope, index_sentence)
    prior_mentions = [m for r in rows if r not in index_rows for m in r.mentions]
    found: list[Found] = []
    for i, row in enumerate(index_rows):
        evidence: list[Evidence] = []
        for m in sorted(row.mentions, key=lambda m: m.start)[:4]:
            kind: MatchKind = "synonym" if m.label in ("CAR_PRODUCT", "AGENT") else "exact"
            if row.inferred:
                kind = "inferred"
            evidence.append(
                reading.mention_evidence(m, rule=f"index_therapy.{row.therapy_class}", match=kind)
            )
        found.append(Found(f"index_therapies[{i}]", row.as_dict(), tuple(evidence), row.first))
    return IndexPlan(index_rows, index_pos, index_sentence, prior_mentions, found)


def _row_order(
    row: TherapyRow, sentences: dict[int, Sentence], index_sentence: int | None
) -> tuple[int, int]:
    """Rows in the order they are given: ordinal words first ("first", "second"), else where
    they are first named from the index sentence on ("ponatinib ... with blinatumomab")."""
    rank = 0
    for m in row.mentions:
        s = sentences.get(m.sentence)
        if s is None:
            continue
        near = s.text[max(0, m.start - s.start - 40) : m.start - s.start]
        if re.search(
            r"\b(?:second(?:ary)?|2nd|another|subsequent(?:ly)?|then)\b", near, re.IGNORECASE
        ):
            rank = max(rank, 1)
    start = index_sentence if index_sentence is not None else 0
    late = [m.start for m in row.mentions if m.sentence >= start]
    return rank, min(late) if late else row.first


def _index_position(
    rows: list[TherapyRow], sentences: dict[int, Sentence]
) -> tuple[int | None, int | None]:
    """Where the first index therapy is given: its first mention in a sentence that gives it."""
    best: tuple[int, int] | None = None
    fallback: tuple[int, int] | None = None
    for row in rows:
        for m in row.mentions:
            s = sentences.get(m.sentence)
            if s is None:
                continue
            if (fallback is None or m.start < fallback[0]) and not overview_or_title(s):
                fallback = (m.start, s.index)
            tells = (_GIVING.search(s.text) or s.anchored) and not overview_or_title(s)
            if tells and (best is None or m.start < best[0]):
                best = (m.start, s.index)
    chosen = best or fallback
    if chosen is None:
        return None, None
    return chosen


def _title_class(rows: list[TherapyRow], sentences: dict[int, Sentence]) -> str | None:
    """The class of the therapy a title names first ("Blinatumomab after relapse following
    CAR-T"): the report is about it, when it is not history."""
    firsts: list[tuple[int, str]] = []
    for row in rows:
        if row.prior or row.therapy_class not in ("car_t", "bispecific", "antibody_drug_conjugate"):
            continue
        for m in row.mentions:
            s = sentences.get(m.sentence)
            if s is not None and title_like(s) and s.index <= min(sentences, default=0) + 12:
                firsts.append((m.start, row.therapy_class))
    return min(firsts)[1] if firsts else None


def overview_or_title(s: Sentence) -> bool:
    """A sentence that sums up the case rather than tells it ("We describe ...", the title)."""
    return bool(_OVERVIEW.search(s.text)) or title_like(s)


def title_like(s: Sentence) -> bool:
    """A heading or title line: no closing punctuation, before any section."""
    text = s.text.strip()
    return s.section is None and not re.search(r"[.!?]$", text) and len(text.split()) < 40


def _add_companions(
    rows: list[TherapyRow],
    index_rows: list[TherapyRow],
    primary: str,
    index_sentence: int,
    sentences: dict[int, Sentence],
    reading: Reading,
) -> None:
    """A TKI given with or after the index therapy (not after a later relapse) is index too."""
    index_sents = {m.sentence for r in index_rows for m in r.mentions}
    for row in rows:
        if row.therapy_class != "tki" or row in index_rows:
            continue
        late = [m for m in row.mentions if m.sentence >= index_sentence]
        if not late:
            continue
        ok = False
        for m in late:
            s = sentences.get(m.sentence)
            if s is None:
                continue
            before, after = _window(s, m, reading)
            if _is_prior(before, after, m):
                continue
            if (
                m.sentence in index_sents and _CO_GIVEN.search(before[-40:] + " " + after[:60])
            ) or (
                m.sentence > index_sentence
                and not _relapse_between(index_sentence, m.sentence, sentences)
            ):
                ok = True
        if ok:
            row.prior = False
            row.mentions = late
            index_rows.append(row)


def _relapse_between(a: int, b: int, sentences: dict[int, Sentence]) -> bool:
    for i in range(a + 1, b + 1):
        s = sentences.get(i)
        if s and any(m.label == "RELAPSE" and m.asserted for m in s.mentions):
            return True
    return False


_CYCLE_ORDINAL = re.compile(
    rf"\b(?P<o>{ORDINAL})\s+(?:cycle|course)\b|\b(?:cycle|course)\s+(?P<n>[1-9])\b", re.IGNORECASE
)


def _cycles_by_ordinal(
    rows: list[TherapyRow], primary: str, scope: PatientScope, index_sentence: int
) -> None:
    """ "A second cycle was given", "after cycle 2": the number of cycles of the one bispecific or
    antibody-drug conjugate, when no count is stated (read until a later relapse)."""
    targets = [r for r in rows if r.therapy_class == primary]
    if len(targets) != 1 or targets[0].courses:
        return
    most = 0
    for s in scope.sentences:
        if s.index < index_sentence:
            continue
        if s.index > index_sentence and any(
            m.label == "RELAPSE" and m.asserted for m in s.mentions
        ):
            break
        for m in _CYCLE_ORDINAL.finditer(s.text):
            n = ordinal(m.group("o")) if m.group("o") else int(m.group("n"))
            if n is not None and n <= 12:
                most = max(most, n)
    if most >= 2:
        targets[0].courses = most


def _reinfusions(rows: list[TherapyRow], scope: PatientScope, reading: Reading) -> None:
    """A second infusion of the same CAR-T product counts as a second course of it."""
    if len(rows) != 1 or rows[0].courses:
        return
    for s in scope.sentences:
        if re.search(
            r"\b(?:a )?single (?:CAR[- ]?T[- ]?(?:cell )?)?infusion\b", s.text, re.IGNORECASE
        ):
            rows[0].courses = 1
            return
        if _REINFUSION.search(s.text) and not re.search(
            r"\bdonor|allogeneic|different|new product", s.text, re.IGNORECASE
        ):
            rows[0].courses = 2
            return
