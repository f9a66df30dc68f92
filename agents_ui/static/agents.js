/* Shared by the consoles: the API client (session cookie + CSRF header), the live connection with catch-up
   after a reconnect, clocks, and small DOM helpers. No framework; the libraries come from npm (vendor/). */
"use strict";

const L = JSON.parse(document.getElementById("labels").textContent);
const CSRF = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

function esc(value) {
  return String(value == null ? "" : value).replace(/[&<>"']/g, (c) => (
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

function $(sel, root) { return (root || document).querySelector(sel); }
function $$(sel, root) { return Array.from((root || document).querySelectorAll(sel)); }

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || ("HTTP " + status));
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body, isForm) {
  const opts = {method, credentials: "same-origin", headers: {"Accept": "application/json"}};
  if (method !== "GET") opts.headers["X-CSRF-Token"] = CSRF;
  if (body !== undefined) {
    if (isForm) { opts.body = body; } else {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
  }
  const r = await fetch("/api/v1" + path, opts);
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

function errorText(err) {
  if (err && err.body && err.body.error) {
    const e = err.body.error;
    const fields = e.fields ? " (" + Object.entries(e.fields).map(([k, v]) => k + ": " + v).join("; ") + ")" : "";
    return e.message + fields;
  }
  return String(err && err.message || err);
}

/* Toasts: what just happened, bottom right, newest last; read out by screen readers (a polite live region,
   an assertive one for errors). kind: "ok" (an action done), "info" (a live event), "error". `href` makes the
   text a link (a new ticket opens from its toast). Errors stay until closed; the others go after 6 seconds. */
function toast(message, kind, href) {
  kind = kind || "ok";
  let stack = $("#toasts");
  if (!stack) {
    stack = document.createElement("div");
    stack.id = "toasts";
    stack.className = "toasts";
    document.body.appendChild(stack);
  }
  const region = kind === "error" ? "toasts-alert" : "toasts-status";
  let live = document.getElementById(region);
  if (!live) {
    live = document.createElement("div");
    live.id = region;
    live.className = "visually-hidden";
    live.setAttribute("role", kind === "error" ? "alert" : "status");
    document.body.appendChild(live);
  }
  const item = document.createElement("div");
  item.className = "toast toast--" + kind;
  item.dataset.kind = kind;
  item.innerHTML = `<span class="toast__text">${href ? `<a href="${esc(href)}">${esc(message)}</a>` : esc(message)}</span>
    <button type="button" class="toast__close" aria-label="${esc(L.ui.close || "×")}">×</button>`;
  item.querySelector(".toast__close").addEventListener("click", () => item.remove());
  stack.appendChild(item);
  while (stack.children.length > 4) stack.firstElementChild.remove();
  live.textContent = message;
  if (kind !== "error") setTimeout(() => item.remove(), 6000);
  return item;
}
const flash = toast;

function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

const fmtTime = (iso) => iso ? new Date(iso).toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", hour12: false}) : "";
/* The label table (hotline/labels.py, in the page's language): the display name of a code; an unknown code as itself. */
const label = (kind, code) => (code == null || code === "") ? "" : ((L[kind] || {})[code] || String(code));
const statusLabel = (s) => label("status", s);
const urgencyLabel = (u) => label("urgency", u);
const typeLabel = (t) => label("type", t);

/* Who did it in plain words, as hotline.labels.actor: the display name, 系统, or 市民（channel）. */
function actorName(actor, displayName) {
  if (displayName) return displayName;
  const [kind, channel] = String(actor || "").split(":");
  if (kind === "citizen" && channel) return `${label("actor", "citizen")}（${label("channel", channel)}）`;
  return label("actor", actor);
}

/* A department by its name, its code on hover. */
function deptHtml(code, name) {
  return code ? `<span class="dept" title="${esc(code)}">${esc(name || code)}</span>` : "";
}

function duration(ms) {
  const neg = ms < 0;
  let m = Math.floor(Math.abs(ms) / 60000);
  const d = Math.floor(m / 1440); m -= d * 1440;
  const h = Math.floor(m / 60); m -= h * 60;
  const parts = [];
  if (d) parts.push(d + L.ui.days);
  if (h || d) parts.push(h + L.ui.hours);
  parts.push(m + L.ui.minutes);
  return (neg ? "-" : "") + parts.join(" ");
}

/* The clock that runs now: signing (from dispatch to sign_due_at) or handling (from signing to due_at).
   Yellow from 80% of the allowed time (DOMAIN.md's warning), red when overdue. */
function clockOf(t, now) {
  now = now || Date.now();
  let start = null, due = null;
  if ((t.status === "dispatched" || t.status === "reopened") && !t.signed_at && t.sign_due_at) {
    start = t.dispatched_at; due = t.sign_due_at;
  } else if (t.status === "in_progress" && t.due_at) {
    start = t.signed_at || t.dispatched_at; due = t.due_at;
  }
  if (!due) return null;
  const dueMs = Date.parse(due), startMs = start ? Date.parse(start) : dueMs - 86400000;
  const left = dueMs - now;
  let level = "green";
  if (t.overdue || left < 0) level = "red";
  else if (t.warning || (now - startMs) >= 0.8 * (dueMs - startMs)) level = "yellow";
  if (t.paused) level = "paused";
  return {left, level, text: left < 0 ? L.ui.overdue + " " + duration(-left) : duration(left) + " " + L.ui.left};
}

function clockHtml(t) {
  const c = clockOf(t);
  if (!c) return "";
  return `<span class="clock ${c.level}" data-clock>${esc(c.text)}</span>`;
}

/* The live connection. `onEvent(event)` gets every event; after a reconnect, `catchUp(sinceIso)` is called so the
   page fetches what changed while it was away (events carry the ticket's updated_at). */
function connectLive(onEvent, catchUp) {
  const badge = $("#live");
  // Start from the server's clock at page render, not the browser's (which may be off).
  const serverNow = (document.querySelector('meta[name="server-now"]') || {}).content;
  let lastSeen = serverNow || new Date().toISOString();
  let connectedOnce = false;
  const socket = io("/agents", {transports: ["websocket", "polling"], reconnectionDelayMax: 3000});
  window.hotlineSocket = socket;
  socket.on("connect", () => {
    if (badge) { badge.textContent = L.ui.live; badge.className = "live on"; }
    document.body.dataset.live = "on";
    if (connectedOnce && catchUp) {
      // A little overlap: an event committed just before the drop may carry an earlier time.
      const since = new Date(Date.parse(lastSeen) - 5000).toISOString();
      Promise.resolve(catchUp(since)).catch((e) => console.warn("catch-up failed", e));
    }
    connectedOnce = true;
    if (window.onLiveConnect) window.onLiveConnect(socket);
  });
  socket.on("disconnect", () => {
    if (badge) { badge.textContent = L.ui.reconnecting; badge.className = "live off"; }
    document.body.dataset.live = "off";
  });
  socket.on("event", (ev) => {
    if (ev && ev.op === "notice") bumpUnread(ev);
    if (ev && ev.type === "session" && ev.op === "ended") { window.location.reload(); return; }
    if (ev && ev.updated_at && Date.parse(ev.updated_at) > Date.parse(lastSeen)) {
      lastSeen = new Date(Date.parse(ev.updated_at)).toISOString();
    }
    onEvent(ev);
  });
  return socket;
}

/* A notice to the department: the unread count in the header goes up at once (the inbox page lists them). */
function bumpUnread(ev) {
  const badge = $("#unread");
  if (!badge) return;
  const n = Number(badge.dataset.count || "0") + 1;
  badge.dataset.count = String(n);
  badge.textContent = String(n);
  badge.classList.remove("hidden");
  badge.title = ev.text || "";
}

/* Tickets changed since `since` (the catch-up after a reconnect), all pages. */
async function ticketsSince(since, extra) {
  const out = [];
  for (let page = 1; page <= 20; page++) {
    const q = new URLSearchParams({updated_since: since, per_page: "100", page: String(page), ...(extra || {})});
    const r = await api("GET", "/tickets?" + q.toString());
    out.push(...r.items);
    if (r.items.length < 100) break;
  }
  return out;
}

/* Refresh the text and colour of every clock once a minute (and right away). */
function tickClocks(getTicket) {
  const run = () => $$("[data-ticket-id]").forEach((row) => {
    const t = getTicket(Number(row.dataset.ticketId));
    const el = $("[data-clock]", row);
    if (!t || !el) return;
    const c = clockOf(t);
    if (c) { el.textContent = c.text; el.className = "clock " + c.level; }
  });
  setInterval(run, 30000);
  return run;
}

/* 受理五要素, as hotline/five_elements.py checks them: which of who, when, where, cause, what are missing. */
function missingElements(v) {
  const missing = [];
  if (!v.caller) missing.push("who");
  if (!v.occurred_at) missing.push("when");
  if (!v.region || !(v.address || "").trim()) missing.push("where");
  if (!v.category) missing.push("cause");
  if ((v.content || "").trim().length < 10) missing.push("what");
  return missing;
}

function elementsHtml(missing) {
  if (!missing.length) return `<span class="ok">${esc(L.ui.complete)}</span>`;
  return `<span class="warn">${esc(L.ui.missing)}: ` + missing.map((e) => esc(L.element[e] || e)).join("、") + "</span>";
}

/* A datetime-local value (the city's time, Asia/Shanghai) as ISO 8601 with its zone. */
function localToIso(value) {
  return value ? value + (value.length === 16 ? ":00" : "") + "+08:00" : undefined;
}

/* 常用语: the reply templates for a category listed under a text box; Alt+1…9 (or a click) inserts one at the cursor. */
async function attachTemplates(textarea, category) {
  const anchor = textarea.closest("label") || textarea;  // below the label that wraps it, not inside it
  let box = anchor.parentElement.querySelector(".templates");
  if (!box) {
    box = document.createElement("div");
    box.className = "templates";
    anchor.insertAdjacentElement("afterend", box);
    textarea.addEventListener("keydown", (e) => {
      const n = e.altKey && /^Digit[1-9]$/.test(e.code) ? Number(e.code.slice(5)) : 0;
      if (n && box.items && box.items[n - 1]) { e.preventDefault(); insertAtCursor(textarea, box.items[n - 1].text); }
    });
    box.addEventListener("click", (e) => {
      const b = e.target.closest("[data-tpl]");
      if (b) insertAtCursor(textarea, box.items[Number(b.dataset.tpl)].text);
    });
  }
  try {
    const r = await api("GET", "/reply-templates" + (category ? "?category=" + encodeURIComponent(category) : ""));
    box.items = r.items.slice(0, 9);
  } catch (e) { box.items = []; }
  box.innerHTML = box.items.length ? `<span class="muted">${esc(L.ui.templates)}:</span> ` + box.items.map((t, i) =>
    `<button type="button" class="small" data-tpl="${i}" title="${esc(t.text)}">Alt+${i + 1} ${esc(t.title)}</button>`).join(" ") : "";
}

function insertAtCursor(textarea, text) {
  const start = textarea.selectionStart ?? textarea.value.length, end = textarea.selectionEnd ?? start;
  textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
  textarea.selectionStart = textarea.selectionEnd = start + text.length;
  textarea.focus();
  textarea.dispatchEvent(new Event("input", {bubbles: true}));
}

/* Tables of tickets take the keyboard: from a link or button in a row, ↑/↓ (or k/j) move to the same place in the
   row above/below, Home/End to the first/last row; Enter opens the link as usual. The focused row is highlighted
   (design.css, tr:focus-within). */
document.addEventListener("keydown", (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey || !e.target.closest) return;
  const row = e.target.closest("main table tbody tr");
  if (!row || !e.target.matches("a, button")) return;
  const move = {ArrowDown: 1, ArrowUp: -1, j: 1, k: -1, Home: -Infinity, End: Infinity}[e.key];
  if (move === undefined) return;
  const rows = Array.from(row.parentElement.rows).filter((r) => r.offsetParent !== null && r.querySelector("a, button"));
  const here = rows.indexOf(row);
  const next = rows[Math.max(0, Math.min(rows.length - 1, Number.isFinite(move) ? here + move : (move < 0 ? 0 : rows.length - 1)))];
  if (!next || next === row) return;
  e.preventDefault();
  const same = Array.from(row.querySelectorAll("a, button")).indexOf(e.target);
  const targets = next.querySelectorAll("a, button");
  const target = targets[Math.min(same, targets.length - 1)];
  target.focus();
  target.scrollIntoView({block: "nearest"});
});
