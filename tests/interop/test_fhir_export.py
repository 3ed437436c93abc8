"""What the exported Bundle says, element by element, as another FHIR system would read it."""

from __future__ import annotations

from typing import Any

import pytest

from remission.casefile import load_file, parse_document_text
from remission.examples import example_paths
from remission.interop.fhir import bundle_problems, case_to_bundle
from remission.interop.fhir.codes import load_codes
from remission.model import Case

CODES = load_codes()
MCODE = "http://hl7.org/fhir/us/mcode/StructureDefinition/"
ANNOTATED = next(p for p in example_paths() if p.name.startswith("synthetic"))


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    case = load_file(ANNOTATED).document
    assert isinstance(case, Case)
    return case_to_bundle(case)


def resources(bundle: dict[str, Any], rtype: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == rtype]


def by_event(bundle: dict[str, Any], event_id: str) -> dict[str, Any]:
    for entry in bundle["entry"]:
        ids = entry["resource"].get("identifier")
        ids = [ids] if isinstance(ids, dict) else ids or []
        if any(i.get("value") == event_id and i["system"].endswith("event-id") for i in ids):
            return entry["resource"]
    raise AssertionError(f"no resource for event {event_id}")


def codes_of(cc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in cc.get("coding", [])}


def ext(resource: dict[str, Any], name: str) -> list[dict[str, Any]]:
    url = CODES.extension_url(name)
    return [e for e in resource.get("extension", []) if e["url"] == url]


def test_the_bundle_is_a_valid_fhir_r4_collection(bundle):
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert bundle["identifier"]["value"] == "synthetic-annotated-001"
    assert bundle_problems(bundle) == []
    assert all(e["fullUrl"] == f"urn:uuid:{e['resource']['id']}" for e in bundle["entry"])


def test_patient_is_an_mcode_cancer_patient_with_sex_birth_year_and_stated_age(bundle):
    (patient,) = resources(bundle, "Patient")
    assert patient["meta"]["profile"] == [MCODE + "mcode-cancer-patient"]
    assert patient["gender"] == "female" and patient["birthDate"] == "2009"
    (age,) = ext(patient, "Patient.age")
    assert {p["url"]: list(p.values())[1] for p in age["extension"]} == {
        "value": 14.0,
        "at": "car1",
    }
    assert "deceasedBoolean" not in patient and "deceasedDateTime" not in patient


def test_diagnosis_is_the_primary_cancer_condition_at_its_stated_precision(bundle):
    dx = next(c for c in resources(bundle, "Condition") if "meta" in c)
    assert dx["meta"]["profile"] == [MCODE + "mcode-primary-cancer-condition"]
    assert dx["onsetDateTime"] == "2019-03"  # month precision kept, nothing invented
    assert ("http://terminology.hl7.org/CodeSystem/icd-o-3", "9811/3") in codes_of(dx["code"])
    assert ("http://hl7.org/fhir/sid/icd-10", "C91.0") in codes_of(dx["code"])
    # Ph-negative, KMT2A not rearranged, IKZF1 deletion: Observations focused on the Condition
    details = {d["reference"] for d in dx["evidence"][0]["detail"]}
    genetic = [o for o in resources(bundle, "Observation") if f"urn:uuid:{o['id']}" in details]
    assert len(genetic) == 3
    assert all(o["focus"] == [{"reference": f"urn:uuid:{dx['id']}"}] for o in genetic)
    texts = {
        o["code"]["text"]: o.get("valueCodeableConcept", {}).get("text", o.get("valueString"))
        for o in genetic
    }
    assert texts["Philadelphia chromosome (BCR::ABL1 fusion)"] == "Absent"
    assert texts["other genetic finding"] == "IKZF1 deletion"


def test_a_relative_time_keeps_its_offset_and_gives_the_day_it_falls_on(bundle):
    blina = by_event(bundle, "blina1")
    period = blina["effectivePeriod"]
    assert period["start"] == "2021-08-01"
    assert period["end"] == "2021-08-28"  # blina1+27d, known to the day
    (rel,) = period["_end"]["extension"]
    assert rel == {"url": CODES.extension_url("relative-time"), "valueString": "blina1+27d"}


