"""From case-report text to a reviewed draft Case, with evidence for every value (issue 6)."""

from remission.evidence.extract import RuleExtractor, extract_text
from remission.evidence.result import DocumentKind, ExtractedEvent, ExtractionResult, PatientResult

__all__ = [
    "DocumentKind",
    "ExtractedEvent",
    "ExtractionResult",
    "PatientResult",
    "RuleExtractor",
    "extract_text",
]
