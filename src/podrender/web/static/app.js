// podrender's page: inspect as you type, pick voices, render, listen, download. No framework.
"use strict";

const $ = (id) => document.getElementById(id);

const state = {
  file: null, // an uploaded transcript (sent as a file; the server decodes it)
  overrides: {}, // speaker -> voice chosen in a picker
  sheet: null, // the last cast sheet
  voices: new Map(), // engine -> GET /api/voices answer
  inspectSeq: 0,
  inspectTimer: null,
  renderId: null,
  pollTimer: null,
  maxBytes: 2 * 1024 * 1024,
};

const VARIANT_NAMES = { f: "female", m: "male" };

function clock(ms) {
  const s = Math.floor(ms / 1000); // as audio players show it
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// --- errors beside the inputs ---------------------------------------------------------------

const ERROR_BOXES = { script: "script-error", voices: "voices-error", speakers: "speakers-error" };

function clearErrors() {
  for (const id of Object.values(ERROR_BOXES)) $(id).hidden = true;
  $("script").classList.remove("invalid");
  $("voices").classList.remove("invalid");
}

function showError(field, message) {
  clearErrors();
  const box = $(ERROR_BOXES[field] || "script-error");
  box.textContent = message;
  box.hidden = false;
  if (field === "voices") {
    $("advanced").open = true;
    $("voices").classList.add("invalid");
  } else if (field === "script" || !field) {
    $("script").classList.add("invalid");
  }
}

async function errorOf(response) {
  try {
    const body = await response.json();
    if (body && body.error) return { field: body.field, message: body.error };
  } catch (_) {
    /* not JSON */
  }
  return { field: null, message: `The server answered ${response.status} ${response.statusText}.` };
}

// --- the request body -----------------------------------------------------------------------

function hasScript() {
  return state.file !== null || $("script").value.trim() !== "";
}

function formBody() {
  const form = new FormData();
  if (state.file) form.append("script", state.file, state.file.name);
  else form.append("script", $("script").value);
  form.append("voices", $("voices").value);
  if ($("chapters").value) form.append("chapters", $("chapters").value);
  const names = new Set((state.sheet ? state.sheet.speakers : []).map((s) => s.name));
  const chosen = Object.fromEntries(Object.entries(state.overrides).filter(([name]) => names.has(name)));
  if (Object.keys(chosen).length) form.append("speakers", JSON.stringify(chosen));
  return form;
}

// --- inspect as the user types --------------------------------------------------------------

function scheduleInspect(delay = 400) {
  clearTimeout(state.inspectTimer);
  state.inspectTimer = setTimeout(inspect, delay);
}

async function inspect() {
  const seq = ++state.inspectSeq;
  if (!hasScript()) {
    clearErrors();
    showSheet(null);
    $("inspect-state").textContent = "";
    return;
  }
  if (state.file && state.file.size > state.maxBytes) {
    showError("script", `${state.file.name} is too large; transcripts up to ${state.maxBytes / 1048576} MB are accepted.`);
    showSheet(null, true);
    return;
  }
  $("inspect-state").textContent = "Reading…";
  let response;
  try {
    response = await fetch("/api/inspect", { method: "POST", body: formBody() });
  } catch (_) {
    if (seq === state.inspectSeq) showError(null, "Cannot reach the podrender server.");
    return;
  }
  if (seq !== state.inspectSeq) return; // a newer request is under way
  $("inspect-state").textContent = "";
  if (!response.ok) {
    const err = await errorOf(response);
    if (seq !== state.inspectSeq) return;
    showError(err.field, err.message);
    showSheet(null, true);
    return;
  }
  const sheet = await response.json();
  if (seq !== state.inspectSeq) return;
  await loadVoices(sheet.engine);
  if (seq !== state.inspectSeq) return;
  clearErrors();
  showSheet(sheet);
}

async function loadVoices(engine) {
  if (state.voices.has(engine)) return state.voices.get(engine);
  try {
    const response = await fetch(`/api/voices?engine=${encodeURIComponent(engine)}`);
    if (response.ok) state.voices.set(engine, await response.json());
  } catch (_) {
    /* the pickers then offer only the current voice */
  }
  return state.voices.get(engine);
}

function variantLabel(id) {
  const variant = id.split("+")[1];
  if (!variant) return "default";
  const match = /^([fm])(\d+)$/.exec(variant);
  return match ? `${VARIANT_NAMES[match[1]]} ${match[2]}` : variant;
}

function voicePicker(speaker, current, catalog) {
  const select = el("select", { dataset: { speaker }, "aria-label": `Voice for ${speaker}` });
  const choices = catalog ? catalog.choices : [];
  if (!choices.includes(current)) select.append(el("option", { value: current }, current));
  const names = new Map((catalog ? catalog.voices : []).map((v) => [v.id, v.name]));
  const groups = new Map();
  for (const id of choices) {
    const base = id.split("+")[0];
    if (!groups.has(base)) groups.set(base, []);
    groups.get(base).push(id);
  }
  const singles = [];
  for (const [base, ids] of groups) {
    if (ids.length === 1) {
      singles.push(ids[0]);
      continue;
    }
    const name = names.get(base) || base;
    const group = el("optgroup", { label: `${name} · ${base}` });
    for (const id of ids) {
      const variant = variantLabel(id);
      group.append(el("option", { value: id, title: id }, variant === "default" ? name : `${name}, ${variant}`));
    }
    select.append(group);
  }
  if (singles.length) {
    const group = el("optgroup", { label: groups.size > singles.length ? "Other voices" : "Voices" });
    for (const id of singles) group.append(el("option", { value: id, title: id }, `${names.get(id) || id} (${id})`));
    select.append(group);
  }
  select.value = current;
  select.title = current;
  select.addEventListener("change", () => {
    state.overrides[speaker] = select.value;
    select.title = select.value;
    scheduleInspect(0);
  });
  return select;
}

function showSheet(sheet, problem = false) {
  state.sheet = sheet;
  $("cast").hidden = !sheet;
  $("cast-empty").hidden = !!sheet;
  $("cast-empty").textContent = problem
    ? "Fix the mistake shown on the left to see the speakers."
    : "Speakers appear here as soon as you paste a transcript.";
  $("render").disabled = !sheet || state.pollTimer !== null;
  if (!sheet) return;
  $("sheet-title").textContent = sheet.title;
  $("sheet-length").textContent = `· about ${clock(sheet.estimated_seconds * 1000)}`;
  const catalog = state.voices.get(sheet.engine);
  const rows = sheet.speakers.map((s) => {
    const badges = el("div", { class: "badges" });
    if (s.narrator) badges.append(el("span", { class: "badge" }, "narrator"));
    if (s.fallback) badges.append(el("span", { class: "badge fallback", title: "not in voices.yaml" }, "auto voice"));
    const who = el("td", { class: "who" }, el("div", { class: "name" }, s.name));
    if (badges.childElementCount) who.append(badges);
    return el(
      "tr",
      {},
      who,
      el("td", {}, voicePicker(s.name, s.voice, catalog)),
      el("td", { class: "num", title: `${s.words} words` }, String(s.turns)),
      el("td", { class: "num" }, clock(s.estimated_seconds * 1000)),
    );
  });
  $("speakers").replaceChildren(...rows);
  $("policy").textContent = `(${sheet.chapter_policy})`;
  const chapters = sheet.chapters.map((c) => el("li", {}, c.title));
  $("sheet-chapters").replaceChildren(...(chapters.length ? chapters : [el("li", { class: "muted" }, "none")]));
  const warnings = sheet.warnings.filter((w) => !/is not in voices\.yaml; using fallback voice/.test(w));
  $("warnings").replaceChildren(...warnings.map((w) => el("li", {}, w)));
  $("warnings-box").hidden = warnings.length === 0;
}

// --- rendering ------------------------------------------------------------------------------

async function startRender() {
  if (!state.sheet) return;
  $("render").disabled = true;
  $("render-hint").textContent = "";
  $("result-card").hidden = false;
  $("result").hidden = true;
  $("render-error").hidden = true;
  setProgress(0, 0, "Sending…");
  let response;
  try {
    response = await fetch("/api/renders", { method: "POST", body: formBody() });
  } catch (_) {
    renderFailed("Cannot reach the podrender server.");
    return;
  }
  if (response.status !== 202) {
    const err = await errorOf(response);
    if (err.field) {
      $("result-card").hidden = true;
      showError(err.field, err.message);
      $("render").disabled = false;
    } else {
      renderFailed(err.message);
    }
    return;
  }
  const job = await response.json();
  state.renderId = job.id;
  poll(job);
}

function setProgress(done, total, text, finished = false) {
  const pct = total ? Math.round((100 * done) / total) : 0;
  $("bar").style.width = `${finished ? 100 : pct}%`;
  document.querySelector(".progress").setAttribute("aria-valuenow", String(finished ? 100 : pct));
  $("status").textContent = text;
  $("status").classList.toggle("done", finished);
}

function renderFailed(message) {
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
  $("render-error").textContent = message;
  $("render-error").hidden = false;
  $("progress-box").hidden = true;
  $("render").disabled = !state.sheet;
}

async function poll(job) {
  state.pollTimer = null;
  $("progress-box").hidden = false;
  if (job.status === "queued") setProgress(0, 0, "Waiting in the queue…");
  else if (job.status === "running") {
    const { done, total } = job.progress;
    setProgress(done, total, total ? `Rendering turns: ${done} of ${total}` : "Preparing the render…");
  } else if (job.status === "done") {
    showResult(job);
    loadRecent();
    return;
  } else {
    renderFailed(job.error || "The render failed.");
    loadRecent();
    return;
  }
  state.pollTimer = setTimeout(async () => {
    try {
      const response = await fetch(`/api/renders/${encodeURIComponent(job.id)}`);
      if (!response.ok) {
        renderFailed((await errorOf(response)).message);
        return;
      }
      const next = await response.json();
      if (next.id === state.renderId) poll(next);
    } catch (_) {
      renderFailed("Lost contact with the podrender server.");
    }
  }, 400);
}

function showResult(job) {
  clearTimeout(state.pollTimer);
  state.pollTimer = null;
  state.renderId = job.id;
  $("result-card").hidden = false;
  $("render-error").hidden = true;
  $("progress-box").hidden = false;
  const length = job.duration_ms ? clock(job.duration_ms) : "";
  setProgress(1, 1, `Done: ${length} · ${job.chapters.length} chapter${job.chapters.length === 1 ? "" : "s"}`, true);
  $("render").disabled = !state.sheet;
  $("result").hidden = false;
  $("result-name").textContent = job.title || "Episode";
  const player = $("player");
  if (player.getAttribute("src") !== job.links.episode) player.src = job.links.episode;
  $("download").href = job.links.episode;
  $("manifest").href = job.links.manifest;
  const items = job.chapters.map((c, i) =>
    el(
      "li",
      { dataset: { start: String(c.start_ms), end: String(c.end_ms), index: String(i) } },
      el(
        "button",
        { type: "button", onclick: () => seek(c.start_ms) },
        el("span", { class: "time" }, clock(c.start_ms)),
        el("span", { class: "title" }, c.title),
      ),
    ),
  );
  $("chapters-list").replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, "No chapters")]));
  highlightChapter();
}

