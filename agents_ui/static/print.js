/* The work order's print button (the page itself needs no script). */
"use strict";
document.getElementById("print").addEventListener("click", () => window.print());
