// Steward web console: a thin client of the HTTP API. Everything it shows or
// does goes through /v1 with the key the user entered, so the API's role
// checks apply unchanged. The page is built with textContent only, and every
// view is a URL (#/requests?state=queued, #/requests/<id>, ...).
"use strict";

const KEY = "steward-console-token";
const POLL_MS = 2000;
const PAGE = 25;
const STATES = ["received", "rejected", "awaiting_confirmation", "awaiting_approval", "queued", "executing",
  "succeeded", "failed", "aborted", "unverified", "in_doubt", "expired", "cancelled", "denied"];
const CLASSES = ["autonomous", "customer_confirmed", "human_approved", "forbidden"];
const FILTERS = ["q", "state", "class", "action", "target", "owner", "requester", "since", "until", "sort"];
const HOME = { operator: "#/approvals", auditor: "#/audit", agent: "#/agent" };
const ACCESS = {
  requests: ["operator", "auditor"], approvals: ["operator"], "kill-switches": ["operator"],
  audit: ["auditor"], affected: ["operator", "auditor"], ops: ["operator", "auditor"], agent: ["agent"],
};

let me = null;
let pollTimer = null;
let tickTimer = null;
let lastEventSeq = -1;
let routeSeq = 0;  // bumped on every navigation: late answers of an older view are dropped
let shownApprovals = null;  // ids of the approval cards on screen; null forces a re-render

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;

function say(text, bad = false) {
  const status = $("status");
  status.textContent = text;
  status.className = bad ? "bad" : "ok";
}

class ApiFailure extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function call(method, path, body) {
  const headers = { Authorization: "Bearer " + sessionStorage.getItem(KEY) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
  });
  if (!res.ok) {
    let err = null;
    try { err = (await res.json()).error; } catch (_) { err = null; }
    err = err || { code: String(res.status), message: res.statusText };
    throw new ApiFailure(res.status, err.code, err.message || err.code);
  }
  return res;
}

async function api(method, path, body) {
  return (await call(method, path, body)).json();
}

async function fetchBlob(path) {
  const res = await call("GET", path);
  const disposition = res.headers.get("Content-Disposition") || "";
  const match = /filename="([^"]+)"/.exec(disposition);
  return { blob: await res.blob(), name: match ? match[1] : "download" };
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a", null, { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

function link(text, href) { return el("a", text, { href }); }

function row(values) {
  const tr = el("tr");
  for (const value of values) {
    const td = el("td");
    if (value instanceof Node) td.append(value); else td.textContent = value == null ? "" : String(value);
    tr.append(td);
  }
  return tr;
}

function when(ts) {
  if (!ts) return el("span", "—");
  return el("time", ts.replace("T", " ").replace(/\.\d+Z$/, "Z"), { datetime: ts });
}

function compact(value) {
  return value === undefined || value === null ? "" : JSON.stringify(value);
}

