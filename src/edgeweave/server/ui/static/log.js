// Task log page: reads the log from the API by offset and keeps following it while the
// task runs (one small request a second, only new bytes each time).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const log = document.getElementById("log");
  const status = document.getElementById("log-status");
  const badge = document.getElementById("task-state");
  const tryInput = document.getElementById("log-try");
  const followBox = document.getElementById("log-follow");
  let offset = 0, timer = null, generation = 0;

  async function poll(gen) {
    const t = tryInput.value.trim();
    const url = `/api/v1/runs/${EW.enc(log.dataset.run)}/tasks/${EW.enc(log.dataset.task)}/logs?offset=${offset}` + (t ? `&try=${EW.enc(t)}` : "");
    const r = await EW.api("GET", url);
    if (gen !== generation) return;
    if (!r.ok) { status.textContent = EW.problemText(r); return; }
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.textContent += r.data.text; offset = r.data.next_offset;
    if (atBottom) log.scrollTop = log.scrollHeight;
    badge.textContent = r.data.state; EW.setState(badge, r.data.state);
    const running = !EW.FINISHED.has(r.data.state);
    status.textContent = `try ${r.data.try} · ${offset} bytes` + (running && followBox.checked ? " · following" : "");
    if (running && followBox.checked) timer = setTimeout(() => poll(gen), 1000);
  }
  function restart() { clearTimeout(timer); generation += 1; offset = 0; log.textContent = ""; poll(generation); }
  tryInput.addEventListener("change", restart);
  followBox.addEventListener("change", () => { if (followBox.checked) { clearTimeout(timer); poll(generation); } });
  restart();
});
