"""Reading Bundles from other systems, and refusing bad ones with the place of every problem."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from remission.casefile import load_file
from remission.examples import example_paths
from remission.exceptions import FhirBundleError, FhirImportWarning, InputError
from remission.interop.fhir import (
    bundle_to_case,
    case_to_bundle,
    is_bundle_text,
    parse_bundle_text,
    read_bundle_file,
)
from remission.model import CarTInfusion, Case, DiseaseAssessment, Relapse, Therapy, ToxicityEpisode

FOREIGN = Path(__file__).parent / "data" / "foreign-ehr-bundle.json"
ANNOTATED = next(p for p in example_paths() if p.name.startswith("synthetic"))


def annotated_bundle() -> dict[str, Any]:
    case = load_file(ANNOTATED).document
    assert isinstance(case, Case)
    return json.loads(json.dumps(case_to_bundle(case)))


def problems_of(data: Any) -> list[str]:
    with pytest.raises(FhirBundleError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bundle_to_case(data, source="b.json")
    return [str(p) for p in info.value.problems]


def entry_of(bundle: dict[str, Any], event_id: str) -> tuple[int, dict[str, Any]]:
    for i, entry in enumerate(bundle["entry"]):
        ids = entry["resource"].get("identifier")
        ids = [ids] if isinstance(ids, dict) else ids or []
        if any(x.get("value") == event_id for x in ids):
            return i, entry["resource"]
    raise AssertionError(event_id)


# --- a foreign EHR's Bundle ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def foreign() -> tuple[Case, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        case = read_bundle_file(FOREIGN)
    return case, [str(w.message) for w in caught if issubclass(w.category, FhirImportWarning)]


def test_a_foreign_bundle_becomes_a_case_through_codes_and_synonyms(foreign):
    case, _ = foreign
    assert case.id == "pt-4711"
    assert case.patient.sex == "female" and case.patient.birth_year == 2008
    assert case.diagnosis.disease == "B-ALL" and str(case.diagnosis.date) == "2019-02-11"
    das, rel, blina, car, crs, d28, hsct = case.timeline
    assert (
        isinstance(das, Therapy) and das.agents == ("dasatinib",) and das.route == "oral"
    )  # "Sprycel"
    assert (
        isinstance(rel, Relapse) and rel.sites == ("cns", "testis") and str(rel.date) == "2021-09"
    )
    assert isinstance(blina, Therapy) and blina.agents == ("blinatumomab",) and blina.route == "iv"
    assert str(blina.start) == "2021-10-04"  # a full dateTime read as its calendar day
    assert isinstance(car, CarTInfusion) and car.product == "tisagenlecleucel"  # "Kymriah"
    assert car.target == "CD19" and car.cell_source == "autologous" and car.dose.value == 2.1e6
    assert isinstance(crs, ToxicityEpisode) and crs.syndrome == "crs" and crs.after == car.id
    assert crs.grade is None  # a severity is not a grade with its scale
    assert isinstance(d28, DiseaseAssessment) and d28.response == "CR" and d28.assesses == car.id
    assert hsct.type == "hsct" and hsct.kind == "allogeneic"
    series = {s.analyte: s for s in case.observations}
    assert [p.value for p in series["il6"].points] == [38, 912]
    assert series["ferritin"].points[0].value == 4380


def test_what_remission_has_no_place_for_is_skipped_with_a_warning_naming_it(foreign):
    _, warned = foreign
    skipped = {w.split(": ")[1] for w in warned if "skipped" in w}
    assert skipped == {
        "entry[1] (Practitioner dr-9)",
        "entry[2] (Encounter enc-1)",
        "entry[4] (Condition htn)",
        "entry[14] (Observation temp-1)",
        "entry[16] (Procedure lp-1)",
    }
    assert any("entry[10] (AdverseEvent ae-crs)" in w and "severity" in w for w in warned)


def test_a_foreign_case_exports_and_reads_back_unchanged(foreign):
    case, _ = foreign
    assert bundle_to_case(json.loads(json.dumps(case_to_bundle(case)))) == case


def test_mrd_given_as_a_percentage_is_stored_as_a_fraction():
    bundle = annotated_bundle()
    for entry in bundle["entry"]:
        res = entry["resource"]
        if res["resourceType"] == "Observation" and res["code"]["coding"][0]["code"] == "mrd":
            res["valueQuantity"] = {"value": 0.5, "unit": "%", "code": "%"}
            res.pop("interpretation", None)
    case = bundle_to_case(bundle)
    assert case.event("car1-d28").mrd.value == 0.005


def test_a_bedside_temperature_in_fahrenheit_is_stored_in_celsius():
    bundle = annotated_bundle()
    for entry in bundle["entry"]:
        res = entry["resource"]
        for comp in res.get("component", []):
            if (
                comp["code"]["text"] == "highest body temperature"
                and comp["valueQuantity"]["value"] == 39.4
            ):
                comp["valueQuantity"] = {"value": 102.92, "unit": "°F", "code": "[degF]"}
    case = bundle_to_case(bundle)
    assert [a.crs.temperature_c for a in case.assessments if a.crs][:2] == [38.9, 39.4]


def test_warnings_are_given_only_for_a_bundle_that_was_read():
    bad = json.loads(FOREIGN.read_text())
    bad["entry"][8]["resource"]["medicationCodeableConcept"] = {"text": "Blinkyto"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(FhirBundleError):
            bundle_to_case(bad)
    assert not [w for w in caught if issubclass(w.category, FhirImportWarning)]


# --- bad Bundles ----------------------------------------------------------------------------------


def test_not_a_bundle_at_all():
    assert problems_of({"resourceType": "Patient", "id": "p"}) == [
        "b.json: resourceType: this is a 'Patient' resource, not a FHIR Bundle; remission reads one "
        "Bundle per case"
    ]
    assert "JSON object" in problems_of([1, 2])[0]
    assert "no entries" in problems_of({"resourceType": "Bundle", "type": "collection"})[0]


def test_an_unknown_agent_code_names_entry_resource_and_element():
    bundle = annotated_bundle()
    i, blina = entry_of(bundle, "blina1")
    blina["medicationCodeableConcept"] = {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "123"}],
        "text": "blinatumumab",
    }
    (problem,) = problems_of(bundle)
    assert problem.startswith(
        f"b.json: entry[{i}] (MedicationAdministration {blina['id']}).medicationCodeableConcept: unknown code"
    )
    assert "did you mean 'blinatumomab'" in problem


def test_an_unknown_site_and_response_are_problems_too():
    bundle = annotated_bundle()
    i, rel = entry_of(bundle, "rel1")
    rel["bodySite"][1] = {"text": "left little toe"}
    j, d28 = entry_of(bundle, "car1-d28")
    d28["valueCodeableConcept"] = {"text": "much better"}
    found = problems_of(bundle)
    assert any(f"entry[{i}] (Condition {rel['id']}).bodySite[1]: unknown code" in p for p in found)
    assert any(
        f"entry[{j}] (Observation {d28['id']}).valueCodeableConcept: unknown response" in p
        for p in found
    )


def test_a_reference_to_nothing_and_a_reference_to_the_wrong_type():
    bundle = annotated_bundle()
    i, crs = entry_of(bundle, "crs1")
    crs["suspectEntity"][0]["instance"]["reference"] = (
        "urn:uuid:00000000-0000-0000-0000-000000000000"
    )
    j, d28 = entry_of(bundle, "car1-d28")
    d28["partOf"] = [crs_ref := {"reference": bundle["entry"][i]["fullUrl"]}]
    assert crs_ref
    found = problems_of(bundle)
    assert any(
        f"entry[{i}] (AdverseEvent {crs['id']}).suspectEntity[0].instance: refers to 'urn:uuid:00000000"
        in p
        and "not in this Bundle" in p
        for p in found
    )
    assert any(
        f"entry[{j}] (Observation {d28['id']}).partOf[0]: refers to a AdverseEvent, but must refer to a MedicationAdministration or Procedure"
        in p
        for p in found
    )


def test_a_subject_that_is_not_the_patient_is_refused():
    bundle = annotated_bundle()
    i, car = entry_of(bundle, "car1")
    car["subject"] = {"reference": bundle["entry"][1]["fullUrl"]}
    (problem,) = problems_of(bundle)
    assert (
        f"entry[{i}]" in problem
        and "subject: refers to a Condition, but must refer to a Patient" in problem
    )


def test_duplicated_ids_are_refused():
    bundle = annotated_bundle()
    bundle["entry"].append(copy.deepcopy(bundle["entry"][5]))
    found = problems_of(bundle)
    n = len(bundle["entry"]) - 1
    assert any(
        p.startswith(f"b.json: entry[{n}]") and "is also used by entry[5]" in p for p in found
    )


def test_resources_that_are_not_valid_fhir_r4_are_located_to_the_element():
    bundle = annotated_bundle()
    i, car = entry_of(bundle, "car1")
    car["effectiveDateTime"] = "12/10/2021"  # not a FHIR dateTime
    bundle["entry"].append({"resource": {"resourceType": "Bogus", "id": "x"}})
    found = problems_of(bundle)
    assert any(
        p.startswith(
            f"b.json: entry[{i}] (MedicationAdministration {car['id']}).effectiveDateTime: not valid FHIR R4"
        )
        for p in found
    )
    assert any("'Bogus' is not a FHIR R4 resource type" in p for p in found)


def test_a_lymphodepletion_must_be_part_of_a_car_t_infusion():
    bundle = annotated_bundle()
    _, blina = entry_of(bundle, "blina1")
    for i, entry in enumerate(bundle["entry"]):
        if entry["resource"].get("category", {}).get("text", "").startswith("lymphodepleting"):
            entry["resource"]["partOf"] = [{"reference": f"urn:uuid:{blina['id']}"}]
            (problem,) = problems_of(bundle)
            assert problem.startswith(f"b.json: entry[{i}] (MedicationAdministration")
            assert problem.endswith(
                "partOf[0]: refers to an administration that is not a CAR-T infusion"
            )
            break
    else:
        raise AssertionError("no lymphodepletion in the annotated example's Bundle")


def test_two_patients_are_two_cases_not_one():
    bundle = annotated_bundle()
    second = copy.deepcopy(bundle["entry"][0])
    second["fullUrl"] = "urn:uuid:11111111-1111-1111-1111-111111111111"
    second["resource"]["id"] = "11111111-1111-1111-1111-111111111111"
    bundle["entry"].append(second)
    assert "2 Patients" in problems_of(bundle)[0]


def test_a_case_the_model_refuses_is_located_at_the_entry_it_came_from():
    bundle = annotated_bundle()
    i, rel = entry_of(bundle, "rel1")
    rel["onsetDateTime"] = "2010-01"  # before the 2019-03 diagnosis
    (problem,) = problems_of(bundle)
    assert problem.startswith(
        f"b.json: entry[{i}] (Condition {rel['id']}), as the case's timeline[1]"
    )
    assert "dated before the diagnosis" in problem


def test_json_text_is_read_strictly():
    with pytest.raises(InputError) as info:
        parse_bundle_text('{"resourceType": "Bundle",\n "entry": [,]}', "b.json")
    assert info.value.problems[0].line == 2 and "not valid JSON" in str(info.value)
    with pytest.raises(InputError, match="appears twice"):
        parse_bundle_text('{"resourceType": "Bundle", "resourceType": "Bundle"}', "b.json")
    with pytest.raises(InputError, match="NaN is not a JSON number"):
        parse_bundle_text('{"resourceType": "Bundle", "total": NaN}', "b.json")
    with pytest.raises(InputError, match="nests too deeply"):
        parse_bundle_text("[" * 100_000 + "]" * 100_000, "b.json")


def test_huge_and_unreadable_files_are_refused_before_parsing(tmp_path):
    big = tmp_path / "big.json"
    big.write_text(json.dumps(annotated_bundle()))
    with pytest.raises(InputError, match="limited to"):
        read_bundle_file(big, max_bytes=1000)
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"resourceType": "Bundle", "note": "caf\xe9"}')
    with pytest.raises(InputError, match="not UTF-8"):
        read_bundle_file(latin)
    with pytest.raises(InputError, match="no such file"):
        read_bundle_file(tmp_path / "missing.json")


def test_a_bundle_is_told_apart_from_a_case_file_by_its_content():
    assert is_bundle_text('\n  {"resourceType" : "Bundle", "type": "collection"}')
    assert not is_bundle_text("id: case-1\ntimeline: []\n")
    assert not is_bundle_text('{"resourceType": "Patient"}')


# --- hostile input (hypothesis) --------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
BASE = annotated_bundle()


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


PATHS = [p for p in _paths(BASE) if p]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.sampled_from(PATHS), st.sampled_from(["delete", "replace"]), json_values),
        min_size=1,
        max_size=3,
    )
)
def test_a_mangled_bundle_gives_located_problems_or_a_case(edits):
    bundle = copy.deepcopy(BASE)
    for path, action, value in edits:
        parent: Any = bundle
        try:
            for part in path[:-1]:
                parent = parent[part]
            if action == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case = bundle_to_case(bundle, source="m.json")
    except FhirBundleError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.where == "m.json" and problem.message.strip()
    else:
        assert isinstance(case, Case)