function facts(pairs) {
  const dl = el("dl");
  for (const [term, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    const dd = el("dd");
    if (value instanceof Node) dd.append(value); else dd.textContent = String(value);
    dl.append(el("dt", term), dd);
  }
  return dl;
}

function table(caption, headers, rows) {
  const wrap = el("div", null, { class: "scroll", role: "region", "aria-label": caption, tabindex: "0" });
  const t = el("table");
  t.append(el("caption", caption, { class: "sr" }));
  const head = el("tr");
  for (const h of headers) head.append(el("th", h, { scope: "col" }));
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  tbody.append(...rows);
  t.append(thead, tbody);
  wrap.append(t);
  return wrap;
}

function section(title, ...children) {
  const s = el("section");
  s.append(el("h2", title), ...children);
  return s;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.max(0, seconds);
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

// At narrow widths every table row becomes a card (app.css); each cell carries its column's name.
function labelCells(root) {
  for (const tr of root.querySelectorAll("tbody tr")) {
    const table = tr.closest("table");
    const heads = table ? Array.from(table.querySelectorAll("thead th"), (th) => th.textContent) : [];
    Array.from(tr.cells).forEach((td, i) => { if (!td.dataset.label && heads[i]) td.dataset.label = heads[i]; });
  }
}

// -- routing ---------------------------------------------------------------------

function parseHash() {
  const [path, query] = location.hash.replace(/^#/, "").split("?");
  return { parts: path.split("/").filter(Boolean), params: new URLSearchParams(query || "") };
}

function stopTimers() {
  clearTimeout(pollTimer);
  clearInterval(tickTimer);
  pollTimer = null;
  tickTimer = null;
}

function poll(refresh) {
  const token = routeSeq;
  const tick = async () => {
    if (token !== routeSeq) return;
    try { await refresh(); } catch (error) { failed(error); return; }
    if (token === routeSeq) pollTimer = setTimeout(tick, POLL_MS);
  };
  tick();
}

function failed(error) {
  if (error.status === 401) { signOut("The key was refused; sign in again."); return; }
  say(error.message, true);
}

async function route() {
  if (!me) return;
  stopTimers();
  routeSeq += 1;
  const { parts, params } = parseHash();
  const name = parts[0] || "";
  if (!ACCESS[name]) { location.replace(HOME[me.role]); return; }
  for (const view of document.querySelectorAll(".view")) view.hidden = true;
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.getAttribute("href") === `#/${name}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (!ACCESS[name].includes(me.role)) {
    say(`An ${me.role} key cannot open this view (the API would refuse it).`, true);
    return;
  }
  const viewId = name === "requests" && parts[1] ? "view-detail" : `view-${name}`;
  $(viewId).hidden = false;
  try {
    if (name === "requests" && parts[1]) await showDetail(decodeURIComponent(parts[1]));
    else if (name === "requests") await showList(params);
    else if (name === "approvals") { shownApprovals = null; poll(refreshApprovals); tickTimer = setInterval(tickCountdowns, 1000); }
    else if (name === "kill-switches") poll(refreshSwitches);
    else if (name === "audit") { lastEventSeq = -1; $("events").tBodies[0].replaceChildren(); poll(refreshEvents); }
    else if (name === "affected") await showAffected(params);
    else if (name === "ops") await showOps();
  } catch (error) {
    failed(error);
  }
}

// -- requests list ---------------------------------------------------------------

function listHash(values) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value) query.set(key, value);
  const text = query.toString();
  return "#/requests" + (text ? "?" + text : "");
}

async function showList(params) {
  const token = routeSeq;
  const form = $("filters");
  for (const name of FILTERS) form.elements[name].value = params.get(name) || (name === "sort" ? "-created_at" : "");
  const narrowed = FILTERS.some((name) => name !== "sort" && params.get(name));
  $("filter-box").open = narrowed || window.innerWidth > 600;
  const query = new URLSearchParams();
  for (const name of FILTERS) if (params.get(name)) query.set(name, params.get(name));
  const offset = Math.max(0, parseInt(params.get("offset") || "0", 10) || 0);
  query.set("limit", String(PAGE));
  query.set("offset", String(offset));
  try {
    await renderList(query, params, offset);
  } catch (error) {
    $("list").tBodies[0].replaceChildren();
    $("list-summary").textContent = "";
    if (error.status === 422) { say(`Filter refused: ${error.message}`, true); return; }
    throw error;
  }
  say("");
  // The first page of a view is live: new requests and state changes appear without a reload.
  if (offset === 0 && token === routeSeq) pollTimer = setTimeout(() => poll(() => renderList(query, params, offset)), POLL_MS);
}

async function renderList(query, params, offset) {
  const page = await api("GET", "/v1/actions?" + query);
  $("list").tBodies[0].replaceChildren(...page.requests.map((r) => {
    const outcome = r.error ? r.error.code : (r.outcome && r.outcome.reason) || "";
    const tr = row([when(r.created_at), link(r.id, `#/requests/${enc(r.id)}`), r.action,
      el("span", r.state, { class: `state s-${r.state}` }), outcome, r.class, r.requester,
      (r.context || {}).customer_id]);
    tr.dataset.request = r.id;
    return tr;
  }));
  const n = page.requests.length;
  $("list-summary").textContent = n ? `Showing ${offset + 1}–${offset + n} of ${page.total}.` : "No request matches.";
  const base = Object.fromEntries(FILTERS.map((k) => [k, params.get(k)]));
  $("prev-page").hidden = offset === 0;
  $("prev-page").href = listHash({ ...base, offset: offset - PAGE > 0 ? String(offset - PAGE) : "" });
  $("next-page").hidden = page.next_offset === null || page.next_offset === undefined;
  $("next-page").href = listHash({ ...base, offset: String(page.next_offset || "") });
}

