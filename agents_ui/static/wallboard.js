/* Supervisor wallboard: live counts, review queues with approve/reject, the callback queue, and charts of the
   day and the month (Chart.js from npm, served locally). Refetches (debounced) on every ticket event. */
"use strict";

const CAN_DECIDE = document.body.dataset.role !== "leader";
let dayChart = null, monthChart = null;

function setText(id, v) { $(id).textContent = v == null ? "—" : v; }

function queueHtml(items, box, extra) {
  if (!items.length) return `<p class="muted">${esc(L.ui.none)}</p>`;
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

function chart(existing, canvas, labels, created, closed, type) {
  const data = {labels, datasets: [
    {label: L.ui.new_ticket, data: created, backgroundColor: "#b71c1c", borderColor: "#b71c1c"},
    {label: L.status.closed, data: closed, backgroundColor: "#2e7d32", borderColor: "#2e7d32"}]};
  if (existing) { existing.data = data; existing.update("none"); return existing; }
  return new Chart(canvas, {type, data, options: {animation: false, responsive: true,
    scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}});
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
    || `<li class="muted">${esc(L.ui.none)}</li>`;
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
