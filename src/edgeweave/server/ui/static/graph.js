// Graph view: zoom/pan over the server-drawn SVG, node colours from the selected run
// (kept live over SSE while it runs), click a task for its details and log.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const svg = document.getElementById("graph");
  const details = JSON.parse(document.getElementById("task-details").textContent);
  const full = { x: 0, y: 0, w: +svg.dataset.width, h: +svg.dataset.height };
  let view = { ...full };
  let runId = svg.dataset.run || "";
  let source = null;

  const apply = () => svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
  // A small DAG gets a short canvas instead of a tall empty one; a big one the full height.
  svg.style.height = `${Math.max(320, Math.min(full.h * 1.4 + 40, window.innerHeight - 230))}px`;
  function fit() {
    // At most 1:1 scale, so a small DAG is not blown up; a big one fits and is zoomed into.
    const box = svg.getBoundingClientRect();
    const scale = Math.max(full.w / box.width, full.h / box.height, 1 / 1.4);
    view = { w: box.width * scale, h: box.height * scale, x: 0, y: 0 };
    view.x = (full.w - view.w) / 2; view.y = (full.h - view.h) / 2;
    apply();
  }
  function zoom(factor, cx, cy) {
    const box = svg.getBoundingClientRect();
    const px = cx === undefined ? 0.5 : (cx - box.left) / box.width;
    const py = cy === undefined ? 0.5 : (cy - box.top) / box.height;
    const nw = Math.min(Math.max(view.w * factor, 80), full.w * 20);
    const nh = view.h * (nw / view.w);
    view = { x: view.x + (view.w - nw) * px, y: view.y + (view.h - nh) * py, w: nw, h: nh };
    apply();
  }
  svg.addEventListener("wheel", (e) => { e.preventDefault(); zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, e.clientX, e.clientY); }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (e) => { if (e.target.closest(".node")) return; drag = { x: e.clientX, y: e.clientY, v: { ...view } }; svg.setPointerCapture(e.pointerId); });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const box = svg.getBoundingClientRect();
    const s = view.w / box.width;
    view = { ...drag.v, x: drag.v.x - (e.clientX - drag.x) * s, y: drag.v.y - (e.clientY - drag.y) * s };
    apply();
  });
  svg.addEventListener("pointerup", () => { drag = null; });
  document.getElementById("zoom-in").addEventListener("click", () => zoom(1 / 1.3));
  document.getElementById("zoom-out").addEventListener("click", () => zoom(1.3));
  document.getElementById("zoom-fit").addEventListener("click", fit);
  fit();

  const nodes = new Map([...svg.querySelectorAll(".node")].map((n) => [n.dataset.task, n]));
  const runBadge = document.getElementById("run-state");
  const states = {};

  function paint(data) {
    EW.setState(runBadge, data.run.state); runBadge.textContent = data.run.state;
    for (const ti of data.tasks) { states[ti.task_id] = ti.state; EW.setState(nodes.get(ti.task_id), ti.state); }
  }
  async function selectRun(id) {
    runId = id;
    if (source) { source.close(); source = null; }
    for (const n of nodes.values()) EW.setState(n, "none");
    runBadge.textContent = ""; EW.setState(runBadge, "none");
    if (!id) return;
    const r = await EW.api("GET", `/api/v1/runs/${EW.enc(id)}`);
    if (!r.ok) { runBadge.textContent = EW.problemText(r); return; }
    paint({ run: r.data, tasks: r.data.tasks });
    if (!EW.FINISHED.has(r.data.state)) {
      source = new EventSource(`/api/v1/runs/${EW.enc(id)}/events`);
      source.addEventListener("run", (e) => paint(JSON.parse(e.data)));
      source.addEventListener("end", () => { source.close(); source = null; });
    }
  }
  document.getElementById("run-select").addEventListener("change", (e) => {
    const url = new URL(location.href);
    if (e.target.value) url.searchParams.set("run", e.target.value); else url.searchParams.delete("run");
    history.replaceState(null, "", url);
    selectRun(e.target.value);
  });
  const edges = [...svg.querySelectorAll(".edge")];
  function pick(id) {
    for (const n of nodes.values()) n.classList.remove("picked");
    nodes.get(id).classList.add("picked");
    for (const e of edges) e.classList.toggle("hot", e.dataset.from === id || e.dataset.to === id);
    EW.panel.open(runId, id, details[id]);
  }
  // Find a task by name: centre it at a readable zoom and open it (big DAGs).
  document.getElementById("task-search").addEventListener("change", (e) => {
    const q = e.target.value.trim().toLowerCase();
    const id = nodes.has(e.target.value) ? e.target.value : [...nodes.keys()].find((k) => k.toLowerCase().includes(q));
    if (!q || !id) return;
    pick(id); // opens the panel first: the canvas is narrower afterwards
    const t = nodes.get(id).transform.baseVal.consolidate().matrix;
    const box = svg.getBoundingClientRect();
    const w = box.width / 1.25, h = box.height / 1.25; // a little larger than 1:1
    view = { w, h, x: t.e + 88 - w / 2, y: t.f + 17 - h / 2 };
    apply();
  });
  for (const [id, node] of nodes) {
    const open = () => pick(id);
    node.addEventListener("click", open);
    node.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
  }
  selectRun(runId);
});
