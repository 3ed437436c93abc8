"""remission: relapsed/refractory B-ALL courses under CD19-directed immunotherapy.

The public surface is what this module exports (``__all__``, guarded by a test): the Case model,
case files, the store, the derived summary and the API functions the CLI and web app share.
Subpackages (``remission.rules``, ``remission.kinetics``, ...) have their own ``__all__``.
"""

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
from remission.exceptions import (
    CaseFileError,
    CaseNotFoundError,
    ChronologyError,
    DuplicateIdError,
    GradingInputError,
    InputError,
    KineticsInputError,
    PrecisionWarning,
    Problem,
    RemissionError,
    RemissionWarning,
    StoreError,
    VersionConflictError,
    VocabularyError,
)
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
    "DuplicateIdError",
    "GradingInputError",
    "ImportReport",
    "InputError",
    "KineticsInputError",
    "PrecisionWarning",
    "Problem",
    "RemissionError",
    "RemissionWarning",
    "Store",
    "StoreError",
    "VersionConflictError",
    "VocabularyError",
    "__version__",
    "current_user",
    "default_url",
    "document_schema",
    "dump_document",
    "export_document",
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
