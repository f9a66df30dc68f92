/* Operator console: screen-pop, caller history, intake with a searchable category tree, routing suggestions and
   possible duplicates as the operator types, the knowledge base, and the intake outcomes. Keyboard first. */
"use strict";

const form = $("#intake");
let categories = [], byCode = new Map(), current = null, routingAvailable = true, duplicatesAvailable = true;
let callId = null;  // the call the form records (a screen-pop, or ?call= from the calls page): the ticket links to it

/* ---- reference data ---- */
async function loadReference() {
  const [cats, regions, depts] = await Promise.all([
    api("GET", "/catalogue/categories"), api("GET", "/catalogue/regions"), api("GET", "/catalogue/departments")]);
  categories = cats;
  cats.forEach((c) => byCode.set(c.code, c));
  $("#region").innerHTML += regions.map((r) =>
    `<option value="${esc(r.code)}">${"\u3000".repeat(["city", "county", "street", "community"].indexOf(r.level))}${esc(r.name)}</option>`).join("");
  $("#dispatch-dept").innerHTML = depts.filter((d) => d.dispatchable)
    .map((d) => `<option value="${esc(d.code)}">${esc(d.name)}</option>`).join("");
  $("#dispatch-assisting").innerHTML = $("#dispatch-dept").innerHTML;
}

/* ---- category tree picker with search ---- */
function renderTree(q) {
  const box = $("#category-tree");
  q = (q || "").trim();
  let items;
  if (q) {
    items = categories.filter((c) => c.path.includes(q) || c.code.startsWith(q)).slice(0, 30);
  } else {
    items = categories.filter((c) => c.level === 1);
  }
  box.innerHTML = items.map((c) =>
    `<button type="button" class="cat l${c.level}" data-code="${esc(c.code)}" tabindex="-1">${esc(c.path.replaceAll("/", " › "))}</button>`,
  ).join("");
}
function chooseCategory(code) {
  const c = byCode.get(code);
  if (!c) return;
  if (c.level < 3 && !$("#category-search").value) {
    // Browsing: open the node's children.
    const kids = categories.filter((k) => k.parent === code);
    if (kids.length) {
      $("#category-tree").innerHTML = kids.map((k) =>
        `<button type="button" class="cat l${k.level}" data-code="${esc(k.code)}" tabindex="-1">${esc(k.path.replaceAll("/", " › "))}</button>`).join("");
    }
  }
  $("#category").value = code;
  $("#category-chosen").textContent = c.path.replaceAll("/", " › ");
  refreshAdvice();
  showElements();
}
$("#category-search").addEventListener("input", (e) => renderTree(e.target.value));
$("#category-search").addEventListener("keydown", (e) => {
  if (e.key === "Enter") { e.preventDefault(); const first = $("#category-tree .cat"); if (first) first.click(); }
  if (e.key === "ArrowDown") { e.preventDefault(); const first = $("#category-tree .cat"); if (first) first.focus(); }
});
$("#category-tree").addEventListener("click", (e) => { const b = e.target.closest(".cat"); if (b) chooseCategory(b.dataset.code); });
$("#category-tree").addEventListener("keydown", (e) => {
  const b = e.target.closest(".cat");
  if (!b) return;
  if (e.key === "ArrowDown" && b.nextElementSibling) { e.preventDefault(); b.nextElementSibling.focus(); }
  if (e.key === "ArrowUp") { e.preventDefault(); (b.previousElementSibling || $("#category-search")).focus(); }
});

