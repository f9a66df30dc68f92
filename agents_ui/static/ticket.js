/* The ticket page as a work order (工单): a header with the number, status, urgency, the running clock and the next
   step; the citizen's request (content, address with a map link, photos, contact masked unless handling); routing
   and results; the actions this user may take now, the next step as the one primary action and the rest behind
   their own buttons; the history newest first in plain words. Names, never codes (codes on hover), from the label
   table (L) and the names the API sends beside the codes. Refreshed live when the ticket changes. */
"use strict";

const TICKET_ID = Number($("#ticket").dataset.id);
const NUMBER_FIELDS = new Set(["days", "into", "resolved", "satisfaction"]);
let ticket = null;
let departments = null;

function chip(kind, value, text) {
  return `<span class="chip chip--${kind}-${esc(value)}${kind === "status" ? " status" : ""}">${esc(text)}</span>`;
}

function chipsHtml(t) {
  return [
    chip("status", t.status, statusLabel(t.status)),
    chip("urgency", t.urgency, urgencyLabel(t.urgency)),
    chip("type", t.type, typeLabel(t.type)),
    chip("channel", t.channel, label("channel", t.channel)),
    t.overdue ? chip("flag", "overdue", L.ui.overdue) : "",
    t.escalated ? chip("flag", "escalated", L.notice_kind.supervise) : "",
    t.publishable === false ? chip("flag", "private", L.ui.not_publishable) : "",
  ].join(" ");
}

/* The clock that runs now: what it is (sign by / reply by), the due time and the time left or overdue. */
function clockInner(t) {
  const c = clockOf(t);
  if (!c) return "";
  const signing = (t.status === "dispatched" || t.status === "reopened") && !t.signed_at;
  const due = signing ? t.sign_due_at : t.due_at;
  const left = c.level === "paused" ? L.ui.paused : duration(Math.abs(c.left));
  return `<dt>${esc(signing ? L.ui.sign_clock : L.ui.handle_clock)}</dt><dd>${esc(fmtTime(due))}</dd>
    <dt>${esc(c.left < 0 ? L.ui.overdue : L.ui.time_left)}</dt><dd><span class="clock ${c.level}" data-clock>${esc(left)}</span></dd>`;
}

function nextHtml(t) {
  if (t.next_action) {
    return `<button type="button" class="btn btn--primary" id="next-button" data-next="${esc(t.next_action)}">
      ${esc(label("action", t.next_action))}</button>`;
  }
  const waiting = L.waiting[t.status] || "";
  const who = ["dispatched", "in_progress", "reopened"].includes(t.status) && t.department_name
    ? deptHtml(t.department, t.department_name) + " · " : "";
  return `<span class="workorder-waiting">${who}${esc(waiting || L.ui.no_action)}</span>`;
}

function fact(name, valueHtml) {
  return valueHtml ? `<dt>${esc(name)}</dt><dd>${valueHtml}</dd>` : "";
}

/* A small map link (高德地图): the citizen's position when the message carried one, else a search for the address. */
function mapUrl(t) {
  if (t.location) {
    const q = new URLSearchParams({position: `${t.location.long},${t.location.lat}`, name: t.address || t.number,
      coordinate: "wgs84", src: "hotline12345"});
    return "https://uri.amap.com/marker?" + q.toString();
  }
  if (!t.address) return null;
  const q = new URLSearchParams({keyword: [t.region_name, t.address].filter(Boolean).join(" "), src: "hotline12345"});
  return "https://uri.amap.com/search?" + q.toString();
}

function requestFacts(t) {
  const map = mapUrl(t);
  const address = t.address ? esc(t.address) + (map
    ? ` <a class="map-link" href="${esc(map)}" target="_blank" rel="noopener noreferrer">${esc(L.ui.map)}</a>` : "") : "";
  return [
    fact(L.ui.category, t.category ? `<span id="category" title="${esc(t.category)}">${esc(t.category_path || t.category)}</span>` : ""),
    fact(L.ui.region, t.region ? `<span title="${esc(t.region)}">${esc(t.region_name || t.region)}</span>` : ""),
    fact(L.ui.address, address),
    fact(L.ui.occurred, t.occurred_at ? esc(fmtTime(t.occurred_at)) : ""),
    fact(L.ui.received, esc(fmtTime(t.created_at))),
  ].join("");
}

