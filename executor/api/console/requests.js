// Steward console, part 3: the request list (filters in the URL) and a request's detail page.
"use strict";

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
