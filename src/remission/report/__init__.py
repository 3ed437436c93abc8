"""Reports: one self-contained HTML file (no external requests) per case or cohort."""

from remission.report.case_report import case_report_context, render_case_report

__all__ = ["case_report_context", "render_case_report"]