function routingFacts(t) {
  const assisting = (t.assisting || []).map((c, i) => deptHtml(c, (t.assisting_names || [])[i])).join("、");
  const sub = t.sub_department ? `<span id="sub">${deptHtml(t.sub_department, t.sub_department_name)} ·
      <span id="sub-status">${esc(label("sub_status", t.sub_status))}</span></span>` : "";
  return [
    fact(L.ui.lead, t.department ? `<span id="department">${deptHtml(t.department, t.department_name)}</span>` : ""),
    fact(L.ui.assisting, assisting),
    fact(L.ui.handler, t.handler ? `<span id="handler" title="${esc(t.handler)}">${esc(t.handler_name || t.handler)}</span>` : ""),
    fact(L.ui.sub_department, sub),
    fact(L.ui.round, t.dispatch_rounds ? esc(t.dispatch_rounds) + (t.designated ? " · " + esc(L.ui.designated) : "") : ""),
    fact(L.ui.sign_clock, t.sign_due_at && !t.signed_at ? esc(fmtTime(t.sign_due_at)) : ""),
    fact(L.ui.handle_clock, t.due_at ? esc(fmtTime(t.due_at)) : ""),
  ].join("");
}

function resultsHtml(t) {
  const cb = t.callback;
  return [
    t.sub_reply && t.sub_status === "reply_review"
      ? `<h3>${esc(L.ui.sub_reply)}</h3><p class="reply" id="sub-reply">${esc(t.sub_reply)}</p>` : "",
    t.reply ? `<h3>${esc(L.ui.reply)}</h3><p class="reply">${esc(t.reply)}</p>` : "",
    t.answer ? `<h3>${esc(L.ui.answer)}</h3><p class="reply">${esc(t.answer)}</p>` : "",
    cb ? `<h3>${esc(L.ui.callback)}</h3><p>${esc(label("resolved", cb.resolved))} · ${esc(label("satisfaction", cb.satisfaction))}
      · ${esc(fmtTime(cb.at))}</p>` : "",
  ].join("");
}

function contactHtml(t, c) {
  c = c || t;
  const button = !t.contact_visible && t.contact_available && c === t
    ? ` <button type="button" class="btn btn--secondary" id="show-contact">${esc(L.ui.show_contact)}</button>` : "";
  if (!c.caller_name && !c.caller_phone) return "";
  return `<dl class="workorder-facts">${fact(L.ui.caller,
    `${esc(c.caller_name || "")} <span id="caller-phone">${esc(c.caller_phone || "")}</span>${button}`)}</dl>`;
}

async function fillDepartments(select) {
  if (!departments) departments = await api("GET", "/catalogue/departments");
  select.innerHTML = departments.filter((d) => d.dispatchable)
    .map((d) => `<option value="${esc(d.code)}" title="${esc(d.code)}">${esc(d.name)}</option>`).join("");
}

/* The correction form's pickers: categories by their path of names, regions indented by level. */
async function fillCatalogue(form) {
  const [cats, regions] = await Promise.all([api("GET", "/catalogue/categories"), api("GET", "/catalogue/regions")]);
  $("[data-categories]", form).innerHTML += cats.map((c) =>
    `<option value="${esc(c.code)}" title="${esc(c.code)}">${esc(c.path.replaceAll("/", " › "))}</option>`).join("");
  $("[data-regions]", form).innerHTML += regions.map((r) =>
    `<option value="${esc(r.code)}" title="${esc(r.code)}">${"\u3000".repeat(Math.max(0, ["city", "county", "street", "community"].indexOf(r.level)))}${esc(r.name)}</option>`).join("");
}

