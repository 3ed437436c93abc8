"""Reading and writing other formats: CSV profiles, FHIR, cBioPortal study folders
(:mod:`~remission.interop.cbioportal`), the registry-shaped summary
(:mod:`~remission.interop.registry`) and de-identification for sharing
(:mod:`~remission.interop.deidentify`); see docs/interop.md."""
