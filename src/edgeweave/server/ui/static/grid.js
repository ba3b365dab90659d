// Grid view: tasks (a tree, indented by layer) x the DAG's last N runs, one request to
// /api/v1/dags/{id}/grid; click a cell for that try's log. Refreshes while runs are active.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("grid");
  const depth = JSON.parse(document.getElementById("task-depth").textContent);
  const status = document.getElementById("grid-status");
  document.getElementById("grid-runs").addEventListener("change", (e) => e.target.form.submit());
  let timer = null;

  function cell(tag, text, cls) {
    const el = document.createElement(tag);
    if (text !== undefined) el.textContent = text;
    if (cls) el.className = cls;
    return el;
  }

  async function load() {
    const started = performance.now();
    const r = await EW.api("GET", `/api/v1/dags/${EW.enc(box.dataset.dag)}/grid?runs=${box.dataset.runs}`);
    if (!r.ok) { status.textContent = EW.problemText(r); return; }
    const g = r.data;
    const runs = [...g.runs].reverse(); // oldest left, newest right, as in a timeline
    const idx = runs.map((_, i) => g.runs.length - 1 - i);
    const table = cell("table", undefined, "grid");
    const head = table.createTHead().insertRow();
    head.append(cell("th", "task \\ run", "task-col"));
    for (const run of runs) {
      const th = cell("th", undefined, "run-col");
      const a = cell("a", "", "run-head s-" + run.state);
      a.href = `/runs/${EW.enc(run.run_id)}`; a.title = `${run.run_id}\n${run.state}\n${run.created_at || ""}`;
      th.append(a); head.append(th);
    }
    const body = table.createTBody();
    for (const t of g.tasks) {
      const tr = body.insertRow();
      const name = cell("th", t.task_id, "task-col");
      name.style.paddingLeft = `${0.4 + 0.9 * (depth[t.task_id] || 0)}em`;
      tr.append(name);
      idx.forEach((i, col) => {
        const state = g.cells[t.task_id][i];
        const td = cell("td", undefined, "cell s-" + (state || "none"));
        const run = runs[col];
        td.title = `${t.task_id} · ${run.run_id}\n${state || "no task"}` +
          (g.tries[t.task_id][i] ? ` · try ${g.tries[t.task_id][i]}` : "") +
          (g.durations[t.task_id][i] != null ? ` · ${g.durations[t.task_id][i].toFixed(2)} s` : "");
        td.dataset.task = t.task_id; td.dataset.run = run.run_id;
        if (state) td.addEventListener("click", () => EW.panel.open(run.run_id, t.task_id, { upstream: t.upstream }));
        tr.append(td);
      });
    }
    box.replaceChildren(table);
    status.textContent = `${g.tasks.length} tasks × ${g.runs.length} runs · ${Math.round(performance.now() - started)} ms`;
    clearTimeout(timer);
    if (g.runs.some((run) => !EW.FINISHED.has(run.state))) timer = setTimeout(load, 3000);
  }
  load();
});