/* ---- caller history (screen-pop) ---- */
async function showHistory(phone) {
  if (!phone) return;
  try {
    const h = await api("GET", "/callers/history?phone=" + encodeURIComponent(phone));
    const flag = h.repeat ? `<span class="flag repeat">${esc(L.ui.repeat_caller)}</span>` : `<span class="flag">${esc(L.ui.new_caller)}</span>`;
    $("#pop-flag").innerHTML = flag;
    if (h.name && !form.caller_name.value) form.caller_name.value = h.name;
    $("#history").innerHTML = flag + (h.tickets.length ? `<ul class="history">${h.tickets.map((t) => `
      <li class="${["closed", "merged", "not_accepted", "handed_off"].includes(t.status) ? "" : "open"}">
        <a href="/agents/tickets/${t.id}" target="_blank">${esc(t.number)}</a> ${esc(statusLabel(t.status))}
        <button type="button" data-merge="${t.id}" class="small">${esc(L.ui.merge_into)}</button>
        <div class="muted">${esc((t.content || "").slice(0, 50))}</div></li>`).join("")}</ul>` : "");
  } catch (e) {
    $("#history").textContent = errorText(e);
  }
}
form.caller_phone.addEventListener("change", (e) => showHistory(e.target.value));

function screenPop(ev) {
  newTicket();  // first: a new ticket hides the pop
  callId = ev.id || null;
  $("#screen-pop").classList.remove("hidden");
  $("#pop-number").textContent = ev.from || ev.caller_phone || "";
  form.caller_phone.value = ev.from || ev.caller_phone || "";
  showHistory(form.caller_phone.value);
  form.content.focus();
}

/* ---- routing suggestions, duplicates, knowledge base: as the operator types ---- */
async function suggest() {
  const content = form.content.value.trim();
  if (!routingAvailable || content.length < 4) return;
  try {
    const r = await api("POST", "/routing/suggest", {content, region: form.region.value || undefined,
      category: form.category.value || undefined});
    const list = r.suggestions || [];
    const rule = r.rule && r.rule.department
      ? `<p class="rule">${esc(L.ui.catalogue_rule)}: <b>${esc(r.rule.department_name || r.rule.department)}</b></p>` : "";
    $("#suggestions").innerHTML = (r.emergency ? `<p class="flag repeat">${esc(L.ui.emergency)}</p>` : "") + rule
      + (r.needs_review ? `<p class="flag">${esc(L.ui.needs_review)}</p>` : "")
      + (list.length ? list.map((s, i) => `
      <div class="suggestion"><button type="button" class="small" data-suggest="${i}">${esc(L.ui.use)}</button>
        ${esc(s.department_name || s.department)} · ${esc((s.category_path || s.category || "").split("/").pop())}
        <span class="muted">${esc(L.ui.confidence)} ${Math.round((s.confidence || 0) * 100)}%</span></div>`).join("")
        : esc(L.ui.no_suggestions));
    $("#suggestions").suggestions = list;
    preselectDepartment(r.rule && r.rule.department ? r.rule.department : list.length ? list[0].department : null);
    if (r.urgency && form.urgency.value === "normal" && r.urgency !== "normal") form.urgency.value = r.urgency;
  } catch (e) {
    if (e.status === 404 || e.status === 405) { routingAvailable = false; $("#suggestions").textContent = L.ui.suggestions_unavailable; }
  }
}
/* The dispatch list starts on the catalogue's (or the best suggested) department, so that dispatching from the
   keyboard is Tab to the list and Alt+D; a department the operator picked is never overridden. */
let departmentPicked = false;
function preselectDepartment(code) {
  const select = $("#dispatch-dept");
  if (departmentPicked || !code || !Array.from(select.options).some((o) => o.value === code)) return;
  select.value = code;
}
$("#dispatch-dept").addEventListener("change", () => { departmentPicked = true; });

