"""Review reports: the daily triage and the weekly review (``steward report``).

``build_report`` reads the figures of a window and of the window just before
it from ``steward_requests`` and the audit log (read-only); ``render_html``
(one self-contained file with Chart.js charts), ``render_markdown`` and
``Report.model_dump_json`` write them.
"""

from executor.reports.data import PERIODS, build_report, nearest_rank, period_window, read_period
from executor.reports.errors import ReportError, ReportInputError, ReportReadError
from executor.reports.model import ESCALATION_KINDS, Period, Report
from executor.reports.render_html import CHART_IDS, render_html
from executor.reports.render_md import render_markdown

__all__ = [
    "CHART_IDS",
    "ESCALATION_KINDS",
    "PERIODS",
    "Period",
    "Report",
    "ReportError",
    "ReportInputError",
    "ReportReadError",
    "build_report",
    "nearest_rank",
    "period_window",
    "read_period",
    "render_html",
    "render_markdown",
]
