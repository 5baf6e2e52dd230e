// Steward web console: a thin client of the HTTP API. Everything it shows or
// does goes through /v1 with the key the user entered, so the API's role
// checks apply unchanged. The page is built with textContent only.
"use strict";

const KEY = "steward-console-token";
const POLL_MS = 2000;
let pollTimer = null;
let lastEventSeq = -1;
let shownApprovals = null;  // ids of the approvals on screen; null forces a re-render

const $ = (id) => document.getElementById(id);

function say(text, bad = false) {
  const status = $("status");
  status.textContent = text;
  status.className = bad ? "bad" : "ok";
}

async function api(method, path, body) {
  const headers = { Authorization: "Bearer " + sessionStorage.getItem(KEY) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
  });
  let data = null;
  try { data = await res.json(); } catch (_) { data = null; }
  if (!res.ok) {
    const err = (data && data.error) || { code: String(res.status), message: res.statusText };
    const error = new Error(err.message || err.code);
    error.status = res.status;
    throw error;
  }
  return data;
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function row(values) {
  const tr = el("tr");
  for (const value of values) {
    const td = el("td");
    if (value instanceof Node) td.append(value); else td.textContent = value == null ? "" : String(value);
    tr.append(td);
  }
  return tr;
}

function compact(value) {
  return value === undefined || value === null ? "" : JSON.stringify(value);
}

// -- operator ------------------------------------------------------------------

function approvalCard(item) {
  const h = item.handoff;
  const card = el("article", null, { class: "approval", "data-request": h.request_id });
  card.append(el("h3", `${h.action.name} on ${h.action.target}`));
  const facts = el("dl");
  const add = (term, value) => { facts.append(el("dt", term), el("dd", value)); };
  add("Request", h.request_id);
  add("Requested by", h.requester);
  add("Parameters", compact(h.params));
  if (h.goal) add("Customer's goal", h.goal);
  if (h.customer_id) add("Customer", h.customer_id);
  add("Why a person decides", (h.why || []).map((w) => w.reason || w.rule).join("; "));
  add("If nobody decides", h.if_nobody_decides);
  card.append(facts);
  const form = el("form");
  const note = el("input", null, { "aria-label": `Note or reason for ${h.request_id}`, placeholder: "note (approve) or reason (reject)" });
  const approve = el("button", "Approve", { type: "button" });
  const reject = el("button", "Reject", { type: "button" });
  approve.addEventListener("click", () => decide(h.request_id, "approve", { note: note.value }));
  reject.addEventListener("click", () => {
    if (!note.value.trim()) { say("A rejection needs a reason.", true); note.focus(); return; }
    decide(h.request_id, "reject", { reason: note.value });
  });
  form.append(note, approve, reject);
  card.append(form);
  return card;
}

async function decide(id, verb, body) {
  try {
    const res = await api("POST", `/v1/actions/${encodeURIComponent(id)}/${verb}`, body);
    say(`${id}: ${verb === "approve" ? "approved" : "rejected"}; now ${res.state}.`);
    shownApprovals = null;
    await refreshOperator();
  } catch (error) {
    say(`${id}: ${error.message}`, true);
  }
}

async function refreshOperator() {
  const [approvals, switches, feed] = await Promise.all([
    api("GET", "/v1/approvals"), api("GET", "/v1/kill-switch"), api("GET", "/v1/actions?limit=50"),
  ]);
  const ids = approvals.approvals.map((a) => a.handoff.request_id).join(",");
  if (ids !== shownApprovals) {  // re-render only on change, so a note being typed survives
    $("approvals").replaceChildren(...approvals.approvals.map(approvalCard));
    $("approvals-empty").hidden = approvals.approvals.length > 0;
    shownApprovals = ids;
  }
  $("switches").tBodies[0].replaceChildren(...switches.kill_switches.map((s) => {
    const release = el("button", "Release", { type: "button", "data-scope": s.scope });
    release.addEventListener("click", () => releaseSwitch(s.scope));
    return row([s.scope, s.operator, s.reason, s.engaged_at, release]);
  }));
  $("feed").tBodies[0].replaceChildren(...feed.requests.map((r) => row([r.id, r.action, r.state, r.class, r.requester])));
}

