"""The review report as one self-contained HTML file with Chart.js charts.

Everything is inside the file: the CSS, the vendored Chart.js
(``vendor/chart.umd.min.js``, MIT, see ``vendor/LICENSE-chart.js.md``), the
report's data as JSON in a ``<script type="application/json">`` element, and a
short script that draws the charts from that data. Tables are rendered here,
with every value escaped; the page loads nothing from the network.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from executor.reports._sections import Section, Table, sections
from executor.reports.model import Report

__all__ = ["CHART_IDS", "render_html"]

_VENDOR = Path(__file__).parent / "vendor" / "chart.umd.min.js"
CHART_IDS: dict[str, str] = {
    "outcomes": "Outcomes by action (this period)",
    "escalations": "Escalations by kind, this period and the previous one",
    "latency": "Approval latency against the TTL, by action (hours, log scale)",
    "budgets": "Budget use: peak window usage as a share of the limit (%)",
}

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:18px 28px}header h1{margin:0 0 6px;font-size:22px}
header p{margin:2px 0;color:#c9d1dc}main{padding:8px 28px 40px;max-width:1280px}
section{background:#fff;border:1px solid #dde2e8;border-radius:8px;margin:18px 0;padding:14px 18px}
h2{font-size:18px;margin:4px 0 8px}h3{font-size:14px;margin:14px 0 6px;color:#44505e}
table{border-collapse:collapse;width:100%;margin:4px 0 10px;font-size:13px}
th,td{border-bottom:1px solid #e6e9ee;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}.empty{color:#7a8594;font-style:italic}
.chart{position:relative;height:300px;margin:8px 0 14px}.intro{color:#44505e}
"""

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var cur = data.current, prev = data.previous;
  var palette = {succeeded: "#2e9d5b", failed: "#d64545", aborted: "#e08a2c", unverified: "#b23ad1",
    expired: "#8a8f98", rejected: "#5b6470", denied: "#7b4a2e", cancelled: "#b8bec7",
    awaiting_approval: "#3a78d1", awaiting_confirmation: "#58a6e8", queued: "#9cc3f0",
    executing: "#f2c94c", in_doubt: "#ff5fa2", received: "#cccccc"};
  var base = {animation: false, responsive: true, maintainAspectRatio: false,
    plugins: {legend: {position: "bottom"}}};
  function chart(id, config) {
    var canvas = document.getElementById("chart-" + id);
    if (canvas) { new Chart(canvas, config); }
  }
  var actions = Object.keys(cur.by_action);
  var states = [];
  actions.forEach(function (a) {
    Object.keys(cur.by_action[a].states).forEach(function (s) { if (states.indexOf(s) < 0) states.push(s); });
  });
  chart("outcomes", {type: "bar", data: {labels: actions, datasets: states.map(function (s) {
      return {label: s, backgroundColor: palette[s] || "#999",
              data: actions.map(function (a) { return cur.by_action[a].states[s] || 0; })};
    })}, options: Object.assign({}, base, {scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true,
      ticks: {precision: 0}}}})});
  var kinds = Object.keys(cur.escalations);
  chart("escalations", {type: "bar", data: {labels: kinds, datasets: [
      {label: "this period", backgroundColor: "#d64545", data: kinds.map(function (k) { return cur.escalations[k]; })},
      {label: "previous period", backgroundColor: "#b8bec7",
       data: kinds.map(function (k) { return prev.escalations[k] || 0; })}]},
    options: Object.assign({}, base, {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}})});
  var lat = cur.approval_latency_by_action, latActions = Object.keys(lat);
  function hours(v) { return v === null || v === undefined ? null : Math.max(v / 3600, 0.001); }
  chart("latency", {type: "bar", data: {labels: latActions, datasets: [
      {label: "p50", backgroundColor: "#58a6e8", data: latActions.map(function (a) { return hours(lat[a].p50_s); })},
      {label: "p90", backgroundColor: "#3a78d1", data: latActions.map(function (a) { return hours(lat[a].p90_s); })},
      {label: "TTL", backgroundColor: "#b8bec7", data: latActions.map(function (a) { return hours(lat[a].ttl_s); })}]},
    options: Object.assign({}, base, {scales: {y: {type: "logarithmic"}}})});
  var limits = Object.keys(cur.budgets);
  chart("budgets", {type: "bar", data: {labels: limits, datasets: [
      {label: "peak / max (%)", backgroundColor: limits.map(function (l) {
          return cur.budgets[l].peak_share >= 1 ? "#d64545" : "#2e9d5b"; }),
       data: limits.map(function (l) { return Math.round(cur.budgets[l].peak_share * 1000) / 10; })}]},
    options: Object.assign({}, base, {indexAxis: "y", scales: {x: {beginAtZero: true, suggestedMax: 100}}})});
  document.body.setAttribute("data-charts", String(Chart.instances ? Object.keys(Chart.instances).length : 0));
})();
"""


@lru_cache(maxsize=1)
def _chart_js() -> str:
    return _VENDOR.read_text(encoding="utf-8")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(table: Table) -> str:
    caption = f"<h3>{_e(table.caption)}</h3>" if table.caption else ""
    if not table.rows:
        return f'{caption}<p class="empty">{_e(table.empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in table.rows)
    return f"{caption}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(section: Section) -> str:
    chart = ""
    if section.chart is not None:
        label = CHART_IDS[section.chart]
        chart = (f'<h3>{_e(label)}</h3><div class="chart"><canvas id="chart-{section.chart}" role="img" '
                 f'aria-label="{_e(label)}"></canvas></div>')
    tables = "".join(_table(t) for t in section.tables)
    return (f'<section id="{section.key}"><h2>{_e(section.title)}</h2><p class="intro">{_e(section.intro)}</p>'
            f"{chart}{tables}</section>")


def _json_for_script(text: str) -> str:
    """JSON that cannot end its <script> element early."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(report: Report) -> str:
    """The whole report as one HTML document."""
    cur, prev = report.current.window, report.previous.window
    title = f"Steward review report ({report.period}) {cur.since} to {cur.until}"
    body = "".join(_section(s) for s in sections(report))
    data = _json_for_script(report.model_dump_json())
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head><body>'
        f"<header><h1>Steward review report ({_e(report.period)})</h1>"
        f"<p>Window {_e(cur.since)} to {_e(cur.until)}; previous period {_e(prev.since)} to {_e(prev.until)}</p>"
        f"<p>Generated {_e(report.generated_at)}; catalog {_e(report.catalog_version[:12])}; policy "
        f"{_e(report.policy_version[:12] or '-')} (owner {_e(report.policy_owner or '-')})</p></header>"
        f"<main>{body}</main>"
        f'<script type="application/json" id="report-data">{data}</script>'
        f"<script>{_chart_js()}</script><script>{_SCRIPT}</script>"
        "</body></html>\n"
    )