function applyFilters(event) {
  event.preventDefault();
  const form = $("filters");
  const values = {};
  for (const name of FILTERS) values[name] = form.elements[name].value.trim();
  if (values.sort === "-created_at") values.sort = "";
  location.hash = listHash(values);
}

// -- request detail ----------------------------------------------------------------

async function sha256(bytes) { return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)); }

function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

function toHex(bytes) { return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""); }

async function nodeHash(left, right) {
  const buf = new Uint8Array(65);
  buf[0] = 1;
  buf.set(left, 1);
  buf.set(right, 33);
  return sha256(buf);
}

// RFC 9162 2.1.3.2: the root an inclusion proof leads to, from the leaf hash up.
async function rootFromProof(leafHex, index, size, proofHex) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  let r = fromHex(leafHex);
  for (const hex of proofHex) {
    const p = fromHex(hex);
    if (sn === 0n) throw new Error("proof too long");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new Error("proof too short");
  return toHex(r);
}

// RFC 8785 canonical JSON, as the audit log hashes it (audit/canonical.py): sorted keys, no whitespace,
// ECMAScript number form. Integers beyond 2^53 do not survive JSON.parse: such an entry would not match.
function canonical(value) {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  return "{" + Object.keys(value).sort().map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
}

// The entry's hash recomputed from its fields: SHA-256(0x00 || canonical body without "hash").
async function entryHash(e) {
  const body = canonical({ action_id: e.action_id, actor: e.actor, payload: e.payload, prev_hash: e.prev_hash,
    seq: e.seq, ts: e.ts, type: e.type });
  const bytes = new TextEncoder().encode(body);
  const buf = new Uint8Array(bytes.length + 1);
  buf.set(bytes, 1);
  return toHex(await sha256(buf));
}

async function checkProofs(timeline) {
  const cp = timeline.checkpoint;
  const out = { hashed: 0, changed: 0, checked: 0, ok: 0, pending: 0, unavailable: false };
  if (!window.crypto || !crypto.subtle) return { ...out, unavailable: true };
  for (const item of timeline.entries) {
    out.hashed++;
    if (await entryHash(item.event) !== item.event.hash) { out.changed++; continue; }
    if (!item.proof || !cp) { out.pending++; continue; }
    out.checked++;
    try {
      if (await rootFromProof(item.event.hash, item.event.seq, cp.size, item.proof) === cp.root) out.ok++;
    } catch (_) { /* counted as not ok */ }
  }
  return out;
}

async function evidenceBlock(r) {
  const out = [];
  for (const ev of r.evidence || []) {
    const path = `/v1/actions/${enc(r.id)}/evidence/${ev.sha256}`;
    if (ev.kind === "screenshot") {
      const fig = el("figure", null, { class: "shot" });
      const img = el("img", null, { alt: `Screenshot ${ev.label} of ${r.id}`, "data-sha256": ev.sha256 });
      fig.append(img, el("figcaption", `${ev.label} (${ev.size} bytes, sha256 ${ev.sha256.slice(0, 16)}…)`));
      out.push(fig);
      fetchBlob(path).then(({ blob }) => { img.src = URL.createObjectURL(blob); })
        .catch((error) => { fig.append(el("p", `Not shown: ${error.message}`, { class: "bad" })); });
    } else if (ev.kind === "trace") {
      const name = `${r.id}-${ev.sha256.slice(0, 12)}.zip`;
      const box = el("div", null, { class: "trace" });
      const button = el("button", "Download the trace", { type: "button", id: "trace-download" });
      button.addEventListener("click", async () => {
        try { const { blob } = await fetchBlob(path); saveBlob(blob, name); say(`Saved ${name}.`); } catch (error) { failed(error); }
      });
      box.append(el("p", `Playwright trace (${ev.size} bytes): every page, click and request of the run.`), button,
        el("p", "Open it with:"), el("pre", `playwright show-trace ${name}`, { class: "cmd" }));
      out.push(box);
    }
  }
  return out.length ? out : [el("p", "No evidence files (the request did not run, or has not yet).")];
}