async function releaseSwitch(scope) {
  const reason = $("kill-reason").value.trim();
  if (!reason) { say("Write why it may run again in Reason, then release.", true); $("kill-reason").focus(); return; }
  try {
    await api("DELETE", `/v1/kill-switch/${encodeURIComponent(scope)}?reason=${encodeURIComponent(reason)}`);
    say(`Released ${scope}.`);
    await refreshOperator();
  } catch (error) {
    say(`${scope}: ${error.message}`, true);
  }
}

async function engage(event) {
  event.preventDefault();
  const scope = $("kill-scope").value.trim();
  try {
    await api("POST", "/v1/kill-switch", { scope, reason: $("kill-reason").value.trim() });
    say(`Engaged ${scope}: in scope, nothing new runs.`);
    await refreshOperator();
  } catch (error) {
    say(`${scope}: ${error.message}`, true);
  }
}

// -- auditor -------------------------------------------------------------------

async function refreshAuditor() {
  const page = await api("GET", `/v1/audit/events?after_seq=${lastEventSeq}&limit=200`);
  if (page.events.length === 0) return;
  lastEventSeq = page.events[page.events.length - 1].seq;
  const body = $("events").tBodies[0];
  for (const e of page.events) body.prepend(row([e.seq, e.ts, e.type, e.action_id, e.actor]));
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
    const lines = [report.ok ? "VERIFIED" : "NOT VERIFIED", report.summary, keyLine, ...(report.problems || [])];
    $("verify-out").textContent = lines.join("\n");
    $("verify-out").dataset.ok = report.ok ? "true" : "false";
    say(report.ok ? "The log verifies." : `The log does NOT verify: ${report.problems[0] || report.summary}`,
        !report.ok);
  } catch (error) {
    $("verify-out").textContent = "";
    say(error.message, true);
  }
}

async function showTimeline(event) {
  event.preventDefault();
  const id = $("timeline-id").value.trim();
  try {
    const page = await api("GET", `/v1/audit/events?action_id=${encodeURIComponent(id)}&limit=1000`);
    $("timeline").tBodies[0].replaceChildren(...page.events.map((e) => row([e.seq, e.ts, e.type, e.actor, compact(e.payload)])));
    say(page.events.length ? `${page.events.length} events for ${id}.` : `No audit events for ${id}.`, !page.events.length);
  } catch (error) {
    say(`${id}: ${error.message}`, true);
  }
}

// -- session -------------------------------------------------------------------

function schedule(refresh) {
  const tick = async () => {
    try { await refresh(); } catch (error) {
      if (error.status === 401) { signOut("The key was refused; sign in again."); return; }
      say(error.message, true);
    }
    pollTimer = setTimeout(tick, POLL_MS);
  };
  tick();
}

async function start() {
  let me;
  try {
    me = await api("GET", "/v1/me");
  } catch (error) {
    signOut(error.status === 401 ? "Unknown or revoked API key." : error.message);
    return;
  }
  $("signin").hidden = true;
  $("signout").hidden = false;
  $("who").textContent = `${me.name} (${me.role})`;
  say("");
  $(me.role).hidden = false;
  if (me.role === "operator") schedule(refreshOperator);
  if (me.role === "auditor") schedule(refreshAuditor);
}

function signOut(message = "") {
  clearTimeout(pollTimer);
  sessionStorage.removeItem(KEY);
  for (const id of ["operator", "auditor", "agent"]) $(id).hidden = true;
  $("signin").hidden = false;
  $("signout").hidden = true;
  $("who").textContent = "";
  lastEventSeq = -1;
  shownApprovals = null;
  say(message, Boolean(message));
}

document.addEventListener("DOMContentLoaded", () => {
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("token").value.trim());
    $("token").value = "";
    start();
  });
  $("signout").addEventListener("click", () => signOut());
  $("kill-form").addEventListener("submit", engage);
  $("verify").addEventListener("click", verifyNow);
  $("timeline-form").addEventListener("submit", showTimeline);
  if (sessionStorage.getItem(KEY)) start();
});
