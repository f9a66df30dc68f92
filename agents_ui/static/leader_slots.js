/* The leader-slot schedule (领导接听排班): list, add (times in Asia/Shanghai), remove. */
"use strict";

async function load() {
  const slots = await api("GET", "/leader-slots");
  $("#slots tbody").innerHTML = slots.map((s) => `<tr data-slot="${s.id}" data-leader="${esc(s.username)}">
    <td>${esc(s.display_name || s.username)}</td><td>${esc(fmtTime(s.starts_at))}</td><td>${esc(fmtTime(s.ends_at))}</td>
    <td>${esc(s.note || "")}</td><td><button type="button" class="small" data-remove="${s.id}">${esc(L.phone.remove)}</button></td>
    </tr>`).join("") || `<tr><td colspan="5" class="muted">${esc(L.ui.none)}</td></tr>`;
}

$("#slot-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  // datetime-local has no zone: the centre's local time is Asia/Shanghai (UTC+8 all year).
  const body = {leader: f.leader.value, starts_at: f.starts_at.value + ":00+08:00", ends_at: f.ends_at.value + ":00+08:00",
    note: f.note.value || undefined};
  try {
    await api("POST", "/leader-slots", body);
    f.reset();
    await load();
  } catch (err) { flash(errorText(err), "error"); }
});
document.addEventListener("click", async (e) => {
  const b = e.target.closest("[data-remove]");
  if (!b) return;
  try { await api("DELETE", `/leader-slots/${b.dataset.remove}`); await load(); } catch (err) { flash(errorText(err), "error"); }
});
load().catch((e) => flash(errorText(e), "error"));