async function fillChildren(select, t) {
  const r = await api("GET", "/departments?active=true");
  select.innerHTML = r.items.filter((d) => d.parent === t.department)
    .map((d) => `<option value="${esc(d.code)}" title="${esc(d.code)}">${esc(d.name)}</option>`).join("");
}

async function fillStaff(select, t) {
  const r = await api("GET", `/departments/${encodeURIComponent(t.department)}/staff`);
  select.innerHTML = r.items.map((u) => `<option value="${esc(u.username)}" title="${esc(u.username)}">${esc(u.display_name)}</option>`).join("");
}

let renderedActions = null;

/* The primary action's form stands open; each secondary action is a button that opens its own form. */
function renderActions(t) {
  const box = $("#action-forms");
  // A live refresh that leaves the same actions keeps the forms (and what the user is typing in them).
  const key = [t.status, t.sub_status, t.department, t.next_action, ...t.available_actions].join("|");
  if (key === renderedActions) return;
  renderedActions = key;
  box.innerHTML = "";
  const tpl = $("#action-templates").content;
  const ordered = t.next_action ? [t.next_action, ...t.available_actions.filter((a) => a !== t.next_action)]
    : t.available_actions;
  let secondary = null;
  for (const name of ordered) {
    const form = tpl.querySelector(`form[data-action="${name}"]`);
    if (!form) continue;
    const copy = form.cloneNode(true);
    const primary = name === t.next_action;
    copy.classList.add("action-form", primary ? "action-form--primary" : "action-form--secondary");
    copy.querySelector("button[type=submit]").className = primary ? "btn btn--primary" : "btn btn--secondary";
    copy.querySelectorAll("label").forEach((l, i) => {
      // Ids unique on the page, so every label names its control for assistive technology.
      const control = l.querySelector("input, select, textarea");
      if (control) { control.id = `f-${name}-${i}`; l.htmlFor = control.id; }
    });
    if (primary) {
      box.appendChild(copy);
    } else {
      if (!secondary) {
        secondary = document.createElement("div");
        secondary.className = "action-secondary";
        secondary.innerHTML = `<h3>${esc(L.ui.more_actions)}</h3>`;
        box.appendChild(secondary);
      }
      const details = document.createElement("details");
      details.className = "action";
      details.dataset.action = name;
      details.innerHTML = `<summary class="btn btn--secondary">${esc(label("action", name))}</summary>`;
      details.appendChild(copy);
      secondary.appendChild(details);
    }
    copy.querySelectorAll("[data-departments]").forEach((sel) => fillDepartments(sel));
    if (name === "reply" || name === "answer") attachTemplates(copy.querySelector("textarea"), t.category);
    const children = copy.querySelector("[data-children]");
    if (children) fillChildren(children, t);
    if (copy.querySelector("[data-categories]")) fillCatalogue(copy);
    const staff = copy.querySelector("[data-staff]");
    if (staff) fillStaff(staff, t);
  }
  if (!box.children.length) box.innerHTML = `<p class="muted">${esc(L.ui.no_action)}</p>`;
  $("#upload").classList.toggle("hidden", !t.available_actions.includes("note"));
}

/* Why, in plain words: the note, the reason named from the label table, the callback step, the extension. */
function whyText(e) {
  const d = e.data || {};
  const parts = [];
  if (e.action === "callback" && d.step) parts.push(label("callback_step", d.step));
  if (d.outcome) parts.push(label(e.action === "callback" ? "callback_outcome" : "outcome", d.outcome));
  if (d.reason && L.return_reason[d.reason]) parts.push(label("return_reason", d.reason));
  else if (d.reason && L.close_reason[d.reason]) parts.push(label("close_reason", d.reason));
  if (d.satisfaction) parts.push(label("resolved", d.resolved) + " · " + label("satisfaction", d.satisfaction));
  if (d.days) parts.push(`${d.days}${L.ui.days}`);
  if (d.to && e.action === "hand-off") parts.push(String(d.to));
  if (e.note) parts.push(e.note);
  return parts.join(" · ");
}

