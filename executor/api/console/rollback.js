// Steward console, part 7: roll back an incident window (operators), from the affected view.
"use strict";

// The plan is a dry run (nothing recorded); rolling back submits one compensating request per
// original, linked to it and decided by policy; another operator approves the batch in one decision.

function rollbackBody(dryRun) {
  const params = parseHash().params;
  const body = { since: params.get("since"), until: params.get("until") || new Date().toISOString(),
    reason: $("rb-reason").value.trim(), dry_run: dryRun };
  for (const k of ["action", "target"]) if (params.get(k)) body[k] = params.get(k);
  return body;
}

function rollbackTable(plan) {
  return table(`Rollback ${plan.batch_id || "plan"}`, ["Original", "Action", "Status", "Inverse", "Parameters", "Compensation", "Note"],
    plan.items.map((i) => row([link(i.original_id, `#/requests/${enc(i.original_id)}`), i.action, i.status, i.inverse || "",
      compact(i.inverse_params), i.compensation_id ? link(i.compensation_id, `#/requests/${enc(i.compensation_id)}`) : "",
      i.note || ""])));
}

function rollbackSummary(plan) {
  const counts = Object.entries(plan.counts).map(([k, v]) => `${v} ${k}`).join(", ") || "nothing in the window";
  return facts([["Batch", plan.batch_id || "dry run: nothing recorded"], ["Asked by", plan.requester], ["Reason", plan.reason],
    ["Window", `${plan.since} to ${plan.until}`], ["Items", counts], ["Plan sha256", plan.plan_hash],
    ["Approved", plan.approved_by ? `by ${plan.approved_by} at ${plan.approved_at}` : "not yet"]]);
}

async function showRollback(params) {
  const panel = $("rollback");
  panel.hidden = me.role !== "operator" || !params.get("since");
  if (panel.hidden) return;
  const out = $("rb-out");
  if (!params.get("batch")) { out.replaceChildren(); return; }
  const plan = await api("GET", `/v1/rollback/${enc(params.get("batch"))}`);
  const parts = [rollbackSummary(plan), rollbackTable(plan)];
  if (!plan.approved_by) parts.push(approveBatchBox(plan));
  out.replaceChildren(...parts);
}

function approveBatchBox(plan) {
  const box = el("div", null, { class: "confirm", role: "group", "aria-label": `Approve batch ${plan.batch_id}` });
  if (plan.requester === me.name) {
    box.append(el("p", `You asked for this rollback (${me.name}); the approver is never the requester. Another operator must approve the batch: send them this page's link.`, { class: "bad self" }));
    return box;
  }
  const note = el("input", null, { id: "rb-note", maxlength: "2000" });
  const approve = el("button", "Approve the batch", { type: "button" });
  box.append(el("label", "Note", { for: "rb-note" }), note, approve);
  approve.addEventListener("click", () => {
    const yes = el("button", "Confirm batch approval", { type: "button" });
    const no = el("button", "Cancel", { type: "button" });
    const n = plan.counts.submitted || 0;
    box.replaceChildren(el("p", `Approve all ${n} compensating request(s) of ${plan.batch_id}? They will be queued and run.`), yes, no);
    yes.focus();
    no.addEventListener("click", () => showRollback(parseHash().params).catch(failed));
    yes.addEventListener("click", async () => {
      try {
        const done = await api("POST", `/v1/rollback/${enc(plan.batch_id)}/approve`, { note: note.value });
        say(`Approved ${done.approved.length} compensating request(s) of ${done.batch_id}.`);
        await showRollback(parseHash().params);
      } catch (error) { failed(error); }
    });
  });
  return box;
}

async function planRollback(event) {
  event.preventDefault();
  if (!$("rb-reason").value.trim()) { say("A rollback needs a reason.", true); $("rb-reason").focus(); return; }
  try {
    const plan = await api("POST", "/v1/rollback", rollbackBody(true));
    const out = $("rb-out");
    const parts = [rollbackSummary(plan), rollbackTable(plan)];
    const runs = plan.counts.compensate || 0;
    if (runs > 0) {
      const go = el("button", `Roll back ${runs} request(s)`, { type: "button" });
      const box = el("div", null, { class: "confirm", role: "group", "aria-label": "Confirm the rollback" });
      box.append(go);
      go.addEventListener("click", () => {
        const yes = el("button", "Confirm rollback", { type: "button" });
        const no = el("button", "Cancel", { type: "button" });
        box.replaceChildren(el("p", `Submit ${runs} compensating request(s)? Each waits for another operator's batch approval.`), yes, no);
        yes.focus();
        no.addEventListener("click", () => { box.replaceChildren(go); go.focus(); });
        yes.addEventListener("click", () => submitRollback());
      });
      parts.push(box);
    }
    out.replaceChildren(...parts);
    say(runs > 0 ? `Plan: ${runs} request(s) would be compensated.` : "Nothing in this window can be compensated.");
  } catch (error) { failed(error); }
}

async function submitRollback() {
  try {
    const plan = await api("POST", "/v1/rollback", rollbackBody(false));
    const params = parseHash().params;
    params.set("batch", plan.batch_id);
    say(`Rollback ${plan.batch_id} submitted: another operator approves it from this page's link.`);
    location.hash = "#/affected?" + params;
  } catch (error) { failed(error); }
}