async function duplicates() {
  const content = form.content.value.trim();
  if (!duplicatesAvailable || content.length < 4) return;
  try {
    const r = await api("POST", "/routing/duplicates", {content, caller_phone: form.caller_phone.value || undefined,
      address: form.address.value || undefined, category: form.category.value || undefined,
      exclude: current ? current.id : undefined});
    const items = Array.isArray(r) ? r : (r.items || r.tickets || []);
    $("#duplicates").innerHTML = items.length ? items.map((t) => `
      <div class="dup"><a href="/agents/tickets/${t.id}" target="_blank">${esc(t.number)}</a> ${esc(statusLabel(t.status))}
        <button type="button" class="small" data-merge="${t.id}">${esc(L.ui.merge_into)}</button>
        <div class="muted">${esc((t.content || "").slice(0, 60))}</div></div>`).join("") : esc(L.ui.no_duplicates);
  } catch (e) {
    if (e.status === 404 || e.status === 405) { duplicatesAvailable = false; $("#duplicates").textContent = "—"; }
  }
}
async function searchKnowledge(q) {
  try {
    const r = await api("GET", "/knowledge?q=" + encodeURIComponent(q || ""));
    $("#kb-results").innerHTML = r.items.map((a) => `
      <div class="kb"><b>${esc(a.title)}</b> <button type="button" class="small" data-kb="${a.id}">${esc(L.ui.use)}</button>
        <div class="kb-body">${esc(a.body)}</div></div>`).join("") || `<p class="muted">${esc(L.ui.none)}</p>`;
    $("#kb-results").articles = r.items;
  } catch (e) { $("#kb-results").textContent = errorText(e); }
}
const refreshAdvice = debounce(() => { suggest(); duplicates(); }, 350);
form.content.addEventListener("input", () => {
  refreshAdvice();
  if (!$("#kb-search").value) debouncedKb(form.content.value.slice(0, 60));
});
form.address.addEventListener("input", refreshAdvice);
form.region.addEventListener("change", refreshAdvice);
const debouncedKb = debounce(searchKnowledge, 350);
$("#kb-search").addEventListener("input", (e) => debouncedKb(e.target.value));

document.addEventListener("click", (e) => {
  const s = e.target.closest("[data-suggest]");
  if (s) {
    const sug = $("#suggestions").suggestions[Number(s.dataset.suggest)];
    $("#dispatch-dept").value = sug.department;
    departmentPicked = true;
    if (sug.category && byCode.has(sug.category) && !form.category.value) chooseCategory(sug.category);
  }
  const m = e.target.closest("[data-merge]");
  if (m) $("#merge-into").value = m.dataset.merge;
  const k = e.target.closest("[data-kb]");
  if (k) {
    const a = $("#kb-results").articles.find((x) => x.id === Number(k.dataset.kb));
    if (a) $("#answer-text").value = a.body;
  }
});

/* ---- intake and outcomes ---- */
function intakeBody() {
  const fd = new FormData(form);
  const body = {channel: "phone"};
  for (const [k, v] of fd.entries()) if (v !== "" && k !== "publishable") body[k] = v;
  body.publishable = fd.get("publishable") === "1";
  if (body.occurred_at) body.occurred_at = localToIso(body.occurred_at);
  return body;
}
/* The five elements as the operator types: what is still missing before dispatch. */
function showElements() {
  $("#elements").innerHTML = elementsHtml(missingElements({
    caller: form.caller_phone.value || form.caller_name.value, occurred_at: form.occurred_at.value || "now",
    region: form.region.value, address: form.address.value, category: form.category.value,
    content: form.content.value}));
}
form.addEventListener("input", showElements);
form.addEventListener("change", showElements);
function showCurrent(t, note) {
  current = t;
  $("#current-ticket").innerHTML = `<a href="/agents/tickets/${t.id}" target="_blank" id="current-number">${esc(t.number)}</a>
    <b class="status">${esc(statusLabel(t.status))}</b> ${note ? esc(note) : ""}
    ${t.retrieval_code ? `<div class="muted">${esc(L.ui.retrieval_code)}: <b>${esc(t.retrieval_code)}</b></div>` : ""}`;
  $("#current-ticket").classList.remove("muted");
  // A leader on duty records the request; the centre's operators dispatch it.
  $("#outcomes").classList.toggle("hidden", t.status !== "accepted" || document.body.dataset.role === "leader");
  $("#current-elements").innerHTML = t.missing_elements ? elementsHtml(t.missing_elements) : "";
}
async function createTicket() {
  try {
    const t = await api("POST", callId ? `/calls/${callId}/tickets` : "/tickets", intakeBody());
    callId = null;
    showCurrent(t, L.ui.created);
    flash(L.ui.created + " " + t.number);
    $("#answer-text").focus();
  } catch (e) { flash(errorText(e), "error"); }
}
form.addEventListener("submit", (e) => { e.preventDefault(); createTicket(); });
document.addEventListener("submit", async (e) => {
  const f = e.target;
  if (!f.dataset.outcome) return;
  e.preventDefault();
  if (!current) return;
  const fd = new FormData(f);
  const body = Object.fromEntries(fd.entries());
  if (body.into) body.into = Number(body.into);
  if (f.dataset.outcome === "dispatch") body.assisting = fd.getAll("assisting");
  try {
    const t = await api("POST", `/tickets/${current.id}/actions/${f.dataset.outcome}`, body);
    showCurrent({...t, retrieval_code: current.retrieval_code}, L.action[f.dataset.outcome]);
    flash(L.action[f.dataset.outcome] + " ✓ " + t.number);
  } catch (err) { flash(errorText(err), "error"); }
});

