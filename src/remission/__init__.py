"""remission: relapsed/refractory B-ALL courses under CD19-directed immunotherapy.

The public surface is what this module exports (``__all__``, guarded by a test): the Case model,
case files, the store, the derived summary and the API functions the CLI and web app share.
Subpackages (``remission.rules``, ``remission.kinetics``, ...) have their own ``__all__``.
"""

import importlib
from typing import TYPE_CHECKING, Any

# Names are imported on first use (PEP 562), so `import remission` and the CLI start fast.
_LAZY: dict[str, str] = {
    "Case": "remission.model",
    "CaseFileError": "remission.exceptions",
    "CaseNotFoundError": "remission.exceptions",
    "CaseSummary": "remission.model",
    "ChronologyError": "remission.exceptions",
    "CohortAggregate": "remission.model",
    "CohortSummary": "remission.model",
    "DraftPendingError": "remission.exceptions",
    "DuplicateIdError": "remission.exceptions",
    "ExtractionError": "remission.exceptions",
    "FhirBundleError": "remission.exceptions",
    "FhirImportWarning": "remission.exceptions",
    "GradingInputError": "remission.exceptions",
    "ImportReport": "remission.api",
    "InputError": "remission.exceptions",
    "KineticsInputError": "remission.exceptions",
    "PrecisionWarning": "remission.exceptions",
    "Problem": "remission.exceptions",
    "RemissionError": "remission.exceptions",
    "RemissionWarning": "remission.exceptions",
    "ReviewError": "remission.exceptions",
    "Store": "remission.store",
    "StoreError": "remission.exceptions",
    "VersionConflictError": "remission.exceptions",
    "VocabularyError": "remission.exceptions",
    "current_user": "remission.api",
    "default_url": "remission.store",
    "document_schema": "remission.api",
    "draft_cases": "remission.evidence.draft",
    "dump_document": "remission.casefile",
    "export_document": "remission.api",
    "extract_text": "remission.evidence.extract",
    "get_document": "remission.api",
    "history": "remission.api",
    "import_documents": "remission.api",
    "import_files": "remission.api",
    "list_documents": "remission.api",
    "bundle_to_case": "remission.interop.fhir",
    "case_to_bundle": "remission.interop.fhir",
    "load_file": "remission.casefile",
    "load_files": "remission.casefile",
    "parse_document_text": "remission.casefile",
    "summarize": "remission.rules.summary",
    "summarize_cohort": "remission.rules.summary",
    "summarize_document": "remission.api",
    "validate_files": "remission.api",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'remission' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from remission.api import (
        ImportReport,
        current_user,
        document_schema,
        export_document,
        get_document,
        history,
        import_documents,
        import_files,
        list_documents,
        summarize_document,
        validate_files,
    )
    from remission.casefile import dump_document, load_file, load_files, parse_document_text
    from remission.evidence.draft import draft_cases
    from remission.evidence.extract import extract_text
    from remission.exceptions import (
        CaseFileError,
        CaseNotFoundError,
        ChronologyError,
        DraftPendingError,
        DuplicateIdError,
        ExtractionError,
        FhirBundleError,
        FhirImportWarning,
        GradingInputError,
        InputError,
        KineticsInputError,
        PrecisionWarning,
        Problem,
        RemissionError,
        RemissionWarning,
        ReviewError,
        StoreError,
        VersionConflictError,
        VocabularyError,
    )
    from remission.interop.fhir import bundle_to_case, case_to_bundle
    from remission.model import Case, CaseSummary, CohortAggregate, CohortSummary
    from remission.rules.summary import summarize, summarize_cohort
    from remission.store import Store, default_url

__version__ = "0.1.0"

__all__ = [
    "Case",
    "CaseFileError",
    "CaseNotFoundError",
    "CaseSummary",
    "ChronologyError",
    "CohortAggregate",
    "CohortSummary",
    "DraftPendingError",
    "DuplicateIdError",
    "ExtractionError",
    "FhirBundleError",
    "FhirImportWarning",
    "GradingInputError",
    "ImportReport",
    "InputError",
    "KineticsInputError",
    "PrecisionWarning",
    "Problem",
    "RemissionError",
    "RemissionWarning",
    "ReviewError",
    "Store",
    "StoreError",
    "VersionConflictError",
    "VocabularyError",
    "__version__",
    "bundle_to_case",
    "case_to_bundle",
    "current_user",
    "default_url",
    "document_schema",
    "draft_cases",
    "dump_document",
    "export_document",
    "extract_text",
    "get_document",
    "history",
    "import_documents",
    "import_files",
    "list_documents",
    "load_file",
    "load_files",
    "parse_document_text",
    "summarize",
    "summarize_cohort",
    "summarize_document",
    "validate_files",
]
