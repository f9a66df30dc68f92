/* 常用语 for supervisors: the list, a new phrase per category (or for all), and removal. */
"use strict";

let paths = new Map();

async function load() {
  const r = await api("GET", "/reply-templates");
  $("#templates tbody").innerHTML = r.items.map((t) => `<tr data-id="${t.id}">
    <td>${esc(t.category ? (paths.get(t.category) || t.category) : "—")}</td><td>${esc(t.title)}</td>
    <td class="content">${esc(t.text)}</td><td>${esc(t.updated_by || "")}</td>
    <td><button type="button" class="small" data-delete>${esc(L.ui.delete)}</button></td></tr>`).join("");
}

$("#new-template").addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = Object.fromEntries(new FormData(e.target).entries());
  if (!body.category) delete body.category;
  try {
    await api("POST", "/reply-templates", body);
    e.target.reset();
    flash(L.ui.saved);
    await load();
  } catch (err) { flash(errorText(err), "error"); }
});

$("#templates").addEventListener("click", async (e) => {
  if (!e.target.closest("[data-delete]")) return;
  try {
    await api("DELETE", "/reply-templates/" + e.target.closest("tr").dataset.id);
    await load();
  } catch (err) { flash(errorText(err), "error"); }
});

(async function start() {
  const cats = await api("GET", "/catalogue/categories");
  cats.forEach((c) => paths.set(c.code, c.path.replaceAll("/", " › ")));
  $("#t-category").innerHTML += cats.map((c) =>
    `<option value="${esc(c.code)}">${"\u3000".repeat(c.level - 1)}${esc(c.path.split("/").pop())}</option>`).join("");
  await load();
})().catch((e) => flash(errorText(e), "error"));