function newTicket() {
  form.reset();
  $("#category").value = "";
  $("#category-chosen").textContent = "";
  showElements();
  renderTree("");
  current = null;
  callId = null;
  departmentPicked = false;
  $("#current-ticket").textContent = "—";
  $("#outcomes").classList.add("hidden");
  $("#suggestions").textContent = "";
  $("#duplicates").textContent = "";
  $("#history").textContent = "—";
  $("#screen-pop").classList.add("hidden");
  form.caller_phone.focus();
}

/* Alt+A/D/M/H: the outcome forms (not accesskey, whose modifier differs between browsers and fires on hidden forms). */
const OUTCOME_KEYS = {KeyA: "answer", KeyD: "dispatch", KeyM: "merge", KeyH: "hand-off"};
document.addEventListener("keydown", (e) => {
  if (e.altKey && !e.ctrlKey && !e.metaKey && OUTCOME_KEYS[e.code]) {
    if ($("#outcomes").classList.contains("hidden")) return;
    e.preventDefault();
    $(`form[data-outcome="${OUTCOME_KEYS[e.code]}"]`).requestSubmit();
    return;
  }
  if (e.key === "F2") { e.preventDefault(); form.caller_phone.focus(); }
  else if (e.key === "F4") { e.preventDefault(); $("#category-search").focus(); }
  else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); createTicket(); }
  else if (e.key === "Escape" && !e.target.closest("#category-tree")) { newTicket(); }
});

/* ---- live: calls ring here (issue 6's call events), tickets update the current one ---- */
connectLive((ev) => {
  Phone.onEvent(ev);
  const me = Number($("#phone").dataset.userId);
  if (ev.type === "call" && ev.op === "ringing" && ev.operator_id === me) screenPop(ev);
  // 咨询转接: the colleague brought into a call sees who is calling (and takes the intake over if it is handed on)
  if (ev.type === "call" && ev.op === "consulting" && ev.consult_target === `user:${me}`) screenPop(ev);
  if (ev.type === "call" && ev.op === "ended") $("#screen-pop").classList.add("hidden");
  if (ev.type === "ticket" && current && ev.id === current.id && ev.status !== current.status) {
    showCurrent({...current, status: ev.status});
  }
});

loadReference().then(() => renderTree("")).catch((e) => flash(errorText(e), "error"));
/* From the calls page: a voice message (or a missed call) becomes a ticket linked to its call. */
const fromCall = new URLSearchParams(location.search).get("call");
if (fromCall) {
  api("GET", `/calls/${Number(fromCall)}`).then((c) => {
    screenPop({id: c.id, from: c.from});
    if (c.voicemail) form.content.value = L.phone.voicemail_content;
  }).catch((e) => flash(errorText(e), "error"));
}
searchKnowledge("");
showElements();
form.caller_phone.focus();
