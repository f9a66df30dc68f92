/* 工单查询: the search form drives GET /api/v1/tickets (and its export.xlsx) with the same parameters; the URL keeps
   the search, so a search can be bookmarked, reloaded or sent to a colleague. */
"use strict";

const form = $("#search");
const PER_PAGE = 20;
let page = 1;

function params() {
  const p = new URLSearchParams();
  for (const [k, v] of new FormData(form).entries()) if (String(v).trim() !== "") p.set(k, String(v).trim());
  return p;
}

function rowHtml(t) {
  return `<tr data-ticket-id="${t.id}"><td><a href="/agents/tickets/${t.id}">${esc(t.number)}</a></td>
    <td>${esc(statusLabel(t.status))}</td><td>${esc(L.channel[t.channel] || t.channel)}</td><td>${esc(typeLabel(t.type))}</td>
    <td><span class="urgency ${esc(t.urgency)}">${esc(urgencyLabel(t.urgency))}</span></td><td>${deptHtml(t.department, t.department_name)}</td>
    <td>${esc(fmtTime(t.created_at))}</td><td>${esc(t.address || "")}</td>
    <td class="content">${esc((t.title ? t.title + "：" : "") + (t.content || "").slice(0, 80))}</td>
    <td><a href="/agents/tickets/${t.id}/print" target="_blank">${esc(L.ui.print)}</a></td></tr>`;
}

async function run() {
  const p = params();
  $("#export").href = "/api/v1/tickets/export.xlsx?" + p.toString();
  history.replaceState(null, "", "?" + p.toString() + (page > 1 ? "&page=" + page : ""));
  p.set("page", String(page));
  p.set("per_page", String(PER_PAGE));
  try {
    const r = await api("GET", "/tickets?" + p.toString());
    $("#results tbody").innerHTML = r.items.map(rowHtml).join("");
    $("#total").textContent = r.total + (r.total_exact === false ? "+" : "");
    $("#empty").classList.toggle("hidden", r.items.length > 0);
    $("#page-no").textContent = String(page);
    $("#prev").disabled = page <= 1;
    $("#next").disabled = page * PER_PAGE >= r.total;
    document.body.dataset.searched = String(Date.now());
  } catch (e) { flash(errorText(e), "error"); }
}

form.addEventListener("submit", (e) => { e.preventDefault(); page = 1; run(); });
$("#prev").addEventListener("click", () => { if (page > 1) { page--; run(); } });
$("#next").addEventListener("click", () => { page++; run(); });

(async function start() {
  const [cats, regions] = await Promise.all([api("GET", "/catalogue/categories"), api("GET", "/catalogue/regions")]);
  $("#f-category").innerHTML += cats.map((c) =>
    `<option value="${esc(c.code)}">${"\u3000".repeat(c.level - 1)}${esc(c.path.split("/").pop())}</option>`).join("");
  $("#f-region").innerHTML += regions.map((r) =>
    `<option value="${esc(r.code)}">${"\u3000".repeat(["city", "county", "street", "community"].indexOf(r.level))}${esc(r.name)}</option>`).join("");
  if ($("#f-department")) {
    const depts = await api("GET", "/catalogue/departments");
    $("#f-department").innerHTML += depts.filter((d) => d.dispatchable)
      .map((d) => `<option value="${esc(d.code)}">${esc(d.name)}</option>`).join("");
  }
  // A search in the address bar (a bookmark, a reload) fills the form and runs.
  const given = new URLSearchParams(location.search);
  for (const [k, v] of given.entries()) if (form.elements[k]) form.elements[k].value = v;
  page = Number(given.get("page")) || 1;
  await run();
})().catch((e) => flash(errorText(e), "error"));