def test_therapy_is_a_medication_administration_of_its_agents(bundle):
    induction = by_event(bundle, "induction")
    assert induction["meta"]["profile"] == [
        MCODE + "mcode-cancer-related-medication-administration"
    ]
    (regimen,) = induction["contained"]
    assert regimen["code"]["text"] == "AIEOP-BFM ALL 2017"
    agents = [i["itemCodeableConcept"]["coding"][0]["code"] for i in regimen["ingredient"]]
    assert agents == ["prednisone", "vincristine", "daunorubicin", "pegaspargase", "methotrexate"]
    blina = by_event(bundle, "blina1")
    assert blina["medicationCodeableConcept"]["text"] == "blinatumomab"
    assert blina["dosage"]["dose"] == {"value": 15.0, "unit": "ug/m2/day"}
    assert ext(blina, "Therapy.intent")[0]["valueString"] == "bridging"


def test_car_t_infusion_names_product_target_costimulation_dose_and_lymphodepletion(bundle):
    car = by_event(bundle, "car1")
    assert car["effectiveDateTime"] == "2021-10-12"
    assert car["category"]["coding"][0]["code"] == "car-t-infusion"
    assert car["medicationCodeableConcept"]["coding"][0]["code"] == "tisagenlecleucel"
    assert car["dosage"]["dose"] == {"value": 3.1e6, "unit": "cells/kg"}
    assert ext(car, "CarTInfusion.target")[0]["valueString"] == "CD19"
    assert ext(car, "CarTInfusion.costimulatory")[0]["valueString"] == "4-1BB"
    assert ext(car, "CarTInfusion.cell_source")[0]["valueString"] == "autologous"
    # lymphodepletion: its own administration, part of the infusion, started 6 days before it
    (ld,) = [
        m
        for m in resources(bundle, "MedicationAdministration")
        if m.get("partOf") == [{"reference": f"urn:uuid:{car['id']}"}]
    ]
    assert ld["category"]["coding"][0]["code"] == "lymphodepletion"
    agents = [
        i["itemCodeableConcept"]["coding"][0]["code"] for i in ld["contained"][0]["ingredient"]
    ]
    assert agents == ["fludarabine", "cyclophosphamide"]
    assert ld["effectivePeriod"]["start"] == "2021-10-06"
    assert ld["effectivePeriod"]["_start"]["extension"][0]["valueString"] == "car1-6d"


def test_hsct_is_a_procedure_with_donor_type_and_conditioning(bundle):
    hsct = by_event(bundle, "hsct1")
    assert hsct["resourceType"] == "Procedure" and hsct["performedDateTime"] == "2022-01-20"
    assert ("http://snomed.info/sct", "234336002") in codes_of(hsct["code"])
    assert ext(hsct, "HSCT.donor_type")[0]["valueCoding"]["code"] == "matched_unrelated"
    (cond,) = ext(hsct, "HSCT.conditioning")
    assert {"url": "intensity", "valueString": "myeloablative"} in cond["extension"]


def test_relapse_is_a_condition_in_relapse_with_its_sites(bundle):
    rel = by_event(bundle, "rel1")
    assert rel["clinicalStatus"]["coding"][0]["code"] == "relapse"
    sites = [codes_of(s) for s in rel["bodySite"]]
    assert ("http://snomed.info/sct", "14016003") in sites[0]  # bone marrow
    assert ("http://snomed.info/sct", "21483005") in sites[1]  # central nervous system
    assert ext(rel, "Relapse.marrow_blasts_pct")[0]["valueDecimal"] == 42


def test_disease_assessment_carries_response_counts_mrd_and_csf(bundle):
    d28 = by_event(bundle, "car1-d28")
    assert d28["meta"]["profile"] == [MCODE + "mcode-cancer-disease-status"]
    assert ("http://loinc.org", "97509-4") in codes_of(d28["code"])
    assert d28["valueCodeableConcept"]["text"] == "CR"
    assert d28["partOf"] == [{"reference": f"urn:uuid:{by_event(bundle, 'car1')['id']}"}]
    components = {c["code"]["text"]: c for c in d28["component"]}
    assert components["platelets"]["valueQuantity"]["code"] == "10*9/L"
    members = {m["reference"] for m in d28["hasMember"]}
    mrd, csf = [o for o in resources(bundle, "Observation") if f"urn:uuid:{o['id']}" in members]
    assert mrd["meta"]["profile"] == [MCODE + "mcode-tumor-marker-test"]
    assert (
        mrd["valueQuantity"]["value"] == 0
        and mrd["interpretation"][0]["coding"][0]["code"] == "NEG"
    )
    assert mrd["method"]["text"] == "flow"
    assert ext(mrd, "MRD.sensitivity")[0]["valueDecimal"] == 1e-5
    assert {
        c["code"]["text"]: c.get("valueQuantity", {}).get("value", c.get("valueBoolean"))
        for c in csf["component"]
    } == {"white cells in CSF": 1, "red cells in CSF": 0, "blasts on CSF cytospin": False}


