"""Errors of the review reports.

::

    StewardError (executor.errors)
    └── ReportError                 a report could not be produced
        ├── ReportInputError        the window or format asked for is wrong; fix the
        │                           command (retrying the same one never helps)
        └── ReportReadError         the database could not be read; retrying may help
"""

from __future__ import annotations

from executor.errors import StewardError

__all__ = ["ReportError", "ReportInputError", "ReportReadError"]


class ReportError(StewardError):
    """A report could not be produced; nothing was written."""

    code = "report_error"


class ReportInputError(ReportError):
    """Bad input: a window that ends before it starts, an unknown period or format."""

    code, status, retryable = "bad_report_input", 400, False


class ReportReadError(ReportError):
    """The requests table or the audit log could not be read."""

    code, status, retryable = "report_read_failed", 503, True
