/* The ticket page: details, the caller's contact (masked unless handling), photos, the actions this user may
   take now, and the timeline; refreshed live when the ticket changes. */
"use strict";

const TICKET_ID = Number($("#ticket").dataset.id);
const NUMBER_FIELDS = new Set(["days", "into", "resolved", "satisfaction"]);
let ticket = null;
let departments = null;

function summaryHtml(t) {
  const c = clockHtml(t);
  return `
    <p><b class="status s-${esc(t.status)}">${esc(statusLabel(t.status))}</b> · ${esc(urgencyLabel(t.urgency))}
      · ${esc(typeLabel(t.type))} · ${esc(t.category || "")} ${c}</p>
    <p>${esc(t.department || "—")}${t.assisting.length ? " (+" + esc(t.assisting.join(", ")) + ")" : ""}
      ${t.handler ? ` · ${esc(L.ui.handler)}: <span id="handler">${esc(t.handler)}</span>` : ""}</p>
    ${t.sub_department ? `<p id="sub">${esc(L.ui.sub_department)}: ${esc(t.sub_department)} ·
      <span id="sub-status">${esc(L.sub_status[t.sub_status] || t.sub_status)}</span></p>` : ""}
    ${t.sub_reply && t.sub_status === "reply_review" ? `<p class="reply" id="sub-reply">${esc(L.ui.sub_reply)}: ${esc(t.sub_reply)}</p>` : ""}
    <p>${esc(t.address || "")}</p>
    <p class="content">${esc(t.content)}</p>
    ${t.reply ? `<p class="reply">${esc(t.reply)}</p>` : ""}
    ${t.answer ? `<p class="reply">${esc(t.answer)}</p>` : ""}
    <p class="muted">${esc(fmtTime(t.sign_due_at))} / ${esc(fmtTime(t.due_at))}</p>`;
}

function contactHtml(t) {
  const button = !t.contact_visible && t.contact_available
    ? `<button type="button" id="show-contact">${esc(L.ui.show_contact || "显示联系方式")}</button>` : "";
  return `<p>${esc(t.caller_name || "")} <span id="caller-phone">${esc(t.caller_phone || "")}</span> ${button}</p>`;
}

async function fillDepartments(select) {
  if (!departments) departments = await api("GET", "/catalogue/departments");
  select.innerHTML = departments.filter((d) => d.dispatchable)
    .map((d) => `<option value="${esc(d.code)}">${esc(d.name)} (${esc(d.code)})</option>`).join("");
}

async function fillChildren(select, t) {
  const r = await api("GET", "/departments?active=true");
  select.innerHTML = r.items.filter((d) => d.parent === t.department)
    .map((d) => `<option value="${esc(d.code)}">${esc(d.name)} (${esc(d.code)})</option>`).join("");
}

async function fillStaff(select, t) {
  const r = await api("GET", `/departments/${encodeURIComponent(t.department)}/staff`);
  select.innerHTML = r.items.map((u) => `<option value="${esc(u.username)}">${esc(u.display_name)} (${esc(u.username)})</option>`).join("");
}

let renderedActions = null;

function renderActions(t) {
  const box = $("#action-forms");
  // A live refresh that leaves the same actions keeps the forms (and what the user is typing in them).
  const key = [t.status, t.sub_status, t.department, ...t.available_actions].join("|");
  if (key === renderedActions) return;
  renderedActions = key;
  box.innerHTML = "";
  const tpl = $("#action-templates").content;
  for (const name of t.available_actions) {
    const form = tpl.querySelector(`form[data-action="${name}"]`);
    if (!form) continue;
    const copy = form.cloneNode(true);
    box.appendChild(copy);
    copy.querySelectorAll("[data-departments]").forEach((sel) => fillDepartments(sel));
    if (name === "reply" || name === "answer") attachTemplates(copy.querySelector("textarea"), t.category);
    const children = copy.querySelector("[data-children]");
    if (children) fillChildren(children, t);
    const staff = copy.querySelector("[data-staff]");
    if (staff) fillStaff(staff, t);
  }
  if (!box.children.length) box.innerHTML = `<p class="muted">${esc(L.ui.none)}</p>`;
  $("#upload").classList.toggle("hidden", !t.available_actions.includes("note"));
}

function renderTimeline(t) {
  $("#timeline tbody").innerHTML = t.timeline.slice().reverse().map((e) => `
    <tr><td>${esc(fmtTime(e.at))}</td><td>${esc(L.action[e.action] || e.action)}</td><td>${esc(e.actor)}</td>
      <td>${esc(e.department || "")}</td>
      <td>${esc(e.from_status ? statusLabel(e.from_status) : "")} → ${esc(e.to_status ? statusLabel(e.to_status) : "")}</td>
      <td>${esc(e.note || "")}</td></tr>`).join("");
}

async function renderAttachments() {
  const list = await api("GET", `/tickets/${TICKET_ID}/attachments`);
  $("#attachment-list").innerHTML = list.map((a) => `
    <a href="${esc(a.url)}" target="_blank"><img src="${esc(a.url)}" alt="${esc(a.filename)}" class="thumb"></a>`).join("")
    || `<p class="muted">${esc(L.ui.none)}</p>`;
}

async function load() {
  ticket = await api("GET", "/tickets/" + TICKET_ID);
  $("#summary").innerHTML = summaryHtml(ticket);
  $("#contact").innerHTML = contactHtml(ticket);
  renderActions(ticket);
  renderTimeline(ticket);
  renderAttachments();
  document.body.dataset.status = ticket.status;
}

document.addEventListener("submit", async (ev) => {
  const form = ev.target;
  if (form.id === "upload") {
    ev.preventDefault();
    const fd = new FormData(form);
    try {
      await api("POST", `/tickets/${TICKET_ID}/attachments`, fd, true);
      form.reset();
      flash(L.ui.saved);
      await load();
    } catch (e) { flash(errorText(e), "error"); }
    return;
  }
  if (!form.dataset.action) return;
  ev.preventDefault();
  const body = {};
  for (const [k, v] of new FormData(form).entries()) {
    if (v === "") continue;
    if (k === "assisting") { (body.assisting = body.assisting || []).push(v); continue; }
    body[k] = NUMBER_FIELDS.has(k) ? Number(v) : v;
  }
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    await api("POST", `/tickets/${TICKET_ID}/actions/${form.dataset.action}`, body);
    flash(L.ui.saved);
    await load();
  } catch (e) {
    flash(errorText(e), "error");
  } finally { button.disabled = false; }
});

document.addEventListener("click", async (ev) => {
  if (ev.target.id !== "show-contact") return;
  try {
    const c = await api("GET", `/tickets/${TICKET_ID}/contact`);
    $("#contact").innerHTML = `<p>${esc(c.caller_name || "")} <span id="caller-phone">${esc(c.caller_phone || "")}</span></p>`;
  } catch (e) { flash(errorText(e), "error"); }
});

window.onLiveConnect = (socket) => socket.emit("watch", {ticket: TICKET_ID});
connectLive((ev) => { if (ev.type === "ticket" && ev.op !== "notice" && ev.id === TICKET_ID) load().catch(() => {}); }, () => load());
load().catch((e) => flash(errorText(e), "error"));
