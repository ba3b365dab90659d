// Users page (admins): add a user or a token (the secret is shown once), remove a user.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const secret = document.getElementById("secret");
  const show = (text) => { document.getElementById("secret-text").textContent = text; secret.hidden = false; };

  document.getElementById("add-user").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { user: document.getElementById("new-user").value.trim(), role: document.getElementById("new-role").value,
                   token: document.getElementById("new-token").checked };
    const r = await EW.api("POST", "/api/v1/users", body);
    if (!r.ok) { EW.flash(EW.problemText(r)); return; }
    show(`user ${r.data.user} (${r.data.role})\npassword: ${r.data.password}` + (r.data.token ? `\nAPI token: ${r.data.token}` : ""));
  });
  for (const b of document.querySelectorAll(".new-token")) {
    b.addEventListener("click", async () => {
      const r = await EW.api("POST", `/api/v1/users/${EW.enc(b.dataset.user)}/tokens`);
      if (r.ok) show(`API token for ${r.data.user}: ${r.data.token}`); else EW.flash(EW.problemText(r));
    });
  }
  for (const b of document.querySelectorAll(".remove-user")) {
    b.addEventListener("click", async () => {
      if (!confirm(`Remove ${b.dataset.user} with their tokens and sessions?`)) return;
      const r = await EW.api("DELETE", `/api/v1/users/${EW.enc(b.dataset.user)}`);
      if (r.ok) b.closest("tr").remove(); else EW.flash(EW.problemText(r));
    });
  }
});
