// Steward console, part 4: the approvals inbox and the kill switches (operators).
"use strict";

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
