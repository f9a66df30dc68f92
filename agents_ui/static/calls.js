/* The calls page: any day's call log, the voice messages (audio from our server, which the worker fetched from
   Twilio), and the missed calls (回拨) with a call-back button (it opens the console, whose softphone calls the
   citizen: phone.js). Refreshed on call events. */
"use strict";

const CAN_CALL_BACK = $("#missed").dataset.canCallBack === "1";
const consolePath = document.body.dataset.role === "leader" ? "/agents/leader" : "/agents/operator";
// Today in the centre's time zone (the API's days are Asia/Shanghai days), whatever the browser's zone.
$("#day").value = new Intl.DateTimeFormat("en-CA", {timeZone: "Asia/Shanghai"}).format(new Date());

function ticketCell(c, fromCall) {
  if (c.ticket_id) return `<a href="/agents/tickets/${c.ticket_id}">${esc(c.ticket_number || "#" + c.ticket_id)}</a>`;
  if (!fromCall || document.body.dataset.role === "leader") return "";
  return `<a class="small button" href="${consolePath}?call=${c.id}">${esc(L.phone.create_ticket)}</a>`;
}
function recordingCell(c) {
  if (!c.recording) return `<span class="muted">${esc(c.voicemail ? "—" : "")}</span>`;
  return `<button type="button" class="small" data-play="${c.id}">▶ ${esc(L.phone.play)}</button>
    <audio controls preload="none" data-audio="${c.id}" hidden></audio>`;
}

async function load() {
  const day = $("#day").value;
  const [log, voicemails, missed] = await Promise.all([
    api("GET", `/calls?date=${day}`), api("GET", `/calls?voicemail=1&date=${day}`), api("GET", "/calls?callback=1")]);
  $("#log tbody").innerHTML = log.map((c) => `<tr data-call="${c.id}">
    <td>${esc(fmtTime(c.started_at))}</td><td>${esc(L.direction[c.direction] || c.direction)}</td>
    <td>${esc(c.from)}</td><td>${esc(c.operator_name || "")}</td><td>${esc(c.wait_seconds ?? "")}</td>
    <td>${esc(c.talk_seconds ?? "")}</td><td class="outcome">${esc(L.outcome[c.outcome] || c.outcome || L.phone[c.status] || c.status)}${c.transfer_kind
      ? ` <span class="badge" data-transfer="${esc(c.transfer_kind)}">${esc(L.phone.transferred)}</span>` : ""}</td>
    <td>${ticketCell(c, false)}</td></tr>`).join("") || `<tr><td colspan="8" class="muted">${esc(L.ui.none)}</td></tr>`;
  $("#voicemails tbody").innerHTML = voicemails.map((c) => `<tr data-call="${c.id}">
    <td>${esc(fmtTime(c.started_at))}</td><td>${esc(c.from)}</td><td>${recordingCell(c)}</td>
    <td>${ticketCell(c, true)}</td></tr>`).join("") || `<tr><td colspan="4" class="muted">${esc(L.ui.none)}</td></tr>`;
  $("#missed tbody").innerHTML = missed.map((c) => `<tr data-call="${c.id}">
    <td>${esc(fmtTime(c.started_at))}</td><td>${esc(c.from)}</td><td>${esc(c.wait_seconds ?? "")}</td>
    <td>${CAN_CALL_BACK ? `<button type="button" class="small" data-call-back="${c.id}">☎ ${esc(L.phone.call_back)}</button>` : ""}
      ${ticketCell(c, true)}</td></tr>`).join("") || `<tr><td colspan="4" class="muted">${esc(L.ui.none)}</td></tr>`;
}

document.addEventListener("click", async (e) => {
  const play = e.target.closest("[data-play]");
  if (play) {
    const audio = $(`[data-audio="${play.dataset.play}"]`);
    audio.hidden = false;
    audio.src = `/api/v1/calls/${play.dataset.play}/recording`;
    play.remove();
    audio.play().catch((err) => flash(String(err.message || err), "error"));
    return;
  }
  // 回拨 through the softphone: the console calls the citizen (device.connect with Twilio) and records the result.
  const back = e.target.closest("[data-call-back]");
  if (back) location.assign(`${consolePath}?call-back=${back.dataset.callBack}`);
});
$("#day").addEventListener("change", () => load().catch((e) => flash(errorText(e), "error")));

const reload = debounce(() => load().catch((e) => console.warn(e)), 300);
connectLive((ev) => { if (ev.type === "call") reload(); }, () => load());
load().catch((e) => flash(errorText(e), "error"));
