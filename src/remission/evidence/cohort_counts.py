"""Aggregate numbers of a cohort-level text (DESIGN.md, "CaseSummary", last paragraph).

"The study included 14 patients", "n = 22", "median age 9 years (range 2-17)", "MRD
negativity was reached by 12 of 14 children", "of these, 11 went on to a haploBMT", "CRS
occurred in 10 patients (grade >= 3 in 2)". Percentages become counts only with a stated denominator
("86% of 14 patients" -> 12); a bare percentage stays unknown.
"""

from __future__ import annotations

import re

from remission.evidence.numbers import NUMBER, NUMBER_FIRST, duration_months, number
from remission.evidence.reading import Found, Reading, Sentence, quick

__all__ = ["find_cohort", "find_series_facts"]

_WHO = r"(?:consecutive |pediatric |paediatric |adult |evaluable |heavily pretreated |r/r |relapsed |refractory )*(?:patients|children|adults|subjects|cases|infants|adolescents|pts|responders)"
_N_PATIENTS = (
    re.compile(r"\bn\s*=\s*(?P<n>\d{1,4})\b", re.IGNORECASE),
    re.compile(
        rf"\b(?:included|enrolled|comprised|analy[sz]ed|treated|identified|involved|recruited|reviewed|describe|report)\s+(?:a total of\s+)?(?P<n>{NUMBER})\s+{_WHO}",
        re.IGNORECASE,
    ),
    re.compile(rf"\b(?:a total of|overall,?|in all,?)\s+(?P<n>{NUMBER})\s+{_WHO}", re.IGNORECASE),
    re.compile(rf"\b(?:cohort|series|group) of\s+(?P<n>{NUMBER})\s+{_WHO}", re.IGNORECASE),
    re.compile(
        rf"(?:^|[.:,;]\s+)(?P<n>{NUMBER})\s+{_WHO}\s+(?:with|were|who|received|treated|aged|underwent|from|had)\b",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?P<n>\d{1,4})\s+(?:cases|pts|patients)\s+(?:of|with)\b|(?:^|[.:;]\s*)(?P<n2>\d{1,4})\s+(?:pts|patients|cases)\s*[;,.]",
        re.IGNORECASE,
    ),
)
_MEDIAN_AGE = re.compile(
    r"\bmedian age\b[^.;\d]{0,40}?(?P<n>\d+(?:[.,]\d+)?)\s*(?P<u>years?|yrs?|y|months?|mo)?\b"
    r"|\baged\s+(?:a\s+)?median\s+(?:of\s+)?(?P<n2>\d+(?:[.,]\d+)?)\s*(?P<u2>years?|months?)?",
    re.IGNORECASE,
)
_COUNT = rf"(?P<n>{NUMBER})(?:\s*(?:/|of|out of)\s*(?:the\s+|these\s+|those\s+)?(?P<d>{NUMBER}))?(?:\s*\(\s*\d+(?:[.,]\d+)?\s*%\s*\))?"
_PCT_OF = re.compile(
    rf"(?P<p>\d+(?:[.,]\d+)?)\s*%\s*(?:of\s+(?:the\s+)?(?P<d>{NUMBER})\s+{_WHO})", re.IGNORECASE
)

_CR = r"(?:complete remission|complete response|CR/CRi|CRi?|MRD[- ]negative (?:complete )?remission|remission)"
_MRDNEG = r"(?:MRD[- ]negativ\w*|MRD negativity|negative MRD|undetectable MRD|MRD[- ]negative (?:complete )?remission)"
_HSCT = r"(?:allo-?HSCT|HSCT|HCT|SCT|BMT|haploBMT|haplo-?HSCT|TSCS|TSCC|(?:stem[- ]cell |bone marrow |haploidentical |allogeneic )?transplant\w*)"

