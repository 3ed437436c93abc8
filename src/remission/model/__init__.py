"""The schema: one Case per patient course, its events, observations and vocabularies.

Everything that enters remission becomes a :class:`Case` (or, for a published series known only
by its counts, a :class:`CohortAggregate`); everything that comes out is drawn from them.
"""

from remission.model.assessment import CRSAssessment, ICANSAssessment
from remission.model.case import SCHEMA_VERSION, Case, CaseConsistencyError, DailyAssessment, Source
from remission.model.cohort import AgeStats, CohortAggregate, CountStat, IndexTherapySpec
from remission.model.events import (
    HSCT,
    MRD,
    CarTInfusion,
    Conditioning,
    CSFFindings,
    Death,
    DiseaseAssessment,
    Donor,
    Dose,
    Event,
    ExtramedullaryFinding,
    FollowUp,
    Imaging,
    Lymphodepletion,
    OtherEvent,
    Relapse,
    StatedGrade,
    Therapy,
    ToxicityEpisode,
)
from remission.model.evidence import Evidence, ExtractedValue, Extraction, TextSpan
from remission.model.observations import ObservationPoint, ObservationSeries
from remission.model.patient import Age, Diagnosis, Patient
from remission.model.summary import CaseSummary, CohortSummary, IndexTherapySummary
from remission.model.time import Interval, PartialDate, RelativeTime, parse_time
from remission.model.vocab import Term, Vocabulary, load_vocabulary, vocabulary_names

__all__ = [
    "HSCT",
    "MRD",
    "SCHEMA_VERSION",
    "Age",
    "AgeStats",
    "CRSAssessment",
    "CSFFindings",
    "CarTInfusion",
    "Case",
    "CaseConsistencyError",
    "CaseSummary",
    "CohortAggregate",
    "CohortSummary",
    "Conditioning",
    "CountStat",
    "DailyAssessment",
    "Death",
    "Diagnosis",
    "DiseaseAssessment",
    "Donor",
    "Dose",
    "Event",
    "Evidence",
    "ExtractedValue",
    "Extraction",
    "ExtramedullaryFinding",
    "FollowUp",
    "ICANSAssessment",
    "Imaging",
    "IndexTherapySpec",
    "IndexTherapySummary",
    "Interval",
    "Lymphodepletion",
    "ObservationPoint",
    "ObservationSeries",
    "OtherEvent",
    "PartialDate",
    "Patient",
    "Relapse",
    "RelativeTime",
    "Source",
    "StatedGrade",
    "Term",
    "TextSpan",
    "Therapy",
    "ToxicityEpisode",
    "Vocabulary",
    "load_vocabulary",
    "parse_time",
    "vocabulary_names",
]
