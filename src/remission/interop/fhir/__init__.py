"""FHIR R4 (mCODE STU4-aligned) Bundles: Case -> Bundle and back, lossless.

``case_to_bundle(case)`` gives one Bundle per case as JSON-ready data, valid against
``fhir.resources``' R4B models; ``bundle_to_case(data)`` reads such a Bundle - or one from another
system - back into a Case. The mapping is documented in docs/interop.md ("FHIR").
"""

from remission.interop.fhir.bundle_json import (
    MAX_BUNDLE_BYTES,
    is_bundle_text,
    looks_like_bundle,
    parse_bundle_text,
)
from remission.interop.fhir.export import case_to_bundle
from remission.interop.fhir.import_ import bundle_to_case, read_bundle_file
from remission.interop.fhir.validate import bundle_problems

__all__ = [
    "MAX_BUNDLE_BYTES",
    "bundle_problems",
    "bundle_to_case",
    "case_to_bundle",
    "is_bundle_text",
    "looks_like_bundle",
    "parse_bundle_text",
    "read_bundle_file",
]