async function handoffOf(r) {
  if (r.state === "awaiting_approval" && me.role === "operator") {
    const list = await api("GET", "/v1/approvals?limit=500");
    const item = list.approvals.find((a) => a.request.id === r.id);
    if (item) return handoffFacts(item.handoff);
  }
  if (r.outcome && r.outcome.handoff) return facts([["What a person must do", r.outcome.handoff]]);
  return el("p", "No handoff: nobody needs to act on this request.");
}

function handoffFacts(h) {
  return facts([
    ["Customer's goal", h.goal], ["Customer", h.customer_id], ["Conversation", h.conversation_id],
    ["Requested by", h.requester], ["Owner", h.owner], ["Reviewers", (h.reviewers || []).join(", ")],
    ["Parameters", compact(h.params)],
    ["Why a person decides", (h.why || []).map((w) => w.reason || w.rule).join("; ")],
    ["Explanation", h.explanation],
    ["Read from the back-office so far", Object.keys(h.preconditions || {}).length ? compact(h.preconditions) : ""],
    ["If nobody decides", h.if_nobody_decides],
  ]);
}

async function showDetail(id) {
  const r = await api("GET", `/v1/actions/${enc(id)}`);
  const tl = await api("GET", `/v1/audit/timeline/${enc(id)}`);
  $("h-detail").textContent = `${r.action} on ${r.target || "?"}: ${r.id}`;
  const box = $("detail");
  const ctx = r.context || {};
  const summary = facts([
    ["State", el("span", r.state, { class: `state s-${r.state}`, id: "detail-state" })], ["Class", r.class],
    ["Requester", r.requester], ["Reference", r.ref], ["Created", when(r.created_at)],
    ["Last change", when(r.updated_at)], ["Expires", r.expires_at ? when(r.expires_at) : null],
    ["Customer", ctx.customer_id], ["Conversation", ctx.conversation_id], ["Goal", ctx.customer_goal],
    ["Idempotency key", r.idempotency_key], ["Trace id", r.trace_id],
    ["Error", r.error ? `${r.error.code}: ${r.error.message || ""}` : null],
    ["Outcome", r.outcome ? r.outcome.reason : null],
  ]);
  const params = Object.entries(r.params || {}).map(([k, v]) => row([k, typeof v === "string" ? v : compact(v)]));
  const d = r.decision;
  const decision = d ? [
    facts([["Class", d.class], ["Catalog default", d.default_class], ["Explanation", d.explanation],
      ["Policy version", el("code", d.policy_version, { id: "policy-version" })], ["Rollout", r.policy_rollout]]),
    table("Rules that matched", ["Rule", "Class", "Reason", "Decisive"],
      (d.rules || []).map((h) => row([h.id, h.class, h.reason, h.decisive ? "yes" : ""]))),
    ...(d.limits || []).length ? [table("Budget limits", ["Limit", "Per", "Current", "Adding", "Max", "Status"],
      d.limits.map((l) => row([l.id, l.per, l.current, l.adding, l.max, l.status])))] : [],
  ] : [el("p", "No decision was taken (rejected before policy).")];
  const people = [];
  if (r.confirmation) {
    people.push(el("h3", "Customer's confirmation"), facts([["Channel", r.confirmation.channel],
      ["Quote", r.confirmation.quote], ["Reference", r.confirmation.reference],
      ["Confirmed", when(r.confirmation.confirmed_at)]]));
  }
  if (r.approval) {
    people.push(el("h3", "Operator's decision"), facts([["Decision", r.approval.decision],
      ["By", r.approval.operator], ["At", when(r.approval.at)], ["Note", r.approval.note]]));
  }
  if (!people.length) people.push(el("p", "No confirmation or approval (none needed, or none yet)."));

  let previous = null;
  const steps = tl.entries.map((item) => {
    const e = item.event;
    const t = Date.parse(e.ts);
    const delta = previous === null ? "start" : `+${duration((t - previous) / 1000)}`;
    previous = t;
    const mark = { included: "proven", pending: "pending", failed: "FAILED" }[item.inclusion] || item.inclusion;
    return row([e.seq, when(e.ts), delta, e.type, e.actor, item.summary, mark]);
  });
  const extracted = Object.keys(r.extracted || {}).length
    ? facts(Object.entries(r.extracted).map(([k, v]) => [k, typeof v === "string" ? v : compact(v)]))
    : el("p", "No values were read.");
  const proofLine = el("p", "Checking the inclusion proofs in this browser…", { id: "proof-result" });
  const range = r.audit_range ? `Audit events ${r.audit_range.first_seq}–${r.audit_range.last_seq}.` : "No audit events.";
  const cp = tl.checkpoint;
  const key = tl.verifier || {};
  box.replaceChildren(
    summary,
    section("Parameters", el("p", "As recorded: PII values appear as their HMAC and secret values masked.",
      { class: "hint" }), table("Parameters", ["Name", "Value"], params)),
    section("Decision", ...decision),
    section("Confirmation and approval", ...people),
    section("Timeline", table("Audit events of this request", ["Seq", "Time", "After", "Event", "Actor", "What",
      "Inclusion"], steps)),
    section("Extracted values", extracted),
    section("Evidence", ...await evidenceBlock(r)),
    section("Handoff packet", await handoffOf(r)),
    section("Audit range and inclusion proof", el("p", range),
      el("p", cp ? `Latest signed checkpoint: ${cp.size} entries, root ${cp.root.slice(0, 16)}…, signature ${cp.signature}`
        + (key.key_id ? ` (verifier key ${key.name}+${key.key_id}).` : " (no verifier key).") : "No checkpoint yet."),
      proofLine),
  );
  say("");
  const res = await checkProofs(tl);
  const total = tl.entries.length;
  const pending = res.pending ? `; ${res.pending} after the latest checkpoint (pending)` : "";
  if (res.unavailable) {
    proofLine.textContent = "This browser cannot hash (Web Crypto needs HTTPS): the server's result is shown in the timeline.";
  } else if (res.changed || res.ok < res.checked) {
    proofLine.textContent = `Inclusion FAILED in this browser: ${res.changed} of ${total} entries do not hash to their recorded hash, ${res.checked - res.ok} proofs do not lead to the checkpoint root.`;
    proofLine.className = "bad";
  } else if (res.checked) {
    proofLine.textContent = `Inclusion checked in this browser: ${res.ok} of ${total} entries hash to their recorded hash and lead to the checkpoint root${pending}.`;
  } else {
    proofLine.textContent = `Entry hashes checked in this browser (${res.hashed}); none is covered by a signed checkpoint yet${pending}.`;
  }
}