_SUBJECT = rf"(?:{_COUNT})\s+(?:{_WHO}\s+)?(?:\(\s*\d+(?:[.,]\d+)?\s*%\s*\)\s+)?(?:of them\s+|of these\s+|patients\s+)?"
_COUNTS: dict[str, tuple[re.Pattern[str], ...]] = {
    "n_complete_response": (
        re.compile(
            rf"{_SUBJECT}(?:\w+\s+){{0,2}}(?:achieved|attained|reached|obtained|had|were in|went into)\s+(?:a\s+)?(?:\w+\s+){{0,2}}{_CR}",
            re.IGNORECASE,
        ),
        re.compile(
            rf"\b{_CR}\s+(?:was\s+)?(?:achieved|attained|obtained|observed|seen|reported)?\s*(?:in|by)\s+{_COUNT}",
            re.IGNORECASE,
        ),
        re.compile(rf"\b{_CR}\s+rate\b[^.;]{{0,20}}?{_COUNT}", re.IGNORECASE),
    ),
    "n_mrd_negative": (
        re.compile(
            rf"{_SUBJECT}(?:\w+\s+){{0,3}}(?:achieved|attained|reached|obtained|had|were|became)\s+(?:a\s+)?(?:\w+\s+){{0,1}}{_MRDNEG}",
            re.IGNORECASE,
        ),
        re.compile(
            rf"\b{_MRDNEG}\s+(?:remission\s+)?(?:was\s+)?(?:achieved|attained|obtained|observed|seen|reported)?\s*(?:in|by)\s+{_COUNT}",
            re.IGNORECASE,
        ),
        re.compile(
            rf"{_SUBJECT}(?:\w+\s+){{0,2}}(?:had|with|showed)\s+(?:[\w-]+[\s-])?MRD\s+(?:below|<|less than|under)\s*(?:10\^?-4|10-4|0\.01\s*%|1e-4|10\^?-5|10\^?-6)",
            re.IGNORECASE,
        ),
        re.compile(
            rf"\bin\s+{_COUNT}\s+(?:of them|of these|patients|children|cases)\b[^.;]{{0,15}}(?:MRD|minimal residual disease|measurable residual disease)\b[^.;]{{0,20}}\b(?:was|were|became)?\s*(?:negative|undetectable)",
            re.IGNORECASE,
        ),
    ),
    "n_bridged_to_hsct": (
        re.compile(
            rf"{_SUBJECT}(?:\w+\s+){{0,3}}(?:received|underwent|proceeded to|were bridged to|bridged to|went on to|were transplanted|had)\s+(?:a\s+|an\s+)?(?:subsequent\s+|consolidati\w+\s+)?(?:(?!(?:prior|previous|earlier|relapsed|relapse|after|before|failed)\b)\w+\s+){{0,2}}{_HSCT}",
            re.IGNORECASE,
        ),
        re.compile(
            rf"\b(?:bridged|proceeded|went on) to\s+(?:\w+\s+){{0,2}}{_HSCT}\s+(?:in\s+)?{_COUNT}",
            re.IGNORECASE,
        ),
    ),
    "n_crs_any": (
        re.compile(
            rf"\b(?:CRS|cytokine release syndrome)\)?\s+(?:of any grade\s+)?(?:\w+\s+){{0,2}}(?:occurred|developed|was observed|was seen|was reported|was noted)?\s*(?:in|by)\s+{_COUNT}",
            re.IGNORECASE,
        ),
        re.compile(
            rf"{_SUBJECT}(?:\w+\s+){{0,2}}(?:had|developed|experienced|appeared|presented|showed)\s+(?:any[- ]grade\s+)?(?:CRS|cytokine release syndrome)",
            re.IGNORECASE,
        ),
    ),
    "n_crs_grade3plus": (
        re.compile(
            rf"\b(?:grade\s*(?:≥|>=|3 or higher|3 or above|3-4|III-IV|3\+|≥\s*3)\s*3?|severe)\s*(?:CRS|cytokine release syndrome)\s+(?:\w+\s+){{0,2}}(?:occurred|developed|was observed|was seen)?\s*(?:in|by)\s+{_COUNT}",
            re.IGNORECASE,
        ),
        re.compile(
            rf"{_SUBJECT}(?:\w+\s+){{0,2}}(?:had|developed|experienced)\s+(?:grade\s*(?:≥|>=)\s*3|grade 3 or higher|severe|grade 3-4|grade III-IV)\s+(?:CRS|cytokine release syndrome)",
            re.IGNORECASE,
        ),
        re.compile(
            rf"\b(?:CRS|cytokine release syndrome)\b[^.;]{{0,40}}\(\s*grade\s*(?:≥|>=)\s*3\s*(?:in\s+)?{_COUNT}",
            re.IGNORECASE,
        ),
    ),
    "n_icans_any": (
        re.compile(
            rf"\b(?:ICANS|neurotoxicity|neurologic(?:al)? toxicity)\)?\s+(?:of any grade\s+)?(?:\w+\s+){{0,2}}(?:occurred|developed|was observed|was seen|was reported|was noted)?\s*(?:in|by)\s+{_COUNT}",
            re.IGNORECASE,
        ),
        re.compile(
            rf"{_SUBJECT}(?:\w+\s+){{0,2}}(?:had|developed|experienced)\s+(?:any[- ]grade\s+)?(?:ICANS|neurotoxicity|neurologic(?:al)? toxicity)",
            re.IGNORECASE,
        ),
    ),
}
#: The count patterns that open with the count scan far faster behind a look-ahead on its first
#: character (a number word's initial or a digit): same matches.
_COUNTS = {
    field: tuple(quick(p, NUMBER_FIRST) if p.pattern.startswith(_SUBJECT) else p for p in patterns)
    for field, patterns in _COUNTS.items()
}


