/* The supervisors' queues, every one paged (no silent cap): returns, extensions, replies, dissatisfied callbacks,
   the callback queue and overdue escalations, each with its decisions; live. */
"use strict";

const PER_PAGE = 20;
let queue = new URLSearchParams(location.search).get("q") || "returns", page = 1;

function actsFor(name) {
  const box = $(`#acts`).content.querySelector(`[data-for="${name}"]`);
  return box ? box.innerHTML : "";
}

function rowHtml(t) {
  const why = t.return ? ` <span class="flag">${esc(L.return_reason[t.return.reason] || t.return.reason)}</span>` : "";
  return `<tr data-ticket-id="${t.id}"><td><a href="/agents/tickets/${t.id}">${esc(t.number)}</a>${why}</td>
    <td>${esc(statusLabel(t.status))}</td><td>${deptHtml(t.department, t.department_name)}</td>
    <td><span class="urgency ${esc(t.urgency)}">${esc(urgencyLabel(t.urgency))}</span></td>
    <td class="content">${esc((t.reply || t.content || "").slice(0, 80))}</td><td class="acts">${actsFor(queue)}</td></tr>`;
}

async function load() {
  $$("#queue-tabs button").forEach((b) => b.classList.toggle("current", b.dataset.queue === queue));
  const r = await api("GET", `/queues/${queue}?page=${page}&per_page=${PER_PAGE}`);
  const pages = Math.max(1, Math.ceil(r.total / PER_PAGE));
  if (page > pages) { page = pages; return load(); }
  $("#queue tbody").innerHTML = r.items.map(rowHtml).join("");
  $("#empty").classList.toggle("hidden", r.items.length > 0);
  $("#page-no").textContent = String(page);
  $("#pages").textContent = String(pages);
  $("#prev").disabled = page <= 1;
  $("#next").disabled = page >= pages;
  $(`#queue-tabs [data-queue="${queue}"] [data-count]`).textContent = String(r.total);
  document.body.dataset.loaded = `${queue}:${page}:${Date.now()}`;
}
const reload = debounce(() => load().catch((e) => flash(errorText(e), "error")), 200);

$("#queue-tabs").addEventListener("click", (e) => {
  const b = e.target.closest("[data-queue]");
  if (!b) return;
  queue = b.dataset.queue;
  page = 1;
  history.replaceState(null, "", "?q=" + queue);
  reload();
});
$("#prev").addEventListener("click", () => { if (page > 1) { page--; reload(); } });
$("#next").addEventListener("click", () => { page++; reload(); });

$("#queue").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target.closest("form[data-act]");
  const id = Number(form.closest("tr").dataset.ticketId);
  const body = {};
  for (const [k, v] of new FormData(form).entries()) if (String(v).trim()) body[k] = String(v).trim();
  try {
    const t = await api("POST", `/tickets/${id}/actions/${form.dataset.act}`, body);
    flash(`${t.number} · ${L.action[form.dataset.act] || form.dataset.act} ✓`);
    await load();
  } catch (err) { flash(errorText(err), "error"); }
});

connectLive((ev) => { if (ev && ev.type === "ticket") reload(); }, () => reload());
// The count on every tab, then the chosen queue.
Promise.all($$("#queue-tabs [data-queue]").map(async (b) => {
  const r = await api("GET", `/queues/${b.dataset.queue}?per_page=1`);
  $("[data-count]", b).textContent = String(r.total);
})).then(load).catch((e) => flash(errorText(e), "error"));
