/* Knowledge base page: search, and for supervisors and admins, edit (moved out of the template: no inline
   script under the Content Security Policy). */
"use strict";
const editable = !!document.getElementById("kb-form");
let articles = [];
async function search(q) {
  const r = await api("GET", "/knowledge?q=" + encodeURIComponent(q || ""));
  articles = r.items;
  $("#kb-list").innerHTML = articles.map((a) => `<div class="card kb" data-id="${a.id}"><b>${esc(a.title)}</b>
    <span class="muted">${esc(a.category || "")} ${esc(a.keywords || "")}</span>
    ${editable ? `<button type="button" class="small" data-edit="${a.id}">✎</button>
    <button type="button" class="small" data-delete="${a.id}">✕</button>` : ""}
    <div class="kb-body">${esc(a.body)}</div></div>`).join("") || `<p class="muted">${esc(L.ui.none)}</p>`;
}
const rerun = debounce(() => search($("#kb-q").value), 250);
$("#kb-q").addEventListener("input", rerun);
document.addEventListener("click", async (e) => {
  const ed = e.target.closest("[data-edit]"), del = e.target.closest("[data-delete]");
  if (ed) {
    const a = articles.find((x) => x.id === Number(ed.dataset.edit)), f = $("#kb-form");
    f.id.value = a.id; f.title.value = a.title; f.category.value = a.category || "";
    f.keywords.value = a.keywords || ""; f.body.value = a.body; f.title.focus();
  }
  if (del && confirm(L.ui.confirm_delete)) {
    try { await api("DELETE", "/knowledge/" + del.dataset.delete); rerun(); } catch (err) { flash(errorText(err), "error"); }
  }
});
if (editable) $("#kb-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target, body = {title: f.title.value, body: f.body.value, keywords: f.keywords.value || null,
    category: f.category.value || null};
  try {
    await api(f.id.value ? "PUT" : "POST", "/knowledge" + (f.id.value ? "/" + f.id.value : ""), body);
    flash(L.ui.saved); f.reset(); f.id.value = ""; rerun();
  } catch (err) { flash(errorText(err), "error"); }
});
search("");
