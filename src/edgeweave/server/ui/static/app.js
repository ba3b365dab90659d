// EdgeWeave UI: shared helpers (API calls with the session's CSRF token, the task panel)
// and the DAG list's pause toggles. No framework, no build step.
"use strict";

const EW = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";
  const FINISHED = new Set(["success", "failed", "upstream_failed", "skipped", "cancelled", "removed"]);

  async function api(method, url, body) {
    const init = { method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf(), Accept: "application/json" } };
    if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
    const res = await fetch(url, init);
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { ok: res.ok, status: res.status, data };
  }

  function problemText(r) {
    if (r.data && r.data.detail) return r.data.detail + (r.data.hint ? " — " + r.data.hint : "");
    return "request failed with HTTP " + r.status;
  }

  function flash(text) {
    const el = document.getElementById("flash");
    if (!el) { alert(text); return; }
    el.textContent = text; el.hidden = false;
  }

  function setState(el, state) {
    if (!el) return;
    for (const c of [...el.classList]) if (c.startsWith("s-")) el.classList.remove(c);
    el.classList.add("s-" + (state || "none"));
  }

  const enc = encodeURIComponent;

  // The side panel of the Graph and Grid views: a task's details and its log, followed
  // while the task runs.
  const panel = {
    timer: null,
    close() { clearTimeout(this.timer); document.getElementById("panel").hidden = true; },
    async open(runId, taskId, details) {
      clearTimeout(this.timer);
      const box = document.getElementById("panel");
      box.hidden = false;
      document.getElementById("panel-title").textContent = taskId;
      const dl = document.getElementById("panel-details");
      dl.replaceChildren();
      const add = (k, v) => { const dt = document.createElement("dt"); dt.textContent = k; const dd = document.createElement("dd"); dd.textContent = v; dl.append(dt, dd); };
      for (const [k, v] of Object.entries(details || {})) if (v !== null && v !== "" && !(Array.isArray(v) && !v.length)) add(k, Array.isArray(v) ? v.join(", ") : v);
      const links = document.getElementById("panel-links");
      const log = document.getElementById("panel-log");
      const logState = document.getElementById("panel-log-state");
      log.textContent = ""; links.replaceChildren();
      if (!runId) { logState.textContent = "(pick a run to see its log)"; return; }
      const ti = await api("GET", `/api/v1/runs/${enc(runId)}/tasks/${enc(taskId)}`);
      if (!ti.ok) { logState.textContent = problemText(ti); return; }
      add("state", ti.data.state); add("try", `${ti.data.try_number}/${ti.data.max_tries}`);
      if (ti.data.duration != null) add("duration", ti.data.duration.toFixed(2) + " s");
      if (ti.data.error) add("error", ti.data.error);
      const a = document.createElement("a"); a.href = `/runs/${enc(runId)}/tasks/${enc(taskId)}`; a.textContent = "Open full log →";
      links.append(a);
      let offset = 0;
      const poll = async () => {
        const r = await api("GET", `/api/v1/runs/${enc(runId)}/tasks/${enc(taskId)}/logs?offset=${offset}`);
        if (!r.ok) { logState.textContent = problemText(r); return; }
        log.textContent += r.data.text; offset = r.data.next_offset;
        log.scrollTop = log.scrollHeight;
        logState.textContent = `try ${r.data.try} · ${r.data.state}` + (FINISHED.has(r.data.state) ? "" : " · following")
          + (offset === 0 ? " · no output yet" : "");
        if (!FINISHED.has(r.data.state)) this.timer = setTimeout(poll, 1000);
      };
      await poll();
    },
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("panel-close")?.addEventListener("click", () => panel.close());
    for (const box of document.querySelectorAll(".pause-toggle")) {
      box.addEventListener("change", async () => {
        const r = await api("PATCH", `/api/v1/dags/${enc(box.dataset.dag)}`, { is_paused: !box.checked });
        if (!r.ok) { box.checked = !box.checked; flash(problemText(r)); }
        else box.closest("label").title = r.data.paused ? "paused" : "active";
      });
    }
  });

  return { api, problemText, flash, setState, panel, FINISHED, enc };
})();
