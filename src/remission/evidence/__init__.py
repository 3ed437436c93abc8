"""From case-report text to a reviewed draft Case, with evidence for every value (issue 6)."""

from remission.evidence.result import DocumentKind, ExtractedEvent, ExtractionResult, PatientResult

__all__ = ["DocumentKind", "ExtractedEvent", "ExtractionResult", "PatientResult"]