#: Words a sentence must hold before a field's (slow) patterns are tried on it.
_HINTS: dict[str, re.Pattern[str]] = {
    "n_complete_response": re.compile(r"remission|response|\bCRi?\b", re.IGNORECASE),
    "n_mrd_negative": re.compile(r"MRD|residual disease", re.IGNORECASE),
    "n_bridged_to_hsct": re.compile(r"transplant|HSCT|HCT|SCT|BMT|TSC|bridg", re.IGNORECASE),
    "n_crs_any": re.compile(r"CRS|cytokine", re.IGNORECASE),
    "n_crs_grade3plus": re.compile(r"(?:CRS|cytokine)", re.IGNORECASE),
    "n_icans_any": re.compile(r"ICANS|neuro", re.IGNORECASE),
}
_WHO_HINT = re.compile(
    r"patients|children|adults|subjects|cases|infants|adolescents|\bpts\b|n\s*=", re.IGNORECASE
)
_HAS_NUMBER = re.compile(rf"\d|\b(?:{NUMBER}|all|none)\b", re.IGNORECASE)
_ALL_NONE = {
    "n_bridged_to_hsct": re.compile(
        r"\bnone of the (?:\w+ )?(?:patients|children|adults)\b[^.;]{0,40}\b(?:underwent|received|proceeded to|had)\b[^.;]{0,40}(?:transplant|HSCT|HCT|SCT)|\bno (?:patient|child|one) (?:underwent|received|proceeded to)\b[^.;]{0,40}(?:transplant|HSCT|HCT|SCT)",
        re.IGNORECASE,
    ),
    "n_crs_any": re.compile(
        r"\b(?:CRS|cytokine release syndrome)\s+(?:\w+\s+){0,2}(?:occurred|developed|was observed|was seen)?\s*in all (?P<n>\d+|\w+)\b",
        re.IGNORECASE,
    ),
}
#: A count after a label, as abstracts and flattened tables give them ("CR/CRi: 9/12",
#: "Day-28 CR/CRi | 33 of 41 (80%)", "CRS, any grade | 30 (73%)").
_VALUE = r"\s*[:|]\s*(?P<n>\d+)(?!\d|[.,]\d)(?:\s*(?:/|of|out of)\s*(?P<d>\d+))?(?![\d.,]*\s*%)"
_LABELLED: dict[str, re.Pattern[str]] = {
    "n_complete_response": re.compile(
        r"\b(?:CR/CRi|CR\s*\+\s*CRi|CRi?|complete remission|complete response)(?: rate)?(?:\s*\([^)|:]{0,30}\))?"
        + _VALUE,
        re.IGNORECASE,
    ),
    "n_mrd_negative": re.compile(r"\bMRD[- ]negativ\w*[^|:\n]{0,30}?" + _VALUE, re.IGNORECASE),
    "n_bridged_to_hsct": re.compile(
        r"\b(?:bridged to|proceeded to|consolidated with|consolidative|consolidation with|underwent|subsequent)\s+"
        r"(?:allo-?)?(?:HSCT|HCT|SCT|transplant\w*)[^:|;.\n]{0,25}" + _VALUE,
        re.IGNORECASE,
    ),
    "n_crs_any": re.compile(
        r"\b(?:CRS|cytokine release syndrome)(?:,? any grade| \(any grade\)|,? all grades)?"
        + _VALUE,
        re.IGNORECASE,
    ),
    "n_icans_any": re.compile(
        r"\b(?:ICANS|neurotoxicity)(?:,? any grade| \(any grade\)|,? all grades)?" + _VALUE,
        re.IGNORECASE,
    ),
    "n_crs_grade3plus": re.compile(
        r"\b(?:grade|level)\s*(?:≥|>=)?\s*(?:3|III)\s*(?:and above|or above|or higher|and higher|or more|-4|-5)?\s*(?:CRS)?\s*(?:were|was|in|:|\|)\s*(?P<n>\d+)(?![\d.,]*\s*%)",
        re.IGNORECASE,
    ),
}
_PERCENT_OF = re.compile(
    r"(?P<p>\d+(?:[.,]\d+)?)\s*%\s*(?:of\s+(?:the\s+)?(?P<d>\d+)\s+(?:patients|children|adults|pts|cases))",
    re.IGNORECASE,
)
_GRADE3_IN = re.compile(
    r"\bgrade\s*(?:3|III|≥\s*3|>=\s*3)(?:\s*(?:or higher|or above|and above|-4|-5|to 4))?\s+in\s+"
    r"(?:(?P<n>\d+|one|two|three|four|five|six)\b(?! of)|one of (?:them|these))"
    r"|\bincluding\s+(?P<n2>\d+|one|two|three|four|five|six)\s+(?:\w+\s+)?with\s+grade\s*(?:3|III|≥\s*3|>=\s*3)\b",
    re.IGNORECASE,
)


