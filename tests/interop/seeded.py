"""A fictional case seeded with identifiers in its id, its event ids and every free-text field,
for the de-identification tests. Every name, place and number here is invented."""

from __future__ import annotations

from remission.casefile import parse_document_text
from remission.model import Case

#: What must not survive de-identification in any export (searched case-insensitively).
IDENTIFIERS: tuple[str, ...] = (
    "Vandermeer",  # the patient's surname
    "Eleanor",  # her first name
    "Quellhorst",  # the treating physician
    "Aldhelm",  # the hospital
    "Wexcombe",  # the town
    "48213977",  # the record number
    "example.org",  # the e-mail and web domain
    "7946 0958",  # the phone number
    "12 March 2021",  # a date written in a note
    "2021-03-12",  # the diagnosis date
    "2021-09-30",  # the infusion date
    "2021-10-28",  # the day-28 assessment
    "2022-01-15",  # the transplant date
    "2022-04-02",  # the last follow-up
)

SEEDED_YAML = """
schema_version: 1
kind: case
id: vandermeer-mrn48213977
status: final
source:
  kind: clinical_record
  citation: Chart of Eleanor Vandermeer, Saint Aldhelm Children's Hospital, Wexcombe
  doi: 10.5555/vandermeer.48213977
  pmid: "48213977"
  url: https://aldhelm.example.org/charts/48213977
  note: Exported by Dr Quellhorst on 12 March 2021
notes: >-
  Eleanor Vandermeer (MRN 48213977), e.vandermeer@example.org, phone +44 20 7946 0958,
  lives in Wexcombe; seen at Saint Aldhelm on 12 March 2021.
complete_history: true
patient:
  sex: female
  birth_year: 1928
  age: {value: 93, unit: years, at: diagnosis}
  ethnicity: Wexcombe native
  note: Eleanor prefers to be called Ellie Vandermeer
diagnosis:
  date: 2021-03-12
  disease: B-ALL
  subtype: Vandermeer variant
  ph_positive: false
  kinase_mutations: [T315I, Vandermeer-48213977]
  genetics: [IKZF1 deletion, Eleanor Vandermeer]
  risk_group: Saint Aldhelm high
  cd19: positive
  note: Diagnosed at Saint Aldhelm, Wexcombe, on 12 March 2021 by Dr Quellhorst
index: [vandermeer-car]
timeline:
  - id: vandermeer-induction
    type: therapy
    start: 2021-03-15
    end: vandermeer-induction+28d
    agents: [vincristine, dexamethasone]
    protocol: Quellhorst Wexcombe protocol
    dose: {value: 2, unit: Vandermeer units}
    note: Given at Saint Aldhelm (MRN 48213977)
  - id: rel-48213977
    type: relapse
    date: 2021-06
    number: 1
    sites: [marrow]
    marrow_blasts_pct: 40
    genetics: [Quellhorst marker]
    kinase_mutations: [Wexcombe]
    extent: Seen by Dr Quellhorst in Wexcombe
    note: Relapse noted on 12 March 2021 by Eleanor's mother
  - id: quellhorst-bridging
    type: therapy
    start: vandermeer-car-20d
    agents: [blinatumomab]
    intent: bridging
    note: Bridging arranged by e.vandermeer@example.org
  - id: vandermeer-car
    type: car_t_infusion
    date: 2021-09-30
    product: tisagenlecleucel
    construct_name: Aldhelm batch Vandermeer
    trial: Wexcombe-48213977
    dose: {value: 2.0e+6, unit: cells/kg}
    lymphodepletion:
      agents: [fludarabine, cyclophosphamide]
      start: vandermeer-car-5d
      note: Flu/Cy at Saint Aldhelm ward 48213977
    note: Infused by Dr Quellhorst, phone +44 20 7946 0958
  - id: vandermeer-crs
    type: toxicity
    syndrome: crs
    after: vandermeer-car
    onset: vandermeer-car+2d
    resolved: vandermeer-car+6d
    grade: {grade: 2, scale: ASTCT 2019}
    treatments: [tocilizumab]
    note: Dr Quellhorst gave tocilizumab on 12 March 2021
  - id: vandermeer-other
    type: toxicity
    syndrome: other
    term: Quellhorst syndrome
    organs: [Wexcombe]
    after: vandermeer-car
    onset: vandermeer-car+3d
    note: Reported by Eleanor Vandermeer
  - id: vandermeer-d28
    type: disease_assessment
    date: 2021-10-28
    assesses: vandermeer-car
    response: CR
    marrow_blasts_pct: 1
    anc_10e9_l: 1.5
    platelets_10e9_l: 120
    mrd: {value: 0, detectable: false, method: flow, sensitivity: 1.0e-4}
    imaging:
      - {modality: MRI, result: negative, finding: MRI at Saint Aldhelm read by Dr Quellhorst}
    note: Marrow read by Dr Quellhorst (48213977)
  - id: visit-wexcombe
    type: other
    date: vandermeer-car+40d
    label: Clinic visit in Wexcombe with Eleanor Vandermeer
    note: Called +44 20 7946 0958
  - id: hsct-aldhelm
    type: hsct
    date: 2022-01-15
    kind: allogeneic
    donor_type: matched_sibling
    donor: {relation: sister, hla_match: Quellhorst 10/10}
    conditioning:
      agents: [fludarabine, treosulfan]
      note: Conditioning in Wexcombe
    note: Transplant at Saint Aldhelm on 12 March 2021
  - id: fu-vandermeer
    type: follow_up
    date: 2022-04-02
    alive: true
    disease_status: remission
    note: Eleanor Vandermeer well, e-mail e.vandermeer@example.org
  - id: death-vandermeer
    type: death
    date: fu-vandermeer+30d
    cause: infection
    note: Died at Saint Aldhelm, Wexcombe
assessments:
  - at: vandermeer-car+2d
    crs: {temperature_c: 38.6}
    icans: {age_years: 93, ice_score: 10}
    note: Assessed by Dr Quellhorst
observations:
  - id: vandermeer-cart
    analyte: car_t_pct_t_cells
    unit: "%"
    method: Quellhorst lab assay 48213977
    anchor: vandermeer-car
    points:
      - {day: 7, value: 4.2}
      - {day: 14, value: 9.1}
      - {at: 2021-10-28, value: 1.1}
    note: Measured in Wexcombe for Eleanor Vandermeer
"""

DRAFT_EXTRACTION = """
extraction:
  extractor: rules 1
  text_sha256: "0000000000000000000000000000000000000000000000000000000000000000"
  file: /home/quellhorst/vandermeer-48213977.txt
  text: Eleanor Vandermeer, MRN 48213977, was treated in Wexcombe.
  patient_label: Eleanor Vandermeer
  values:
    - field: crs_max_grade
      value: 2
      status: accepted
      reviewer: Dr Quellhorst
      evidence:
        - spans: [{start: 0, end: 18, text: Eleanor Vandermeer}]
"""


def seeded_case() -> Case:
    """The seeded case, validated."""
    doc = parse_document_text(SEEDED_YAML, "seeded.yaml")
    assert isinstance(doc, Case)
    return doc


def seeded_draft() -> Case:
    """The same case as a draft with an extraction block (report text, evidence, reviewer)."""
    text = SEEDED_YAML.replace("status: final", "status: draft") + DRAFT_EXTRACTION
    doc = parse_document_text(text, "seeded-draft.yaml")
    assert isinstance(doc, Case)
    return doc
