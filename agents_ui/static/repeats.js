/* 反复投诉: callers who wrote about one matter 3+ times in 30 days, flagged for supervision; paged (no silent cap),
   settled with a note; live (a new ticket may raise or grow a flag). */
"use strict";

const PER_PAGE = 20;
let show = new URLSearchParams(location.search).get("show") || "open", page = 1;
const texts = $("#repeat-texts").content;

function matterText(m) {
  const el = texts.querySelector(`[data-matter="${m}"]`);
  return el ? el.textContent : m;
}

function rowHtml(f) {
  const tickets = f.ticket_ids.map((id, i) => `<a href="/agents/tickets/${id}">${esc(f.tickets[i])}</a>`).join(" ");
  const last = f.last_ticket;
  const caller = [f.caller.name, f.caller.phone].filter(Boolean).join(" ");
  const act = f.resolved_at
    ? `<span class="muted">${esc(f.resolved_by || "")} ${esc(fmtTime(f.resolved_at))} ${esc(f.note || "")}</span>`
    : texts.querySelector("form[data-act=resolve]").outerHTML;
  return `<tr data-flag-id="${f.id}"><td>${esc(caller)}</td><td><b>${f.count}</b></td>
    <td>${esc(matterText(f.matter))}${last && last.address ? ` · ${esc(last.address)}` : ""}</td>
    <td class="numbers">${tickets}</td>
    <td class="content">${last ? `${esc(statusLabel(last.status))} · ${esc(last.content)}` : ""}</td>
    <td>${esc(fmtTime(f.updated_at))}</td><td class="acts">${act}</td></tr>`;
}

async function count(button) {
  const r = await api("GET", `/routing/repeats?status=${button.dataset.show}&per_page=1`);
  $("[data-count]", button).textContent = String(r.total);
}

async function load() {
  $$("#repeat-tabs button").forEach((b) => b.classList.toggle("current", b.dataset.show === show));
  const r = await api("GET", `/routing/repeats?status=${show}&page=${page}&per_page=${PER_PAGE}`);
  const pages = Math.max(1, Math.ceil(r.total / PER_PAGE));
  if (page > pages) { page = pages; return load(); }
  $("#repeats tbody").innerHTML = r.items.map(rowHtml).join("");
  $("#empty").classList.toggle("hidden", r.items.length > 0);
  $("#page-no").textContent = String(page);
  $("#pages").textContent = String(pages);
  $("#prev").disabled = page <= 1;
  $("#next").disabled = page >= pages;
  $(`#repeat-tabs [data-show="${show}"] [data-count]`).textContent = String(r.total);
  document.body.dataset.loaded = `${show}:${page}:${Date.now()}`;
}
const reload = debounce(() => Promise.all([load(), ...$$("#repeat-tabs button").map(count)])
  .catch((e) => flash(errorText(e), "error")), 300);

$("#repeat-tabs").addEventListener("click", (e) => {
  const b = e.target.closest("[data-show]");
  if (!b) return;
  show = b.dataset.show;
  page = 1;
  history.replaceState(null, "", "?show=" + show);
  reload();
});
$("#prev").addEventListener("click", () => { if (page > 1) { page--; reload(); } });
$("#next").addEventListener("click", () => { page++; reload(); });

$("#repeats").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target.closest("form[data-act=resolve]");
  const id = Number(form.closest("tr").dataset.flagId);
  const note = String(new FormData(form).get("note") || "").trim();
  try {
    await api("POST", `/routing/repeats/${id}/resolve`, note ? {note} : {});
    flash(`${form.querySelector("button").textContent} ✓`);
    reload();
  } catch (err) { flash(errorText(err), "error"); }
});

connectLive((ev) => { if (ev && ev.type === "ticket" && ev.op === "created") reload(); }, () => reload());
reload();
