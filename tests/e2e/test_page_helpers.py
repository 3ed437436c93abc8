"""The pure helpers behind the pages (no browser, no server): how a report's text is cut into
highlighted runs, how a reviewer's edit is read, how query strings become case filters, how the
short new-case form becomes a case, and the figure cache."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import FormData

from remission.casefile import document_from_data
from remission.search import CaseFilter
from remission.web.pages.edit import quick_case_data, validate_text
from remission.web.pages.extract import highlighted_segments, parse_edited_value
from remission.web.pages.figures import FigureCache
from remission.web.pages.filters import (
    describe_filters,
    filter_fields,
    filter_query,
    parse_filter,
)


def _group(gid: str, *spans: tuple[int, int, bool]) -> dict[str, object]:
    return {
        "gid": gid,
        "spans": [
            {"start": a, "end": b, "cue": cue, "id": f"{gid}-s{n}"}
            for n, (a, b, cue) in enumerate(spans, 1)
        ],
    }


def test_each_span_is_marked_once_with_its_id_and_the_text_is_kept_whole() -> None:
    text = "no signs of neurotoxicity; grade 2 CRS"
    segments = highlighted_segments(
        text,
        [_group("value-1", (12, 25, False), (0, 11, True)), _group("value-2", (27, 38, False))],
    )
    assert "".join(s["text"] for s in segments) == text
    marked = [s for s in segments if s["mark"]]
    assert [(s["text"], s["id"], s["cue"]) for s in marked] == [
        ("no signs of", "value-1-s2", True),
        ("neurotoxicity", "value-1-s1", False),
        ("grade 2 CRS", "value-2-s1", False),
    ]


@given(
    st.text(min_size=1, max_size=80),
    st.lists(st.tuples(st.integers(0, 80), st.integers(0, 80), st.booleans()), max_size=6),
)
def test_overlapping_spans_never_lose_or_repeat_text(
    text: str, raw: list[tuple[int, int, bool]]
) -> None:
    spans = [(min(a, b), max(a, b), c) for a, b, c in raw if min(a, b) < len(text)]
    spans = [(a, min(b, len(text)), c) for a, b, c in spans]
    segments = highlighted_segments(text, [_group("value-1", *spans)])
    assert "".join(s["text"] for s in segments) == text
    ids = [s["id"] for s in segments if s["mark"] and s["id"]]
    assert len(ids) == len(set(ids))  # an element id is used once


def test_an_edited_value_is_read_as_json_when_it_is_json() -> None:
    assert parse_edited_value("15") == 15
    assert parse_edited_value(" true ") is True
    assert parse_edited_value('["cns", "testis"]') == ["cns", "testis"]
    assert parse_edited_value("tisagenlecleucel") == "tisagenlecleucel"
    assert parse_edited_value("   ") is None


def test_query_strings_become_case_filters_and_bad_values_are_named() -> None:
    case_filter, values, problems = parse_filter(
        {"ph_positive": "true", "crs_min_grade": "3", "response": "CR", "page": "2"}
    )
    assert case_filter == CaseFilter(ph_positive=True, crs_min_grade=3, response="CR")
    assert values == {"ph_positive": "true", "crs_min_grade": "3", "response": "CR"}
    assert problems == []
    case_filter, _, problems = parse_filter({"response": "cured", "ph_positive": "true"})
    assert case_filter == CaseFilter(ph_positive=True)  # the bad filter is dropped, not guessed
    assert len(problems) == 1 and "'cured'" in problems[0] and "ignored" in problems[0]
    assert filter_query({"q": "T315I", "status": ""}, page=3) == "q=T315I&page=3"
    assert describe_filters({"q": "T315I", "ph_positive": "true", "crs_min_grade": "3"}) == (
        "search “T315I”; Ph-positive: yes; CRS grade at least: ≥ 3"
    )


def test_the_filter_form_offers_the_models_own_values() -> None:
    fields = {f.name: f for f in filter_fields({"response": "CR"})}
    assert [v for v, _ in fields["response"].options] == ["", "CR", "CRi", "PR", "NR"]
    assert fields["response"].value == "CR" and fields["response"].main
    assert fields["ph_positive"].options == (("", "any"), ("true", "yes"), ("false", "no"))
    assert not fields["prior_hsct"].main and "q" not in fields


def test_the_short_form_gives_a_minimal_valid_case() -> None:
    form = FormData(
        [
            ("case_id", "pt-7"),
            ("sex", "male"),
            ("age_years", "11"),
            ("disease", "B-ALL"),
            ("ph_positive", "false"),
            ("diagnosis_date", "2019-03"),
            ("product", "tisagenlecleucel"),
            ("car_t_date", "2020-06-02"),
        ]
    )
    case = document_from_data(quick_case_data(form))
    assert case.id == "pt-7" and case.patient.age is not None and case.patient.age.value == 11
    assert case.timeline[0].type == "car_t_infusion"


def test_the_editor_reports_problems_as_the_cli_does() -> None:
    doc, problems = validate_text("id: pt 1\n")
    assert doc is None and problems and problems[0].startswith("editor:1: id:")
    assert validate_text("   ")[1] == ["editor: the case file is empty"]


def test_the_figure_cache_keeps_the_most_recent_figures() -> None:
    cache = FigureCache(capacity=2)
    cache.put(("db", "a", 1, "timeline", "png"), b"1")
    cache.put(("db", "b", 1, "timeline", "png"), None)  # "nothing to draw" is cached too
    assert cache.get(("db", "a", 1, "timeline", "png")) == (True, b"1")
    cache.put(("db", "c", 1, "timeline", "png"), b"3")
    assert cache.get(("db", "b", 1, "timeline", "png")) == (False, None)  # least recently used
    assert len(cache) == 2


def test_every_template_compiles_and_holds_no_inline_script_or_style() -> None:
    from remission.web.templating import TEMPLATES_DIR, environment

    names = sorted(p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.rglob("*.html"))
    assert "base.html" in names and "login.html" in names
    for name in names:
        environment.get_template(name)
        source = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
        assert "style=" not in source and " on" + "click" not in source, name
        for tag in re.findall(r"<script[^>]*>", source):
            assert "src=" in tag, name  # scripts come from files, never inline
