// Steward console, part 7: routing (every view is a URL: #/requests?state=queued,
// #/requests/<id>, ...) and the session (sign in, sign out).
"use strict";

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
    else if (name === "affected") { await showAffected(params); await showRollback(params); }
    else if (name === "ops") await showOps();
  } catch (error) {
    failed(error);
  }
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
  $("rollback-form").addEventListener("submit", planRollback);
  window.addEventListener("hashchange", route);
  new MutationObserver(() => labelCells($("content"))).observe($("content"), { childList: true, subtree: true });
  if (sessionStorage.getItem(KEY)) start();
});