// -- approvals inbox ---------------------------------------------------------------

function countdown(expiresAt) {
  if (!expiresAt) return "no expiry";
  const left = (Date.parse(expiresAt) - Date.now()) / 1000;
  return left <= 0 ? "expired" : `expires in ${duration(left)}`;
}

function tickCountdowns() {
  for (const node of document.querySelectorAll("[data-expires]")) node.textContent = countdown(node.dataset.expires);
}

function approvalCard(item) {
  const h = item.handoff;
  const id = h.request_id;
  const card = el("article", null, { class: "approval", "data-request": id, "aria-labelledby": `t-${id}` });
  const title = el("h2", null, { id: `t-${id}` });
  title.append(link(`${h.action.name} on ${h.action.target}`, `#/requests/${enc(id)}`));
  card.append(title, el("p", countdown(h.expires_at), { class: "countdown", "data-expires": h.expires_at || "" }));
  card.append(facts([["Request", id], ["Submitted", when(item.request.created_at)], ...Object.entries({
    "Customer's goal": h.goal, Customer: h.customer_id, "Requested by": h.requester, Owner: h.owner,
    Parameters: compact(h.params), "Why a person decides": (h.why || []).map((w) => w.reason || w.rule).join("; "),
    "Evidence so far": Object.keys(h.preconditions || {}).length ? compact(h.preconditions) : "none read yet",
    "If nobody decides": h.if_nobody_decides,
  })]));
  const form = el("form");
  const noteId = `note-${id}`;
  const note = el("input", null, { id: noteId, placeholder: "note (approve) or reason (reject)" });
  const approve = el("button", "Approve", { type: "button" });
  const reject = el("button", "Reject", { type: "button" });
  const confirmBox = el("div", null, { class: "confirm", role: "group", "aria-label": `Confirm the decision on ${id}` });
  confirmBox.hidden = true;
  form.append(el("label", `Note or reason for ${id}`, { for: noteId, class: "sr" }), note, approve, reject);
  card.append(form, confirmBox);
  if (item.caller_is_requester || h.requester === me.name) {
    approve.disabled = true;
    reject.disabled = true;
    note.disabled = true;
    card.append(el("p", `You cannot decide on this request: it was submitted by ${h.requester}, the same identity as your key (${me.name}), and the approver is never the requester. Another operator must decide.`, { class: "bad self" }));
    return card;
  }
  const ask = (verb) => {
    if (verb === "reject" && !note.value.trim()) { say("A rejection needs a reason.", true); note.focus(); return; }
    const yes = el("button", verb === "approve" ? "Confirm approval" : "Confirm rejection", { type: "button" });
    const no = el("button", "Cancel", { type: "button" });
    const effect = verb === "approve" ? "it will be queued and run" : "it will end denied and never run";
    confirmBox.replaceChildren(el("p", `${verb === "approve" ? "Approve" : "Reject"} ${id}? ${effect[0].toUpperCase()}${effect.slice(1)}.`), yes, no);
    confirmBox.hidden = false;
    yes.focus();
    no.addEventListener("click", () => { confirmBox.hidden = true; confirmBox.replaceChildren(); note.focus(); });
    yes.addEventListener("click", () => decide(id, verb, verb === "approve" ? { note: note.value } : { reason: note.value }, card));
  };
  approve.addEventListener("click", () => ask("approve"));
  reject.addEventListener("click", () => ask("reject"));
  return card;
}

