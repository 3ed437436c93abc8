"""Reading and writing other formats (CSV profiles; FHIR, cBioPortal and exports to come)."""
