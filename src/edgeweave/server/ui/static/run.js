// Run page: task states, tries and durations pushed over SSE until the run finishes;
// cancel the run, clear a task (and its downstream) to run it again.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("run-tasks");
  const runId = table.dataset.run;
  const runBadge = document.getElementById("run-state");
  const live = document.getElementById("live");
  const cancel = document.getElementById("cancel-run");
  let source = null;

  const fmt = (s) => (s == null ? "-" : s < 1 ? `${Math.round(s * 1000)} ms` : s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`);
  const stamp = (iso) => (iso ? iso.replace("T", " ").slice(0, 19) : "-");

  function paint(data) {
    runBadge.textContent = data.run.state; EW.setState(runBadge, data.run.state);
    if (cancel) cancel.hidden = EW.FINISHED.has(data.run.state);
    for (const ti of data.tasks) {
      const row = table.querySelector(`tr[data-task="${CSS.escape(ti.task_id)}"]`);
      if (!row) continue;
      const badge = row.querySelector('[data-field="state"]');
      badge.textContent = ti.state; EW.setState(badge, ti.state);
      row.querySelector('[data-field="try"]').textContent = `${ti.try_number}/${ti.max_tries}`;
      row.querySelector('[data-field="started"]').textContent = stamp(ti.started_at);
      row.querySelector('[data-field="duration"]').textContent = fmt(ti.duration);
      row.querySelector('[data-field="error"]').textContent = (ti.error || "").slice(0, 160);
    }
  }

  function follow() {
    if (source) source.close();
    source = new EventSource(`/api/v1/runs/${EW.enc(runId)}/events`);
    live.textContent = "● live";
    source.addEventListener("run", (e) => paint(JSON.parse(e.data)));
    source.addEventListener("end", () => { source.close(); source = null; live.textContent = "finished"; });
    source.onerror = () => { live.textContent = "reconnecting…"; };
  }
  follow();

  cancel?.addEventListener("click", async () => {
    const r = await EW.api("POST", `/api/v1/runs/${EW.enc(runId)}/cancel`);
    if (!r.ok) EW.flash(EW.problemText(r));
  });
  for (const button of table.querySelectorAll("button.clear")) {
    button.addEventListener("click", async () => {
      const r = await EW.api("POST", `/api/v1/runs/${EW.enc(runId)}/tasks/${EW.enc(button.dataset.task)}/clear?downstream=true`);
      if (!r.ok) EW.flash(EW.problemText(r)); else follow();
    });
  }
});