async function decide(id, verb, body, card) {
  try {
    const res = await api("POST", `/v1/actions/${enc(id)}/${verb}`, body);
    say(`${id}: ${verb === "approve" ? "approved" : "rejected"}; now ${res.state}.`);
    shownApprovals = null;
    await refreshApprovals();
  } catch (error) {
    if (error.status === 401) { failed(error); return; }
    say(`${id}: ${error.message}`, true);
    card.append(el("p", `Refused by the server: ${error.message}`, { class: "bad" }));
  }
}

async function refreshApprovals() {
  const data = await api("GET", "/v1/approvals?order=oldest&limit=200");
  const ids = data.approvals.map((a) => a.handoff.request_id).join(",");
  if (ids !== shownApprovals) {  // re-render only on change, so a note being typed survives
    $("approvals").replaceChildren(...data.approvals.map(approvalCard));
    $("approvals-empty").hidden = data.approvals.length > 0;
    shownApprovals = ids;
  }
}

// -- kill switches -------------------------------------------------------------------

async function refreshSwitches() {
  const data = await api("GET", "/v1/kill-switch");
  const focused = document.activeElement && document.activeElement.closest("#switches") ? document.activeElement.id : null;
  const typed = {};
  for (const input of document.querySelectorAll("#switches input")) typed[input.id] = input.value;
  $("switches").tBodies[0].replaceChildren(...data.kill_switches.map((s, i) => {
    const cell = el("div", null, { class: "release" });
    const inputId = `release-reason-${i}`;
    const reason = el("input", null, { id: inputId, placeholder: "why it may run again" });
    reason.value = typed[inputId] || "";
    const release = el("button", "Release", { type: "button", "data-scope": s.scope });
    release.addEventListener("click", () => releaseSwitch(s.scope, reason));
    cell.append(el("label", `Reason to release ${s.scope}`, { for: inputId, class: "sr" }), reason, release);
    const tr = row([s.scope, s.operator, when(s.engaged_at), s.reason, `${s.queued} queued, ${s.executing} executing`, cell]);
    tr.dataset.scope = s.scope;
    return tr;
  }));
  $("switches-empty").hidden = data.kill_switches.length > 0;
  if (focused && $(focused)) $(focused).focus();
}

