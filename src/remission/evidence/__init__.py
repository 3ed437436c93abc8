"""From case-report text to a reviewed draft Case, with evidence for every value (issue 6).

The extractor (and with it spaCy and medspaCy, a second or two to load) is imported on first use
(PEP 562), so reviewing a draft or scoring nothing does not pay for it.
"""

import importlib
from typing import TYPE_CHECKING, Any

from remission.evidence.result import DocumentKind, ExtractedEvent, ExtractionResult, PatientResult

_LAZY = {
    "RuleExtractor": "remission.evidence.extract",
    "extract_text": "remission.evidence.extract",
}

__all__ = [
    "DocumentKind",
    "ExtractedEvent",
    "ExtractionResult",
    "PatientResult",
    "RuleExtractor",
    "extract_text",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'remission.evidence' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover
    from remission.evidence.extract import RuleExtractor, extract_text
