// Steward console, part 5: verify, export, latest events and the affected view.
"use strict";

// -- audit -------------------------------------------------------------------------------

async function refreshEvents() {
  const page = await api("GET", `/v1/audit/events?after_seq=${lastEventSeq}&limit=200`);
  if (page.events.length === 0) return;
  lastEventSeq = page.events[page.events.length - 1].seq;
  const body = $("events").tBodies[0];
  for (const e of page.events) {
    body.prepend(row([e.seq, when(e.ts), e.type, e.action_id ? link(e.action_id, `#/requests/${enc(e.action_id)}`) : "", e.actor]));
  }
  while (body.rows.length > 200) body.deleteRow(body.rows.length - 1);
}

async function verifyNow() {
  $("verify-out").textContent = "Verifying…";
  try {
    const report = await api("GET", "/v1/audit/verify");
    const key = report.verifier || {};
    const keyLine = key.key_id
      ? `Verifier key: ${key.name}+${key.key_id} (${key.path || key.source})`
      : `Verifier key: none, signatures NOT checked (${key.error || "no key configured"})`;
    const lines = [report.ok ? "VERIFIED" : "NOT VERIFIED", report.summary, keyLine,
      `Signatures checked: ${report.signatures_checked ? "yes" : "no"}; evidence files re-hashed: ${report.evidence_checked}`,
      ...(report.problems || [])];
    $("verify-out").textContent = lines.join("\n");
    $("verify-out").dataset.ok = report.ok ? "true" : "false";
    say(report.ok ? "The log verifies." : `The log does NOT verify: ${report.problems[0] || report.summary}`, !report.ok);
  } catch (error) {
    $("verify-out").textContent = "";
    failed(error);
  }
}

async function downloadExport() {
  say("Exporting…");
  try { const { blob, name } = await fetchBlob("/v1/audit/export"); saveBlob(blob, name); say(`Saved ${name}.`); } catch (error) { failed(error); }
}

function affectedQuery(params) {
  const q = new URLSearchParams();
  for (const k of ["since", "until", "action", "target"]) if (params.get(k)) q.set(k, params.get(k));
  return q;
}

async function showAffected(params) {
  $("a-since").value = params.get("since") || "";
  $("a-until").value = params.get("until") || "";
  $("a-action").value = params.get("action") || "";
  $("a-target").value = params.get("target") || "";
  $("affected-csv").disabled = !params.get("since");
  if (!params.get("since")) {
    $("affected").tBodies[0].replaceChildren();
    $("affected-summary").textContent = "Give the incident window (since, and until or now).";
    return;
  }
  try {
    const data = await api("GET", "/v1/audit/affected?" + affectedQuery(params));
    $("affected").tBodies[0].replaceChildren(...data.actions.map((a) => row([when(a.committed_at),
      link(a.action_id, `#/requests/${enc(a.action_id)}`), `${a.action} on ${a.target}`, a.outcome, compact(a.params),
      compact(a.values)])));
    $("affected-summary").textContent = `${data.actions.length} request(s) changed records between ${data.since} and ${data.until}.`;
    say("");
  } catch (error) {
    if (error.status === 422) { say(`Window refused: ${error.message}`, true); return; }
    throw error;
  }
}

function affectedSubmit(event) {
  event.preventDefault();
  const q = new URLSearchParams();
  for (const [k, id] of [["since", "a-since"], ["until", "a-until"], ["action", "a-action"], ["target", "a-target"]]) {
    if ($(id).value.trim()) q.set(k, $(id).value.trim());
  }
  location.hash = "#/affected?" + q;
}

async function affectedCsv() {
  const q = affectedQuery(parseHash().params);
  q.set("format", "csv");
  try { const { blob, name } = await fetchBlob("/v1/audit/affected?" + q); saveBlob(blob, name); say(`Saved ${name}.`); } catch (error) { failed(error); }
}