async function releaseSwitch(scope, input) {
  const reason = input.value.trim();
  if (!reason) { say(`Write why ${scope} may run again, then release.`, true); input.focus(); return; }
  try {
    await api("DELETE", `/v1/kill-switch/${enc(scope)}?reason=${enc(reason)}`);
    say(`Released ${scope}.`);
    await refreshSwitches();
  } catch (error) {
    say(`${scope}: ${error.message}`, true);
  }
}

async function engage(event) {
  event.preventDefault();
  const kind = $("kill-kind").value;
  const name = $("kill-name").value.trim();
  if (kind !== "global" && !name) { say(`A ${kind} scope needs a name.`, true); $("kill-name").focus(); return; }
  const scope = kind === "global" ? "global" : `${kind}:${name}`;
  try {
    await api("POST", "/v1/kill-switch", { scope, reason: $("kill-reason").value.trim() });
    say(`Engaged ${scope}: in scope, nothing new runs.`);
    $("kill-reason").value = "";
    await refreshSwitches();
  } catch (error) {
    say(`${scope}: ${error.message}`, true);
  }
}

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

// -- session -------------------------------------------------------------------------

async function start() {
  try {
    me = await api("GET", "/v1/me");
  } catch (error) {
    signOut(error.status === 401 ? "Unknown or revoked API key." : error.message);
    return;
  }
  $("signin").hidden = true;
  $("signout").hidden = false;
  $("nav").hidden = me.role === "agent";
  for (const item of document.querySelectorAll("#nav li")) item.hidden = !item.dataset.roles.split(" ").includes(me.role);
  $("who").textContent = `${me.name} (${me.role})`;
  say("");
  if (!location.hash || location.hash === "#") location.replace(HOME[me.role]);
  await route();
}

function signOut(message = "") {
  stopTimers();
  me = null;
  sessionStorage.removeItem(KEY);
  for (const view of document.querySelectorAll(".view")) view.hidden = true;
  $("signin").hidden = false;
  $("signout").hidden = true;
  $("nav").hidden = true;
  $("who").textContent = "";
  lastEventSeq = -1;
  shownApprovals = null;
  say(message, Boolean(message));
}

document.addEventListener("DOMContentLoaded", () => {
  for (const s of STATES) $("f-state").append(el("option", s, { value: s }));
  for (const c of CLASSES) $("f-class").append(el("option", c, { value: c }));
  $("signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $("token").value.trim());
    $("token").value = "";
    start();
  });
  $("signout").addEventListener("click", () => signOut());
  $("filters").addEventListener("submit", applyFilters);
  $("kill-form").addEventListener("submit", engage);
  $("verify").addEventListener("click", verifyNow);
  $("export").addEventListener("click", downloadExport);
  $("affected-form").addEventListener("submit", affectedSubmit);
  $("affected-csv").addEventListener("click", affectedCsv);
  window.addEventListener("hashchange", route);
  new MutationObserver(() => labelCells($("content"))).observe($("content"), { childList: true, subtree: true });
  if (sessionStorage.getItem(KEY)) start();
});
