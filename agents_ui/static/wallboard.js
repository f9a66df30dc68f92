/* Supervisor wallboard: live counts, review queues with approve/reject, the callback queue, and charts of the
   day and the month (Chart.js from npm, served locally). Refetches (debounced) on every ticket event. */
"use strict";

const CAN_DECIDE = document.body.dataset.role !== "leader";
let dayChart = null, monthChart = null;

function setText(id, v) { $(id).textContent = v == null ? "—" : v; }

function queueHtml(items, box, extra) {
  if (!items.length) return `<p class="empty empty--small">${esc(box.dataset.empty || L.ui.none)}</p>`;
  return `<ul class="queue">${items.map((t) => `
    <li data-ticket-id="${t.id}"><a href="/agents/tickets/${t.id}">${esc(t.number)}</a> ${deptHtml(t.department, t.department_name)}
      ${extra ? extra(t) : ""}
      ${CAN_DECIDE && box.dataset.approve ? `
        <button type="button" class="small" data-act="${box.dataset.approve}" data-id="${t.id}">${esc(L.ui.approve)}</button>
        <button type="button" class="small" data-act="${box.dataset.reject}" data-id="${t.id}">${esc(L.ui.reject)}</button>` : ""}
      <div class="muted">${esc((t.reply || t.content || "").slice(0, 60))}</div></li>`).join("")}</ul>`;
}

const QUEUE_PREVIEW = 10;
/* The card's heading shows the queue's full count, a link to the queue's pages. */
function queueCount(box, key, total) {
  const h = box.closest(".card").querySelector("h2");
  let a = h.querySelector("a.count");
  if (!a) {
    a = document.createElement("a");
    a.className = "count";
    a.href = `/agents/queues?q=${key}`;
    h.append(" ", a);
  }
  a.textContent = String(total);
  a.dataset.total = String(total);
}

/* The charts' colours: dark on white, light and larger on the big screen's dark background. */
function chartTheme() {
  const big = document.body.classList.contains("bigscreen");
  return {big, text: big ? "#e6edf5" : "#3a4654", grid: big ? "rgba(230,237,245,.15)" : "rgba(0,0,0,.08)",
    created: big ? "#ff6b6b" : "#b71c1c", closed: big ? "#69db7c" : "#2e7d32", size: big ? 18 : 12};
}

function chartOptions(th) {
  const axis = {ticks: {color: th.text, font: {size: th.size}}, grid: {color: th.grid}};
  return {animation: false, responsive: true, color: th.text,
    plugins: {legend: {labels: {color: th.text, font: {size: th.size}}}},
    scales: {x: axis, y: {...axis, beginAtZero: true, ticks: {...axis.ticks, precision: 0}}}};
}

function chart(existing, canvas, labels, created, closed, type) {
  const th = chartTheme();
  const data = {labels, datasets: [
    {label: L.ui.new_ticket, data: created, backgroundColor: th.created, borderColor: th.created, borderWidth: th.big ? 4 : 2},
    {label: L.status.closed, data: closed, backgroundColor: th.closed, borderColor: th.closed, borderWidth: th.big ? 4 : 2}]};
  if (existing) { existing.data = data; existing.options = chartOptions(th); existing.update("none"); return existing; }
  return new Chart(canvas, {type, data, options: chartOptions(th)});
}

async function loadKpis() {
  const now = new Date(), pad = (n) => String(n).padStart(2, "0");
  const from = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-01`, to = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  try {
    const rows = await api("GET", `/reports/kpis?from=${from}&to=${to}`);
    const pct = (v) => v == null ? "—" : Math.round(v * 1000) / 10 + "%";
    $("#kpis").innerHTML = `<table><tr><th></th><th>派单</th><th>及时签收率</th><th>按时办结率</th><th>满意率</th></tr>
      ${(Array.isArray(rows) ? rows : rows.items || []).filter((r) => r.dispatched).map((r) => `<tr><td>${deptHtml(r.department, r.name)}</td>
      <td>${esc(r.dispatched)}</td><td>${pct(r.signed_on_time_rate)}</td><td>${pct(r.resolved_on_time_rate)}</td>
      <td>${pct(r.satisfaction_rate)}</td></tr>`).join("")}</table>`;
    $("#kpi-card").classList.remove("hidden");
  } catch (e) { /* reports not installed yet: the card stays hidden */ }
}

/* The call figures: the longest wait keeps counting between events from the server's figure. */
let longest = null;
function showLongest() {
  if (!longest) return;
  const s = longest.seconds ? longest.seconds + Math.round((Date.now() - longest.at) / 1000) : 0;
  setText("#c-longest", s ? Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") : "0");
}
setInterval(showLongest, 1000);

async function loadOperators() {
  const rows = await api("GET", "/operators/presence");
  $("#operators").innerHTML = rows.map((p) => `<li class="pill" data-user="${esc(p.username)}" data-status="${esc(p.status)}">
    ${esc(p.display_name || p.username)} <b>${esc(L.presence[p.status] || p.status)}</b></li>`).join("")
    || `<li class="empty empty--small">${esc($("#operators").dataset.empty || L.ui.none)}</li>`;
}

async function load() {
  // Each queue's full count from the database, and its first few tickets (the whole queue is on /agents/queues).
  const [w, q] = await Promise.all([api("GET", "/wallboard"), api("GET", `/queues?per_page=${QUEUE_PREVIEW}`), loadOperators()]);
  setText("#c-calls", w.calls_waiting);
  setText("#c-free", w.operators_free);
  setText("#c-busy", w.operators.busy);
  setText("#c-after-call", w.operators.after_call);
  setText("#c-away", w.operators.away);
  setText("#c-answered", w.calls_today.answered);
  setText("#c-within", w.calls_today.answered_within_15s);
  setText("#c-abandoned", w.calls_today.abandoned);
  longest = {seconds: w.longest_wait_seconds, at: Date.now()};
  showLongest();
  setText("#c-today", w.today.created);
  setText("#c-open", w.open.total);
  setText("#c-overdue", w.overdue);
  $("#by-status").innerHTML = Object.entries(w.today.by_status).map(([s, n]) =>
    `<span class="pill s-${esc(s)}" data-status="${esc(s)}">${esc(statusLabel(s))} <b>${n}</b></span>`).join("")
    || `<span class="muted">${esc(L.ui.none)}</span>`;
  for (const key of ["returns", "extensions", "replies", "escalated", "callbacks"]) {
    const box = $(`#q-${key}`);
    box.innerHTML = queueHtml(q[key].items, box,
      key === "callbacks" ? (t) => `<span class="muted">${esc(fmtTime(t.updated_at))}</span>` : undefined);
    queueCount(box, key, q[key].total);
  }
  const c = w.charts;
  dayChart = chart(dayChart, $("#chart-day"), c.hours, c.created_by_hour, c.closed_by_hour, "bar");
  monthChart = chart(monthChart, $("#chart-month"), c.days, c.created_by_day, c.closed_by_day, "line");
  document.body.dataset.loadedAt = w.at;
}