let eventsShown = null;
// Events whose department is where the ticket went, not who acted: "派单 → 市城市管理局".
const TO_DEPARTMENT = new Set(["dispatch", "sub-dispatch"]);

function renderTimeline(t) {
  const events = t.timeline.slice().reverse();
  // What arrived since the last render (a live change by someone else, or this user's action) is marked.
  const fresh = eventsShown === null ? 0 : Math.max(0, events.length - eventsShown);
  eventsShown = events.length;
  $("#timeline").innerHTML = events.map((e, i) => {
    const change = e.from_status !== e.to_status && e.to_status
      ? `<span class="timeline-change">${esc(e.from_status ? statusLabel(e.from_status) : "")} → ${esc(statusLabel(e.to_status))}</span>` : "";
    const why = whyText(e);
    return `<li class="timeline-event${i < fresh ? " timeline-event--new" : ""}" data-action="${esc(e.action)}">
      <time datetime="${esc(e.at)}">${esc(fmtTime(e.at))}</time>
      <p class="timeline-what"><b class="timeline-who" title="${esc(e.actor || "")}">${esc(actorName(e.actor, e.actor_name))}</b>
        ${e.department && !TO_DEPARTMENT.has(e.action) ? "· " + deptHtml(e.department, e.department_name) : ""}
        <span class="timeline-action">${esc(label("action", e.action))}</span>
        ${e.department && TO_DEPARTMENT.has(e.action) ? "→ " + deptHtml(e.department, e.department_name) : ""} ${change}</p>
      ${why ? `<p class="timeline-why">${esc(why)}</p>` : ""}</li>`;
  }).join("") || `<li class="muted">${esc(L.ui.no_events)}</li>`;
}

async function renderAttachments() {
  const list = await api("GET", `/tickets/${TICKET_ID}/attachments`);
  $("#attachment-list").innerHTML = list.map((a) => `
    <a href="${esc(a.url)}" target="_blank" rel="noopener"><img src="${esc(a.url)}" alt="${esc(a.filename)}" class="thumb"></a>`).join("")
    || `<p class="muted">${esc(L.ui.none)}</p>`;
}

async function load() {
  ticket = await api("GET", "/tickets/" + TICKET_ID);
  const t = ticket;
  $("#chips").innerHTML = chipsHtml(t);
  $("#clock").innerHTML = clockInner(t);
  $("#next-text").innerHTML = nextHtml(t);
  $("#request-title").textContent = t.title || "";
  $("#request-content").textContent = t.content || "";
  $("#request-facts").innerHTML = requestFacts(t);
  $("#contact").innerHTML = contactHtml(t);
  $("#routing-facts").innerHTML = routingFacts(t);
  $("#results").innerHTML = resultsHtml(t);
  renderActions(t);
  renderTimeline(t);
  renderAttachments();
  document.body.dataset.status = t.status;
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
  const button = form.querySelector("button[type=submit]");
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
  if (ev.target.closest("#next-button")) {
    // The header's next step: to the primary form, its first field focused (or its button, for one-click steps).
    const form = $(`#action-forms form[data-action="${ev.target.closest("#next-button").dataset.next}"]`);
    if (form) {
      form.scrollIntoView({block: "center"});
      (form.querySelector("input, select, textarea") || form.querySelector("button")).focus();
    }
    return;
  }
  if (ev.target.id !== "show-contact") return;
  try {
    const c = await api("GET", `/tickets/${TICKET_ID}/contact`);
    $("#contact").innerHTML = contactHtml(ticket, c);
  } catch (e) { flash(errorText(e), "error"); }
});

setInterval(() => { if (ticket) $("#clock").innerHTML = clockInner(ticket); }, 30000);
window.onLiveConnect = (socket) => socket.emit("watch", {ticket: TICKET_ID});
connectLive((ev) => { if (ev.type === "ticket" && ev.op !== "notice" && ev.id === TICKET_ID) load().catch(() => {}); }, () => load());
load().catch((e) => flash(errorText(e), "error"));
