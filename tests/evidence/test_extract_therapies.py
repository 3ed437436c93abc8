"""Index therapies versus prior therapy (DESIGN.md), and what a named product implies."""

from __future__ import annotations

from remission.evidence import extract_text


def _rows(text: str) -> list[dict]:
    result = extract_text(text)
    assert len(result.patients) == 1
    return [
        r.model_dump(by_alias=True, exclude_defaults=True)
        for r in result.patients[0].summary.index_therapies
    ]


def test_a_named_product_implies_its_fixed_facts():
    assert _rows("A boy with relapsed B-ALL received tisagenlecleucel.") == [
        {
            "class": "car_t",
            "agent": "tisagenlecleucel",
            "target": "CD19",
            "cell_source": "autologous",
            "costimulatory": ["4-1BB"],
        }
    ]


def test_the_implied_facts_are_marked_inferred():
    result = extract_text("A boy with relapsed B-ALL received tisagenlecleucel.")
    value = next(v for v in result.patients[0].values if v.field == "index_therapies[0]")
    assert value.evidence[0].match == "inferred"
    assert value.evidence[0].spans[0].text == "tisagenlecleucel"


def test_cd28_or_4_1bb_assigns_neither():
    rows = _rows(
        "A patient with relapsed B-ALL was treated with CD19 CAR-T cells containing CD28 or 4-1BB."
    )
    assert rows == [{"class": "car_t", "target": "CD19"}]


def test_blinatumomab_that_failed_before_car_t_is_prior():
    rows = _rows(
        "A woman with Ph+ ALL relapsed. Blinatumomab failed to induce remission. She then received "
        "brexucabtagene autoleucel and reached complete remission."
    )
    assert [r["class"] for r in rows] == ["car_t"]
    assert rows[0]["agent"] == "brexucabtagene_autoleucel"


def test_sequential_autologous_then_donor_derived_car_t_are_two_rows():
    rows = _rows(
        "A girl had a marrow and CSF relapse. The infusion of autologous CD19 CAR-T cells gave complete remission. "
        "She relapsed again and was then given allogeneic CD19 CAR-T cells made from her brother's lymphocytes."
    )
    assert [(r["cell_source"], r["target"]) for r in rows] == [
        ("autologous", "CD19"),
        ("donor_derived", "CD19"),
    ]


def test_a_tki_given_alongside_is_an_index_row_with_courses_on_the_bispecific():
    rows = _rows(
        "At first relapse of Ph+ ALL she was treated with ponatinib combined with blinatumomab, of which she "
        "received 4 cycles, and reached complete remission."
    )
    assert rows == [
        {"class": "tki", "agent": "ponatinib"},
        {"class": "bispecific", "agent": "blinatumomab", "target": "CD19", "courses": 4},
    ]


def test_a_reinfusion_of_the_same_product_is_two_courses():
    rows = _rows(
        "A girl with relapsed B-ALL received tisagenlecleucel. B cells recovered, and a second infusion of "
        "tisagenlecleucel was given."
    )
    assert rows[0]["courses"] == 2


def test_a_car_t_that_was_history_is_not_index():
    rows = _rows(
        "The man had achieved remission of his first relapse with academic CD19 CAR T cells but relapsed again. "
        "He then received autologous CD22 CAR T cells with a 4-1BB domain."
    )
    assert rows == [
        {
            "class": "car_t",
            "target": "CD22",
            "cell_source": "autologous",
            "costimulatory": ["4-1BB"],
        }
    ]
