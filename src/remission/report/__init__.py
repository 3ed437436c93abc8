"""Reports: one self-contained HTML file (no external requests) per case or cohort.

:mod:`remission.report.case_data` (the report's data, no figures) imports no plotting or
fitting library; the names below load :mod:`remission.report.case_report` on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from remission.report.case_report import case_report_context, render_case_report

__all__ = ["case_report_context", "render_case_report"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from remission.report import case_report

        value = getattr(case_report, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
