// Trigger form: values typed from the params schema, sent to the API; the server's
// validation (422, naming each bad param) is shown inline under each field.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("trigger-form");
  const formError = document.getElementById("form-error");

  function value(field) {
    const input = field.querySelector("input, select, textarea");
    const kind = field.dataset.kind;
    if (kind === "checkbox") return input.checked;
    if (kind === "select") return JSON.parse(input.value);
    const raw = input.value.trim();
    if (raw === "") return undefined;
    if (kind === "integer") return /^[-+]?\d+$/.test(raw) ? Number(raw) : raw;
    if (kind === "number") return raw !== "" && !isNaN(Number(raw)) ? Number(raw) : raw;
    if (kind === "json") { try { return JSON.parse(raw); } catch (e) { return raw; } }
    return input.value;
  }

  // Checked as you type, from the params schema; the server checks again on submit.
  function localProblem(field) {
    const input = field.querySelector("input, select, textarea");
    const kind = field.dataset.kind;
    if (kind === "checkbox" || kind === "select") return "";
    const raw = input.value.trim();
    if (raw === "") return field.dataset.required ? "required" : "";
    if (kind === "integer" && !/^[-+]?\d+$/.test(raw)) return `expected an integer, got '${raw}'`;
    if (kind === "number" && isNaN(Number(raw))) return `expected a number, got '${raw}'`;
    if (kind === "integer" || kind === "number") {
      const v = Number(raw);
      if (field.dataset.min !== undefined && v < Number(field.dataset.min)) return `must be >= ${field.dataset.min}`;
      if (field.dataset.max !== undefined && v > Number(field.dataset.max)) return `must be <= ${field.dataset.max}`;
    }
    if (kind === "json") { try { JSON.parse(raw); } catch (e) { return "not valid JSON"; } }
    return "";
  }
  function mark(field, text) {
    const el = field.querySelector(".field-error");
    el.textContent = text; el.hidden = !text;
    field.classList.toggle("invalid", Boolean(text));
  }
  for (const field of form.querySelectorAll(".field")) {
    const input = field.querySelector("input, select, textarea");
    input.addEventListener("input", () => mark(field, localProblem(field)));
  }

  function showErrors(lines) {
    const loose = [];
    for (const line of lines) {
      const m = /param '([^']+)'/.exec(line);
      const el = m && form.querySelector(`[data-param="${CSS.escape(m[1])}"] .field-error`);
      if (el) { el.textContent = line.replace(/^(unknown )?param '[^']+':?\s*/, ""); el.hidden = false; el.closest(".field").classList.add("invalid"); }
      else loose.push(line);
    }
    if (loose.length) { formError.textContent = loose.join("; "); formError.hidden = false; }
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const el of form.querySelectorAll(".field-error")) { el.hidden = true; el.textContent = ""; }
    for (const el of form.querySelectorAll(".field.invalid")) el.classList.remove("invalid");
    formError.hidden = true;
    const params = {};
    for (const field of form.querySelectorAll(".field")) {
      const v = value(field);
      if (v !== undefined) params[field.dataset.param] = v;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const r = await EW.api("POST", `/api/v1/dags/${EW.enc(form.dataset.dag)}/runs`, { params });
    button.disabled = false;
    if (r.ok) { location.href = `/runs/${EW.enc(r.data.run_id)}`; return; }
    if (r.status === 422 && r.data && Array.isArray(r.data.errors)) {
      showErrors(r.data.errors.map((x) => (typeof x === "string" ? x : `${(x.loc || []).join(".")}: ${x.msg}`)));
    } else {
      formError.textContent = EW.problemText(r); formError.hidden = false;
    }
  });
});