document.addEventListener("click", async (e) => {
  const b = e.target.closest("[data-act]");
  if (!b) return;
  b.disabled = true;
  try {
    await api("POST", `/tickets/${b.dataset.id}/actions/${b.dataset.act}`, {});
    flash(L.action[b.dataset.act] + " ✓");
    await load();
  } catch (err) { flash(errorText(err), "error"); b.disabled = false; }
});

const reload = debounce(() => load().catch((e) => console.warn(e)), 300);
/* 热点预警: the week's hotspot alerts, newest first; a new one arrives live (a `hotspot` event) and is marked. */
function hotspotHtml(a, fresh) {
  return `<li class="${fresh ? "new" : ""}" data-alert="${a.id}"><b>${esc(a.category_name || a.category)}</b> ·
    ${esc(a.region_name || a.region)} · ${esc(a.count)} ${esc(L.ui.tickets)} <span class="muted">${esc(fmtTime(a.window_end))}</span></li>`;
}
async function loadHotspots() {
  try {
    const r = await api("GET", "/reports/hotspots");
    $("#hotspots").innerHTML = r.alerts.slice(0, 10).map((a) => hotspotHtml(a, false)).join("")
      || `<li class="muted">${esc(L.ui.none)}</li>`;
  } catch (e) { /* leaders and supervisors only: the card stays as it is */ }
}
function onHotspot(ev) {
  if ($(`#hotspots [data-alert="${ev.id}"]`)) return;
  $$("#hotspots li.muted").forEach((li) => li.remove());
  $("#hotspots").insertAdjacentHTML("afterbegin", hotspotHtml(ev, true));
}

connectLive((ev) => { if (ev && ev.type === "hotspot") onHotspot(ev); else reload(); }, () => { load(); loadHotspots(); });
loadHotspots();
setInterval(reload, 60000);
load().catch((e) => flash(errorText(e), "error"));
loadKpis();

/* 大屏: the big-screen mode for a wall display, readable across the room. F (or the button) enters it and asks the
   browser for full screen; Esc leaves. /agents/wallboard?big=1 opens in it (a display's kiosk browser). */
const bigToggle = $("#bigscreen-toggle");
function setBig(on) {
  document.body.classList.toggle("bigscreen", on);
  bigToggle.setAttribute("aria-pressed", String(on));
  bigToggle.textContent = on ? bigToggle.dataset.off : bigToggle.dataset.on;
  if (on && document.fullscreenEnabled && !document.fullscreenElement) {
    document.documentElement.requestFullscreen().catch(() => { /* refused (no user gesture): the layout is enough */ });
  } else if (!on && document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
  }
  const url = new URL(window.location.href);
  if (on) url.searchParams.set("big", "1"); else url.searchParams.delete("big");
  history.replaceState(null, "", url);
  reload();
}
bigToggle.addEventListener("click", () => setBig(!document.body.classList.contains("bigscreen")));
document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, select, textarea") || e.ctrlKey || e.altKey || e.metaKey) return;
  if (e.key === "f" || e.key === "F") { e.preventDefault(); setBig(!document.body.classList.contains("bigscreen")); }
  if (e.key === "Escape" && document.body.classList.contains("bigscreen")) setBig(false);
});
document.addEventListener("fullscreenchange", () => {
  // Leaving full screen with the browser's own Esc leaves the big-screen layout too.
  if (!document.fullscreenElement && document.body.classList.contains("bigscreen")) setBig(false);
});
function tickBoardClock() {
  $("#board-clock").textContent = new Date().toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", hour12: false,
    month: "long", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit"});
}
tickBoardClock();
setInterval(tickBoardClock, 15000);
if (new URLSearchParams(window.location.search).get("big") === "1") {
  document.body.classList.add("bigscreen");
  bigToggle.setAttribute("aria-pressed", "true");
  bigToggle.textContent = bigToggle.dataset.off;
}
