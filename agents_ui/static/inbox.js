/* The intake inbox (待派单): tickets waiting in `accepted`, oldest first, live. An operator claims one (others see
   it taken; a claim lapses after 10 idle minutes), corrects it, then dispatches, answers, merges or hands it off. */
"use strict";

const PER_PAGE = 20;
let page = 1, items = [], working = null, departments = [];

function age(iso) {
  return duration(Date.now() - Date.parse(iso));
}

function claimLive(t) {
  return t.claim && Date.parse(t.claim.until) > Date.now() ? t.claim : null;
}

function rowHtml(t) {
  const c = claimLive(t);
  let claim;
  if (c && c.mine) claim = `<span class="claimed mine">${esc(L.ui.mine)}</span>`;
  else if (c) claim = `<span class="claimed" title="${esc(c.by)}">${esc(L.ui.claimed_by)} ${esc(c.name || c.by)}</span>`;
  else claim = `<button type="button" data-claim>${esc(L.ui.claim)}</button>`;
  const s = t.suggestion;
  const dups = t.duplicates.map((d) => `<a href="/agents/tickets/${d.id}">${esc(d.number)}</a>`).join(" ");
  return `<tr data-ticket-id="${t.id}" class="${c ? "taken" : ""}">
    <td><a href="/agents/tickets/${t.id}">${esc(t.number)}</a>${t.returned ? ` <span class="flag">${esc(L.ui.returned)}</span>` : ""}</td>
    <td>${esc(L.channel[t.channel] || t.channel)}</td>
    <td data-age>${esc(age(t.created_at))}</td>
    <td>${esc(typeLabel(t.type))} / <span class="urgency ${esc(t.urgency)}">${esc(urgencyLabel(t.urgency))}</span></td>
    <td class="content">${esc(t.title ? t.title + "：" : "")}${esc((t.content || "").slice(0, 60))}</td>
    <td class="suggestion">${s ? esc(s.department_name || s.department) : "—"}</td>
    <td>${dups || "—"}</td>
    <td class="elements">${elementsHtml(t.missing_elements)}</td>
    <td class="claim">${claim}</td></tr>`;
}

function render() {
  $("#inbox tbody").innerHTML = items.map(rowHtml).join("");
  $("#empty").classList.toggle("hidden", items.length > 0);
  $("#page-no").textContent = String(page);
}

async function load() {
  const r = await api("GET", `/inbox?page=${page}&per_page=${PER_PAGE}`);
  items = r.items;
  $("#inbox-total").textContent = String(r.total);
  $("#prev").disabled = page <= 1;
  $("#next").disabled = page * PER_PAGE >= r.total;
  render();
  if (working) {
    const fresh = items.find((t) => t.id === working.id);
    if (fresh) showWork(fresh);
  }
}
const reload = debounce(() => load().catch((e) => flash(errorText(e), "error")), 200);

/* ---- the ticket being worked on ---- */
function showWork(t) {
  // A live refresh of the same, unchanged ticket (a claim event, the inbox reloading) keeps what the operator is
  // typing into the correction form; a different ticket or a changed one fills it afresh.
  const unchanged = working && working.id === t.id && working.updated_at === t.updated_at;
  working = t;
  $("#work").classList.remove("hidden");
  $("#work-number").textContent = t.number;
  $("#work-status").textContent = statusLabel(t.status);
  $("#work-content").textContent = t.content;
  $("#work-elements").innerHTML = elementsHtml(t.missing_elements);
  if (unchanged) return;
  const f = $("#reclassify");
  f.type.value = t.type;
  f.urgency.value = t.urgency;
  f.category.value = t.category || "";
  f.region.value = t.region || "";
  f.address.value = t.address || "";
  f.title.value = t.title || "";
  attachTemplates($("#work form[data-action=answer] textarea"), t.category);
  if (t.suggestion && !$("#dispatch-dept").dataset.touched) $("#dispatch-dept").value = t.suggestion.department;
}

function closeWork() {
  working = null;
  $("#work").classList.add("hidden");
  $("#dispatch-dept").dataset.touched = "";
  $$("#work form").forEach((f) => { if (f.id !== "reclassify") f.reset(); });
}

async function claim(id) {
  try {
    await api("POST", `/inbox/${id}/claim`);
    const t = items.find((x) => x.id === id);
    if (t) showWork(t);
    await load();
  } catch (e) { flash(errorText(e), "error"); reload(); }
}