function seek(ms) {
  const player = $("player");
  player.currentTime = ms / 1000;
  player.play().catch(() => {
    /* autoplay may be refused; the position is set anyway */
  });
  highlightChapter();
}

function highlightChapter() {
  const now = $("player").currentTime * 1000;
  for (const li of $("chapters-list").children) {
    const start = Number(li.dataset.start);
    const end = Number(li.dataset.end);
    li.classList.toggle("current", now >= start && now < end);
  }
}

// --- recent renders -------------------------------------------------------------------------

async function loadRecent() {
  let data;
  try {
    const response = await fetch("/api/renders");
    if (!response.ok) return;
    data = await response.json();
  } catch (_) {
    return;
  }
  const items = data.renders.slice(0, 10).map((r) => {
    const when = new Date(r.created * 1000).toLocaleString();
    const name = r.title || "(untitled)";
    const label =
      r.status === "done"
        ? el("button", { type: "button", class: "link", onclick: () => showResult(r) }, name)
        : el("span", {}, name);
    const status = el("span", { class: `state-${r.status}`, title: r.error || "" }, r.status);
    return el("li", {}, label, el("span", { class: "muted" }, when, " · ", status));
  });
  $("recent").replaceChildren(...items);
  $("recent-card").hidden = items.length === 0;
}

// --- wiring ---------------------------------------------------------------------------------

function useFile(file) {
  state.file = file;
  $("file-chip").hidden = !file;
  $("file-name").textContent = file ? `${file.name} (${Math.max(1, Math.round(file.size / 1024))} KB)` : "";
  $("script").disabled = !!file;
  if (!file) $("file").value = "";
  scheduleInspect(0);
}

async function init() {
  $("script").addEventListener("input", () => scheduleInspect());
  $("voices").addEventListener("input", () => scheduleInspect(600));
  $("chapters").addEventListener("change", () => scheduleInspect(0));
  $("file").addEventListener("change", () => useFile($("file").files[0] || null));
  $("file-clear").addEventListener("click", () => useFile(null));
  $("render").addEventListener("click", startRender);
  $("player").addEventListener("timeupdate", highlightChapter);
  try {
    const response = await fetch("/api/defaults");
    if (response.ok) {
      const defaults = await response.json();
      if (!$("voices").value) $("voices").value = defaults.voices;
      state.maxBytes = defaults.max_script_bytes;
    }
  } catch (_) {
    /* the page still works with an empty voices.yaml */
  }
  loadRecent();
  if (hasScript()) scheduleInspect(0);
}

document.addEventListener("DOMContentLoaded", init);
