// Steward web console, part 1 of 7: shared state, the API client and DOM helpers.
// The console is a thin client of the HTTP API: everything it shows or does goes
// through /v1 with the key the user entered, so the API's role checks apply
// unchanged. The page is built with textContent only, never HTML strings.
// Files load in order (core, proof, requests, decisions, audit, ops, app) as classic
// scripts sharing one global scope; app.js routes and starts the session.
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