def _crs_clause(text: str) -> tuple[int, int] | None:
    """Where a sentence speaks of CRS: from its name to the next other syndrome."""
    start = re.search(r"\bCRS\b|cytokine release", text, re.IGNORECASE)
    if start is None:
        return None
    end = re.search(r"\bICANS\b|neurotox|neurolog|\bGVHD\b", text[start.end() :], re.IGNORECASE)
    return start.start(), start.end() + end.start() if end else len(text)


def _count(m: re.Match[str], total: int | None) -> int | None:
    n = number(m.group("n"))
    if n is None or n != int(n):
        return None
    d = m.groupdict().get("d")
    if d is not None:
        dn = number(d)
        if dn is None or dn < n:
            return None
    if total is not None and n > total:
        return None
    return int(n)


def find_cohort(reading: Reading, sentences: tuple[Sentence, ...]) -> list[Found]:
    """Cohort counts stated in ``sentences`` (the narrative of a cohort text)."""
    out: list[Found] = []
    total: int | None = None
    # "n = 41" for all patients beside "n = 35" and "n = 6" for subgroups: the largest is the whole
    stated_n = [
        (int(m.group("n")), s, m)
        for s in sentences
        for m in _N_PATIENTS[0].finditer(s.text)
        if int(m.group("n")) >= 2
    ]
    if stated_n:
        n_all, s, whole = max(stated_n, key=lambda x: x[0])
        total = n_all
        out.append(
            Found(
                "n_patients",
                total,
                (
                    reading.evidence(
                        (s.start + whole.start(), s.start + whole.end()),
                        rule="cohort.n_patients",
                        match="normalized",
                        section=s.section,
                    ),
                ),
                s.start + whole.start(),
            )
        )
    for s in sentences if total is None else ():
        if not _WHO_HINT.search(s.text):
            continue
        for pattern in _N_PATIENTS:
            m = pattern.search(s.text)
            if m:
                raw_n = m.group("n") or m.groupdict().get("n2")
                n = number(raw_n) if raw_n else None
                if n is not None and n == int(n) and n >= 2:
                    total = int(n)
                    out.append(
                        Found(
                            "n_patients",
                            total,
                            (
                                reading.evidence(
                                    (s.start + m.start(), s.start + m.end()),
                                    rule="cohort.n_patients",
                                    match="normalized",
                                    section=s.section,
                                ),
                            ),
                            s.start + m.start(),
                        )
                    )
                    break
        if total is not None:
            break
    if total is None:
        return []
    for s in sentences:
        if "median" not in s.text.lower():
            continue
        am = _MEDIAN_AGE.search(s.text)
        if am:
            raw, unit = (
                (am.group("n"), am.group("u"))
                if am.group("n")
                else (am.group("n2"), am.group("u2"))
            )
            months = duration_months(raw, unit or "years")
            if months is not None:
                years = round(months / 12.0, 2)
                out.append(
                    Found(
                        "median_age_years",
                        years,
                        (
                            reading.evidence(
                                (s.start + am.start(), s.start + am.end()),
                                rule="cohort.median_age",
                                match="normalized",
                                section=s.section,
                            ),
                        ),
                        s.start + am.start(),
                    )
                )
                break
    for field, patterns in _COUNTS.items():
        got = None
        for s in sentences:
            if not _HINTS[field].search(s.text) or not _HAS_NUMBER.search(s.text):
                continue
            special = _ALL_NONE.get(field)
            sm = special.search(s.text) if special else None
            if sm is not None:
                n = 0 if field == "n_bridged_to_hsct" else number(sm.group("n"))
                if n is not None and (total is None or n <= total):
                    got = Found(
                        field,
                        int(n),
                        (
                            reading.evidence(
                                (s.start + sm.start(), s.start + sm.end()),
                                rule=f"cohort.{field}.all_or_none",
                                match="normalized",
                                section=s.section,
                            ),
                        ),
                        s.start + sm.start(),
                    )
                    break
            span = _crs_clause(s.text) if field == "n_crs_grade3plus" else (0, len(s.text))
            lm = _LABELLED[field].search(s.text, *span) if span else None
            if lm is None and field != "n_crs_grade3plus":
                pm = _PERCENT_OF.search(s.text)
                if pm is not None and _HINTS[field].search(
                    s.text[max(0, pm.start() - 40) : pm.start()]
                ):
                    d = int(pm.group("d"))
                    n_pct = round(float(pm.group("p").replace(",", ".")) * d / 100.0)
                    if n_pct <= d:
                        got = Found(
                            field,
                            n_pct,
                            (
                                reading.evidence(
                                    (s.start + pm.start(), s.start + pm.end()),
                                    rule=f"cohort.{field}.percent_of",
                                    match="computed",
                                    section=s.section,
                                ),
                            ),
                            s.start + pm.start(),
                        )
                        break
            if lm is not None:
                n_l = _count(lm, total)
                if n_l is not None:
                    got = Found(
                        field,
                        n_l,
                        (
                            reading.evidence(
                                (s.start + lm.start(), s.start + lm.end()),
                                rule=f"cohort.{field}.labelled",
                                match="normalized",
                                section=s.section,
                            ),
                        ),
                        s.start + lm.start(),
                    )
                    break
            if field == "n_crs_grade3plus":
                clause = _crs_clause(s.text)
                gm = _GRADE3_IN.search(s.text, *clause) if clause else None
                n3 = (number(gm.group("n") or gm.group("n2") or "one")) if gm else None
                if gm and n3 is not None:
                    got = Found(
                        field,
                        int(n3),
                        (
                            reading.evidence(
                                (s.start + gm.start(), s.start + gm.end()),
                                rule=f"cohort.{field}",
                                match="normalized",
                                section=s.section,
                            ),
                        ),
                        s.start + gm.start(),
                    )
                    break
            for pattern in patterns:
                for m in pattern.finditer(s.text):
                    n = _count(m, total)
                    if n is None:
                        continue
                    got = Found(
                        f"{field}",
                        n,
                        (
                            reading.evidence(
                                (s.start + m.start(), s.start + m.end()),
                                rule=f"cohort.{field}",
                                match="normalized",
                                section=s.section,
                            ),
                        ),
                        s.start + m.start(),
                    )
                    break
                if got:
                    break
            if got:
                break
        if got is not None:
            out.append(got)
    return out


_NONE_TRANSPLANTED = re.compile(
    r"\b(?:none of the (?:\w+ )?(?:patients|children|adults|cases)|no (?:patient|child|one))\b[^.;]{0,40}?"
    r"\b(?:underwent|received|proceeded to|went on to|was bridged to|were bridged to|had)\b[^.;]{0,40}?"
    r"(?:transplant\w*|HSCT|HCT|SCT|BMT)",
    re.IGNORECASE,
)


def find_series_facts(reading: Reading, sentences: tuple[Sentence, ...]) -> list[Found]:
    """What a series says of every patient at once ("None of the patients underwent a second
    transplant" -> no bridge for each), for the patients whose own text is silent on it."""
    for s in sentences:
        m = _NONE_TRANSPLANTED.search(s.text)
        if m:
            ev = reading.evidence(
                (s.start + m.start(), s.start + m.end()),
                rule="bridged_to_hsct.none_in_series",
                match="inferred",
                section=s.section,
            )
            return [Found("bridged_to_hsct", False, (ev,), s.start + m.start())]
    return []
