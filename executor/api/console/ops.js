// Steward console, part 6: the operations view (figures now and the daily report).
"use strict";

// -- operations ------------------------------------------------------------------------

function pct(v) { return v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)} %`; }

function bars(caption, counts, hrefOf) {
  const max = Math.max(1, ...Object.values(counts));
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]).map(([name, n]) => {
    const meter = el("meter", null, { min: "0", max: String(max), value: String(n), "aria-label": `${name}: ${n}` });
    return row([link(name, hrefOf(name)), String(n), meter]);
  });
  return rows.length ? table(caption, ["", "Requests", "Share"], rows) : el("p", "None in the window.");
}

async function showOps() {
  const data = await api("GET", "/v1/ops/overview");
  const now = data.now;
  const cur = data.report.current;
  const prev = data.report.previous;
  const win = cur.window;
  const inWindow = (extra) => listHash({ ...extra, since: win.since, until: win.until });
  const headline = [
    ["Requests", cur.requests, prev.requests, inWindow({})],
    ["Executed", cur.executed, prev.executed, null],
    ["Success rate", pct(cur.success_rate), pct(prev.success_rate), inWindow({ state: "succeeded" })],
    ["Verified rate", pct(cur.verified_rate), pct(prev.verified_rate), null],
    ["Escalations", Object.values(cur.escalations).reduce((a, b) => a + b, 0),
      Object.values(prev.escalations).reduce((a, b) => a + b, 0), null],
    ["Approvals / rejections", `${cur.approvals} / ${cur.rejections}`, `${prev.approvals} / ${prev.rejections}`, null],
    ["Approval latency p50 / p90", `${duration(cur.approval_latency.p50_s)} / ${duration(cur.approval_latency.p90_s)}`,
      `${duration(prev.approval_latency.p50_s)} / ${duration(prev.approval_latency.p90_s)}`, null],
    ["Halted by a kill switch", cur.halted, prev.halted, null],
  ].map(([name, a, b, href]) => row([href ? link(name, href) : name, a, b]));
  const nowFacts = facts([
    ["Queued", link(String(now.queued), listHash({ state: "queued", sort: "created_at" }))],
    ["Oldest queued for", duration(now.oldest_queued_age_s)],
    ["Awaiting approval", link(String(now.awaiting_approval), me.role === "operator" ? "#/approvals" : listHash({ state: "awaiting_approval" }))],
    ["Awaiting confirmation", link(String(now.awaiting_confirmation), listHash({ state: "awaiting_confirmation" }))],
    ["Kill switches engaged", now.kill_switches.length ? now.kill_switches.join(", ") : "none"],
  ]);
  const escalations = Object.entries(cur.escalations).filter(([, n]) => n > 0);
  $("ops").replaceChildren(
    section("Now", nowFacts),
    section(`Daily report: ${win.since} to ${win.until}`,
      el("p", `Generated ${data.report.generated_at}; policy ${data.report.policy_version.slice(0, 12)}. Every figure beside the previous 24 hours.`, { class: "hint" }),
      table("Key figures", ["Figure", "Last 24 h", "The 24 h before"], headline)),
    section("Outcomes by state", bars("Requests by state", cur.states, (s) => inWindow({ state: s }))),
    section("Requests by action", bars("Requests by action",
      Object.fromEntries(Object.entries(cur.by_action).map(([k, g]) => [k, g.requests])), (a) => inWindow({ action: a }))),
    section("Escalations", escalations.length ? table("Escalations by kind", ["Kind", "Requests"],
      escalations.map(([k, n]) => row([link(k, inWindow({ state: k === "forbidden" ? "rejected" : k })), n])))
      : el("p", "No escalation in the window.")),
    section("Kill switch events", cur.kill_switch_events.length ? table("Kill switch events", ["At", "Event", "Scope", "By", "Reason"],
      cur.kill_switch_events.map((k) => row([k.at || k.ts, k.event || k.type, k.scope, k.operator, k.reason])))
      : el("p", "None in the window.")),
  );
  say("");
}
