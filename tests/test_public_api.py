"""The public surface is explicit: a name leaves or joins ``remission.__all__`` only on purpose."""

import remission

EXPECTED = {
    "Case", "CaseFileError", "CaseNotFoundError", "CaseSummary", "ChronologyError", "CohortAggregate",
    "CohortSummary", "DuplicateIdError", "GradingInputError", "ImportReport", "InputError",
    "KineticsInputError", "PrecisionWarning", "Problem", "RemissionError", "RemissionWarning", "Store",
    "StoreError", "VersionConflictError", "VocabularyError", "__version__", "current_user",
    "default_url", "document_schema", "dump_document", "export_document", "get_document", "history",
    "import_documents", "import_files", "list_documents", "load_file", "load_files",
    "parse_document_text", "summarize", "summarize_cohort", "summarize_document", "validate_files",
    # text extraction (issue 6)
    "DraftPendingError", "ExtractionError", "ReviewError", "draft_cases", "extract_text",
    # FHIR interop (issue 8)
    "FhirBundleError", "FhirImportWarning", "bundle_to_case", "case_to_bundle",
}


def test_all_is_exactly_the_documented_surface():
    assert set(remission.__all__) == EXPECTED


def test_every_exported_name_exists():
    for name in remission.__all__:
        assert hasattr(remission, name), name


def test_all_is_sorted_and_unique():
    assert len(remission.__all__) == len(set(remission.__all__))


def test_errors_share_one_base_class():
    for name in remission.__all__:
        obj = getattr(remission, name)
        if isinstance(obj, type) and name.endswith("Error"):
            assert issubclass(obj, remission.RemissionError), name
