"""The review report as Markdown: a title, the window, then each section's tables."""

from __future__ import annotations

from executor.reports._sections import Table, sections
from executor.reports.model import Report

__all__ = ["render_markdown"]


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _table(table: Table) -> list[str]:
    lines = [f"**{table.caption}**", ""] if table.caption else []
    if not table.rows:
        return [*lines, f"_{table.empty}_", ""]
    lines.append("| " + " | ".join(_cell(h) for h in table.headers) + " |")
    lines.append("|" + "|".join("---" for _ in table.headers) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return [*lines, ""]


def render_markdown(report: Report) -> str:
    """The whole report as Markdown text."""
    cur, prev = report.current.window, report.previous.window
    lines = [
        f"# Steward review report ({report.period})",
        "",
        f"- Window: {cur.since} to {cur.until}; previous period: {prev.since} to {prev.until}",
        f"- Generated: {report.generated_at}",
        f"- Catalog {report.catalog_version[:12]}; policy {report.policy_version[:12] or '-'}"
        f" (owner: {report.policy_owner or '-'})",
        "",
    ]
    for section in sections(report):
        lines += [f"## {section.title}", "", section.intro, ""]
        for table in section.tables:
            lines += _table(table)
    return "\n".join(lines).rstrip() + "\n"