async function release() {
  if (!working) return;
  const id = working.id;
  closeWork();
  try { await api("DELETE", `/inbox/${id}/claim`); flash(L.ui.released); } catch (e) { flash(errorText(e), "error"); }
  reload();
}

function bodyOf(form) {
  const action = form.dataset.action;
  const data = new FormData(form);
  if (action === "reclassify") {
    // Only what changed, with the reason.
    const body = {reason: data.get("reason")};
    for (const [name, key] of [["type", "type"], ["urgency", "urgency"], ["category", "category"],
      ["region", "region"], ["address", "address"], ["title", "title"]]) {
      const value = data.get(name) || null;
      if (value !== (working[key] || null) && value !== null) body[name] = value;
    }
    return body;
  }
  if (action === "dispatch") return {department: data.get("department"), assisting: data.getAll("assisting")};
  if (action === "merge") return {into: Number(data.get("into"))};
  if (action === "answer") return {text: data.get("text")};
  if (action === "hand-off") return {to: data.get("to")};
  return {};
}

$("#work").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target.closest("form");
  if (!form || !working) return;
  try {
    const t = await api("POST", `/tickets/${working.id}/actions/${form.dataset.action}`, bodyOf(form));
    if (t.status === "accepted") {
      form.reset();
      flash(L.ui.reclassified);
      showWork({...working, ...t});
    } else {
      flash(`${t.number} · ${statusLabel(t.status)}`);
      closeWork();
    }
    reload();
  } catch (err) { flash(errorText(err), "error"); }
});

$("#inbox").addEventListener("click", (e) => {
  const b = e.target.closest("button[data-claim]");
  if (b) claim(Number(b.closest("tr").dataset.ticketId));
});
$("#release").addEventListener("click", release);
$("#dispatch-dept").addEventListener("change", (e) => { e.target.dataset.touched = "1"; });
$("#prev").addEventListener("click", () => { if (page > 1) { page--; reload(); } });
$("#next").addEventListener("click", () => { page++; reload(); });

/* Keyboard: J/K move the focus between rows, C claims the focused (or first free) row, Esc releases. */
document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, textarea, select")) {
    if (e.key === "Escape") e.target.blur();
    return;
  }
  const rows = $$("#inbox tbody tr");
  const at = rows.indexOf(document.activeElement && document.activeElement.closest("tr"));
  if (e.key === "j" || e.key === "k") {
    const next = rows[Math.max(0, Math.min(rows.length - 1, at + (e.key === "j" ? 1 : -1)))];
    if (next) { next.tabIndex = -1; next.focus(); }
  } else if (e.key === "c") {
    const row = at >= 0 ? rows[at] : rows.find((r) => $("button[data-claim]", r));
    if (row) claim(Number(row.dataset.ticketId));
  } else if (e.key === "Escape") {
    release();
  }
});

/* ---- live ---- */
connectLive((ev) => {
  if (!ev || ev.type !== "ticket") return;
  if (ev.op === "claimed" || ev.op === "released") {
    reload();  // whose claim it is (mine or another's) comes from the server
    return;
  }
  if (ev.op === "created" || ev.op === "updated") {
    if (working && ev.id === working.id && ev.status !== "accepted") closeWork();
    reload();
  }
}, () => reload());

// Ages and lapsed claims change with time alone.
setInterval(() => { if (items.length) render(); }, 30000);

(async function start() {
  const [cats, regions, depts] = await Promise.all([
    api("GET", "/catalogue/categories"), api("GET", "/catalogue/regions"), api("GET", "/catalogue/departments")]);
  $("#rc-category").innerHTML += cats.map((c) =>
    `<option value="${esc(c.code)}">${esc(c.path.replaceAll("/", " › "))}</option>`).join("");
  $("#rc-region").innerHTML += regions.map((r) =>
    `<option value="${esc(r.code)}">${"\u3000".repeat(["city", "county", "street", "community"].indexOf(r.level))}${esc(r.name)}</option>`).join("");
  departments = depts.filter((d) => d.dispatchable);
  const options = departments.map((d) => `<option value="${esc(d.code)}">${esc(d.name)}</option>`).join("");
  $("#dispatch-dept").innerHTML = options;
  $("#dispatch-assisting").innerHTML = options;
  await load();
})().catch((e) => flash(errorText(e), "error"));