def test_toxicity_is_an_adverse_event_with_its_grade_and_scale(bundle):
    crs = by_event(bundle, "crs1")
    assert crs["resourceType"] == "AdverseEvent" and crs["date"] == "2021-10-14"
    (grade,) = ext(crs, "toxicity-grade")
    assert (
        grade["valueCoding"]["system"] == "https://remission.dev/fhir/CodeSystem/grade-astct-2019"
    )
    assert grade["valueCoding"]["code"] == "2"
    assert crs["severity"]["coding"][0]["code"] == "moderate"
    assert (
        crs["suspectEntity"][0]["instance"]["reference"]
        == f"urn:uuid:{by_event(bundle, 'car1')['id']}"
    )
    assert [t["valueCoding"]["code"] for t in ext(crs, "ToxicityEpisode.treatments")] == [
        "tocilizumab"
    ]
    assert ext(crs, "ToxicityEpisode.resolved")[0]["valueString"] == "car1+7d"


def test_series_are_panels_of_points_with_loinc_where_one_exists(bundle):
    panels = [
        o for o in resources(bundle, "Observation") if o.get("hasMember") and o.get("identifier")
    ]
    il6 = next(p for p in panels if p["identifier"][0]["value"] == "il6")
    assert ("http://loinc.org", "26881-3") in codes_of(il6["code"])
    points = [
        o
        for o in resources(bundle, "Observation")
        if {"reference": f"urn:uuid:{o['id']}"} in il6["hasMember"]
    ]
    assert [p["valueQuantity"]["value"] for p in points] == [6, 480, 95, 12]
    assert points[1]["effectiveDateTime"] == "2021-10-15"  # day 3 after a dated infusion
    cart = next(p for p in panels if p["identifier"][0]["value"] == "cart-flow")
    last = next(
        o
        for o in resources(bundle, "Observation")
        if {"reference": f"urn:uuid:{o['id']}"} == cart["hasMember"][-1]
    )
    assert "valueQuantity" not in last  # BLQ: never written as zero
    assert last["interpretation"][0]["coding"][0]["code"] == "blq"


def test_bedside_assessment_components_use_loinc_vital_signs(bundle):
    bedside = [
        o
        for o in resources(bundle, "Observation")
        if o["code"]["coding"][0]["code"] == "bedside-assessment"
    ]
    assert len(bedside) == 4
    temp = bedside[1]["component"][0]
    assert ("http://loinc.org", "8310-5") in codes_of(temp["code"])
    assert temp["valueQuantity"] == {
        "value": 39.4,
        "unit": "Cel",
        "system": "http://unitsofmeasure.org",
        "code": "Cel",
    }
    flow = next(
        c for c in bedside[1]["component"] if c["code"]["text"] == "inhaled oxygen flow rate"
    )
    assert flow["valueQuantity"]["value"] == 2


def test_death_marks_the_patient_deceased_at_the_precision_known():
    case = parse_document_text(
        "id: d1\ndiagnosis: {date: 2015}\ntimeline:\n"
        "  - {id: car1, type: car_t_infusion, date: 2016-05}\n"
        "  - {id: dead, type: death, date: 2016-11, cause: disease}\n"
    )
    bundle = case_to_bundle(case)
    (patient,) = resources(bundle, "Patient")
    assert patient["deceasedDateTime"] == "2016-11"
    death = by_event(bundle, "dead")
    assert ("http://snomed.info/sct", "419620001") in codes_of(death["code"])
    assert death["valueCodeableConcept"]["text"] == "disease"


def test_an_undated_death_is_deceased_true():
    case = parse_document_text("id: d2\ntimeline:\n  - {id: dead, type: death}\n")
    (patient,) = resources(case_to_bundle(case), "Patient")
    assert patient["deceasedBoolean"] is True


def test_empty_free_text_is_carried_although_fhir_strings_cannot_be_empty():
    case = Case.model_validate(
        {
            "id": "e1",
            "notes": "",
            "timeline": [{"id": "x", "type": "other", "label": "x", "note": ""}],
        }
    )
    bundle = case_to_bundle(case)
    assert bundle_problems(bundle) == []
    other = by_event(bundle, "x")
    assert ext(other, "OtherEvent.note")[0]["extension"] == [
        {"url": "empty-text", "valueBoolean": True}
    ]
