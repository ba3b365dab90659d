// Account page: change your own password (checked again by the server).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("password-form");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const flash = document.getElementById("flash"), done = document.getElementById("done");
    flash.hidden = true; done.hidden = true;
    const current = document.getElementById("pw-current").value, next = document.getElementById("pw-new").value;
    if (next !== document.getElementById("pw-again").value) { EW.flash("the two new passwords differ"); return; }
    const r = await EW.api("POST", "/api/v1/me/password", { current, new: next });
    if (!r.ok) { EW.flash(EW.problemText(r)); return; }
    form.reset(); done.hidden = false;
  });
});
