/* Department console: the department's open tickets, live, with their clocks and filters. */
"use strict";

const OPEN = ["dispatched", "in_progress", "return_pending", "reply_review", "callback_pending", "reopened"];
const tickets = new Map();
const tbody = $("#tickets tbody");

function matches(t, f) {
  if (!OPEN.includes(t.status)) return false;
  if (f.status && t.status !== f.status) return false;
  if (f.mine && t.handler !== $("#filters").dataset.me) return false;
  if (f.urgency && t.urgency !== f.urgency) return false;
  if (f.clock) { const c = clockOf(t); if (!c || c.level !== f.clock) return false; }
  if (f.q) {
    const hay = [t.number, t.address, t.content].join(" ").toLowerCase();
    if (!hay.includes(f.q.toLowerCase())) return false;
  }
  return true;
}

function render() {
  const f = Object.fromEntries(new FormData($("#filters")).entries());
  const rows = Array.from(tickets.values()).filter((t) => matches(t, f));
  // The most pressing first: least time left on the running clock, then newest.
  rows.sort((a, b) => {
    const ca = clockOf(a), cb = clockOf(b);
    const la = ca ? ca.left : Infinity, lb = cb ? cb.left : Infinity;
    return la - lb || b.id - a.id;
  });
  tbody.innerHTML = rows.map((t) => `
    <tr data-ticket-id="${t.id}" class="${t.urgency !== "normal" ? "urgent" : ""} ${t._new ? "new" : ""}">
      <td><a href="/agents/tickets/${t.id}">${esc(t.number)}</a></td>
      <td><span class="chip chip--status-${esc(t.status)}">${esc(statusLabel(t.status))}</span>${t.sub_status ? " " + esc(label("sub_status", t.sub_status)) : ""}</td>
      <td class="nowrap"><span class="chip chip--urgency-${esc(t.urgency)}">${esc(urgencyLabel(t.urgency))}</span></td><td class="nowrap">${esc(typeLabel(t.type))}</td>
      <td>${clockHtml(t)}</td><td>${esc(t.address)}</td><td class="content">${esc((t.content || "").slice(0, 60))}</td>
      <td class="handler" title="${esc(t.handler || "")}">${esc(t.handler_name || t.handler || "")}</td>
    </tr>`).join("");
  $("#empty").classList.toggle("hidden", rows.length > 0);
}

function upsert(t, isNew) {
  const old = tickets.get(t.id);
  if (isNew && !old) t._new = true; else if (old && old._new) t._new = true;
  tickets.set(t.id, t);
}

async function load() {
  for (let page = 1; page <= 10; page++) {
    const r = await api("GET", `/tickets?status=${OPEN.join(",")}&per_page=100&page=${page}`);
    r.items.forEach((t) => upsert(t));
    if (r.items.length < 100) break;
  }
  render();
}

async function refreshOne(id, isNew) {
  try {
    const t = await api("GET", "/tickets/" + id);
    upsert(t, isNew);
    if (isNew && OPEN.includes(t.status)) toast(`${L.ui.new_ticket} ${t.number}`, "info", "/agents/tickets/" + t.id);
  } catch (e) {
    if (e.status === 404) tickets.delete(id); else throw e;  // no longer ours (returned, re-dispatched)
  }
  render();
}

connectLive(
  (ev) => { if (ev.type === "ticket" && ev.op !== "notice") refreshOne(ev.id, !tickets.has(ev.id)); },
  async (since) => { (await ticketsSince(since)).forEach((t) => upsert(t, !tickets.has(t.id))); render(); },
);
$("#filters").addEventListener("input", render);
$("#filters").addEventListener("submit", (e) => e.preventDefault()); // filters apply as typed
tickClocks((id) => tickets.get(id));
setInterval(render, 60000);
load().catch((e) => flash(errorText(e), "error"));
