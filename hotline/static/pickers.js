/* The file pickers of _controls.html: show the names of the chosen files in the page's language (the browser's own
   "No file chosen" is hidden with its button). Works on every page, staff and public, without other scripts. */
"use strict";
(function () {
  function show(input) {
    const box = input.closest(".filepick");
    const out = box && box.querySelector(".filepick__names");
    if (!out) return;
    const names = Array.from(input.files || []).map((f) => f.name);
    out.textContent = "";
    if (!names.length) { out.textContent = box.dataset.none; return; }
    if (names.length === 1) { out.textContent = names[0]; return; }
    out.append(box.dataset.count.replace("{n}", String(names.length)));
    const list = document.createElement("ul");
    names.forEach((n) => { const li = document.createElement("li"); li.textContent = n; list.appendChild(li); });
    out.appendChild(list);
  }
  document.addEventListener("change", (e) => {
    if (e.target.matches && e.target.matches(".filepick__input")) show(e.target);
  });
  // A form reset (after an upload) empties the input: say so.
  document.addEventListener("reset", (e) => {
    setTimeout(() => e.target.querySelectorAll && e.target.querySelectorAll(".filepick__input").forEach(show), 0);
  });
})();
