// podrender's page: inspect as you type, pick voices, render, listen, download. No framework.
"use strict";

const $ = (id) => document.getElementById(id);

const state = {
  file: null, // an uploaded transcript (sent as a file; the server decodes it)
  overrides: {}, // speaker -> voice the user chose in a picker; the page never changes these
  engines: {}, // speaker -> engine the user chose
  sameAs: {}, // label -> speaker: "same as" choices (the label becomes an alias)
  edits: {}, // turn index -> new text, edited in "Who says what"
  changed: new Set(), // turns edited since the last render was started
  engineList: null, // GET /api/engines answer
  filter: null, // the speaker whose turns are shown, or null for everyone
  previewUrl: null,
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
    else if (key === "colour") node.style.backgroundColor = value; // CSSOM: allowed by the page's CSP
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// --- errors beside the inputs ---------------------------------------------------------------

const MUSIC_FIELDS = ["intro", "bed", "outro", "duck_db", "channels"];
const ERROR_BOXES = {
  script: "script-error", voices: "voices-error", speakers: "speakers-error",
  ...Object.fromEntries(MUSIC_FIELDS.map((f) => [f, "music-error"])),
};

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
  if (MUSIC_FIELDS.includes(field)) $("music-box").open = true;
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
  const known = ([name]) => names.has(name);
  const chosen = Object.fromEntries(Object.entries(state.overrides).filter(known));
  if (Object.keys(chosen).length) form.append("speakers", JSON.stringify(chosen));
  const engines = Object.fromEntries(Object.entries(state.engines).filter(([name]) => name in chosen));
  if (Object.keys(engines).length) form.append("engines", JSON.stringify(engines));
  if (Object.keys(state.sameAs).length) form.append("same_as", JSON.stringify(state.sameAs));
  if (Object.keys(state.edits).length) form.append("edits", JSON.stringify(state.edits));
  return form;
}

// The script changed: edits (by turn index) and results of the old script no longer apply.
function scriptChanged() {
  state.edits = {};
  state.changed.clear();
  clearResult();
  scheduleInspect();
}

function clearResult() {
  if (state.pollTimer !== null) return; // a render under way keeps its card
  state.renderId = null;
  $("result-card").hidden = true;
  $("result").hidden = true;
  const player = $("player");
  if (player.getAttribute("src")) {
    player.pause();
    player.removeAttribute("src");
    player.load();
  }
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
    response = await fetch("/api/inspect?spoken=true", { method: "POST", body: formBody() });
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
  const engines = new Set([sheet.engine, ...sheet.speakers.map((s) => s.engine)]);
  await Promise.all([...engines].map(loadVoices));
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

function voicePicker(speaker, current, catalog, others) {
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
  if (others.length) {
    const group = el("optgroup", { label: "Another name of" });
    for (const other of others) group.append(el("option", { value: `same:${other}` }, `same as ${other}`));
    select.append(group);
  }
  select.value = current;
  select.title = current;
  select.addEventListener("change", () => {
    if (select.value.startsWith("same:")) {
      state.sameAs[speaker] = select.value.slice(5);
      delete state.overrides[speaker];
      delete state.engines[speaker];
    } else {
      state.overrides[speaker] = select.value; // the user's choice: kept as it is from now on
    }
    select.title = select.value;
    scheduleInspect(0);
  });
  return select;
}

function enginePicker(speaker, current) {
  const rows = state.engineList ? [...state.engineList.engines] : [];
  if (!rows.some((e) => e.name === current)) rows.unshift({ name: current, available: true });
  const select = el("select", { class: "engine", dataset: { engine: speaker }, "aria-label": `Engine for ${speaker}` });
  for (const e of rows) {
    const option = el("option", { value: e.name }, e.available ? e.name : `${e.name} (not installed)`);
    if (!e.available) {
      option.disabled = true;
      option.title = e.missing || "";
    }
    select.append(option);
  }
  select.value = current;
  select.addEventListener("change", async () => {
    const catalog = await loadVoices(select.value);
    if (!catalog || !catalog.choices.length) {
      showError("speakers", `The ${select.value} engine offers no voices here.`);
      select.value = current;
      return;
    }
    state.engines[speaker] = select.value;
    state.overrides[speaker] = catalog.choices[0];
    scheduleInspect(0);
  });
  return select;
}

// A colour per speaker, the same in the cast table and in "Who says what".
function speakerColour(index) {
  return `hsl(${(index * 137) % 360} 55% 42%)`;
}

// Hear a speaker's first line, or one turn (`{turn}`), as the render would say it: with the edits made so far.
async function preview(what, button) {
  const form = formBody();
  const turn = typeof what === "object" ? what.turn : null;
  if (turn !== null) form.append("turn", String(turn));
  else form.append("speaker", what);
  button.disabled = true;
  button.textContent = "…";
  try {
    const response = await fetch("/api/preview", { method: "POST", body: form });
    if (!response.ok) {
      const err = await errorOf(response);
      showError(err.field === "speaker" ? "speakers" : err.field === "turn" ? "script" : err.field, err.message);
      return;
    }
    const audio = $("preview-player");
    if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
    state.previewUrl = URL.createObjectURL(await response.blob());
    audio.src = state.previewUrl;
    if (turn !== null) {
      delete audio.dataset.speaker;
      audio.dataset.turn = String(turn);
    } else {
      delete audio.dataset.turn;
      audio.dataset.speaker = what;
    }
    audio.play().catch(() => {
      /* autoplay may be refused; the audio is loaded */
    });
  } catch (_) {
    showError(null, "Cannot reach the podrender server.");
  } finally {
    button.disabled = false;
    button.textContent = "▶";
  }
}

function showSheet(sheet, problem = false) {
  const before = new Map((state.sheet ? state.sheet.speakers : []).map((s) => [s.name, s.voice]));
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
  const names = sheet.speakers.map((s) => s.name);
  const colours = new Map(names.map((n, i) => [n, speakerColour(i)]));
  const rows = sheet.speakers.map((s) => {
    const badges = el("div", { class: "badges" });
    if (s.narrator) badges.append(el("span", { class: "badge" }, "narrator"));
    if (state.overrides[s.name]) badges.append(el("span", { class: "badge picked" }, "your pick"));
    else if (s.fallback) badges.append(el("span", { class: "badge fallback", title: "chosen by podrender; may change as others are picked" }, "auto voice"));
    const was = before.get(s.name);
    if (!state.overrides[s.name] && was && was !== s.voice) {
      // An automatic voice moved to stay distinct from a pick: say so rather than move it silently.
      badges.append(el("span", { class: "badge moved", title: `was ${was}` }, `moved from ${variantLabel(was)}`));
    }
    for (const alias of s.aliases.filter((a) => state.sameAs[a] !== undefined)) {
      const undo = el("button", { type: "button", class: "link", "aria-label": `${alias} is not ${s.name}`,
        onclick: () => { delete state.sameAs[alias]; scheduleInspect(0); } }, "×");
      badges.append(el("span", { class: "badge" }, `also ${alias} `, undo));
    }
    const link = el("a", { href: "#turns", class: "name", onclick: (e) => { e.preventDefault(); showTurnsOf(s.name); } }, s.name);
    const who = el("td", { class: "who" }, el("span", { class: "swatch", colour: colours.get(s.name) }), link);
    if (badges.childElementCount) who.append(badges);
    const play = el("button", { type: "button", class: "play", "aria-label": `Hear ${s.name}'s voice`, title: `Hear ${s.name}'s first line` }, "▶");
    play.addEventListener("click", () => preview(s.name, play));
    const others = names.filter((n) => n !== s.name && !s.narrator);
    const voiceCell = el("td", { class: "voice" },
      el("div", { class: "pick" }, voicePicker(s.name, s.voice, state.voices.get(s.engine), s.narrator ? [] : others), play),
      enginePicker(s.name, s.engine));
    return el("tr", {}, who, voiceCell,
      el("td", { class: "num", title: `${s.words} words` }, String(s.turns)),
      el("td", { class: "num" }, clock(s.estimated_seconds * 1000)),
    );
  });
  $("speakers").replaceChildren(...rows);
  $("policy").textContent = `(${sheet.chapter_policy})`;
  const chapters = sheet.chapters.map((c) => el("li", {}, c.title));
  $("sheet-chapters").replaceChildren(...(chapters.length ? chapters : [el("li", { class: "muted" }, "none")]));
  const warnings = sheet.warnings.filter((w) => !/is not in voices\.yaml; using fallback voice/.test(w));
  if (sheet.turns.length <= 1 && sheet.speakers.every((s) => s.narrator)) {
    warnings.unshift("Only a title: the episode would be that one line. Add turns written as “Name: what they say”.");
  }
  $("warnings").replaceChildren(...warnings.map((w) => el("li", {}, w)));
  $("warnings-box").hidden = warnings.length === 0;
  showClashes(sheet);
  showTurns(sheet, colours);
}

// Two speakers with one voice cannot be told apart: say so, never move the user's pick.
function showClashes(sheet) {
  const byVoice = new Map();
  for (const s of sheet.speakers) {
    const key = `${s.engine}:${s.voice}`;
    if (!byVoice.has(key)) byVoice.set(key, []);
    byVoice.get(key).push(s.name);
  }
  const items = [];
  for (const [key, who] of byVoice) {
    if (who.length < 2) continue;
    const voice = key.split(":").slice(1).join(":");
    items.push(el("li", {}, `${who.join(" and ")} have the same voice (${voice}); listeners cannot tell them apart. Pick another voice, or “same as” if they are one person.`));
  }
  $("clashes").replaceChildren(...items);
  $("clashes").hidden = items.length === 0;
}

// --- who says what ----------------------------------------------------------------------------

function spokenText(sheet, index) {
  const turn = (sheet.spoken || []).find((t) => t.turn === index);
  return turn ? turn.units.map((u) => u.text).join(" ") : null;
}

function showTurns(sheet, colours) {
  const items = sheet.turns.map((t) => {
    const said = spokenText(sheet, t.index);
    const text = el("p", { class: "said" }, said === null ? "(nothing to say after removing markup and links)" : said);
    const edit = el("button", { type: "button", class: "link edit", "aria-label": `Edit turn ${t.index + 1} (${t.speaker})` }, "edit");
    const head = el("div", { class: "turn-head" },
      el("span", { class: "swatch", colour: colours.get(t.speaker) || "#667085" }),
      el("span", { class: "who" }, t.speaker), el("span", { class: "muted" }, `line ${t.line}`), edit);
    if (said !== null) {
      const hear = el("button", { type: "button", class: "play small", "aria-label": `Hear turn ${t.index + 1} (${t.speaker})`,
        title: "Hear this turn as it will be said" }, "▶");
      hear.addEventListener("click", () => preview({ turn: t.index }, hear));
      edit.before(hear);
    }
    if (state.edits[t.index] !== undefined) head.append(el("span", { class: "badge picked" }, "edited"));
    const li = el("li", { id: `turn-${t.index}`, class: "turn", dataset: { speaker: t.speaker, index: String(t.index) } }, head, text);
    li.classList.toggle("changed", state.changed.has(t.index));
    edit.addEventListener("click", () => editTurn(li, t));
    return li;
  });
  $("turns").replaceChildren(...items);
  $("turns-count").textContent = `(${sheet.turns.length} turn${sheet.turns.length === 1 ? "" : "s"})`;
  const skipped = sheet.skipped.map((k) =>
    el("li", {}, el("span", { class: "muted" }, `line ${k.line}: `), el("q", {}, k.text), ` — ${k.reason}`));
  $("skipped").replaceChildren(...skipped);
  $("skipped-count").textContent = `(${skipped.length})`;
  $("skipped-box").hidden = skipped.length === 0;
  applyFilter();
}

function showTurnsOf(speaker) {
  state.filter = speaker;
  $("turns-box").open = true;
  applyFilter();
  const first = document.querySelector(`#turns li[data-speaker="${CSS.escape(speaker)}"]`);
  (first || $("turns-box")).scrollIntoView({ block: "start", behavior: "smooth" });
}

function applyFilter() {
  const who = state.filter;
  const present = who !== null && [...$("turns").children].some((li) => li.dataset.speaker === who);
  if (!present) state.filter = null;
  for (const li of $("turns").children) li.hidden = state.filter !== null && li.dataset.speaker !== state.filter;
  $("turns-filter").hidden = state.filter === null;
  $("turns-filter-text").textContent = state.filter ? `Only ${state.filter}’s turns.` : "";
}

function editTurn(li, turn) {
  const box = el("textarea", { class: "turn-edit", "aria-label": `New text of turn ${turn.index + 1} (${turn.speaker})`, rows: "4" });
  box.value = turn.text;
  const save = el("button", { type: "button", class: "button primary small" }, "Save and render");
  const cancel = el("button", { type: "button", class: "button secondary small" }, "Cancel");
  const form = el("div", { class: "turn-form" }, box, el("div", { class: "actions" }, save, cancel));
  li.querySelector(".said").replaceWith(form);
  box.focus();
  cancel.addEventListener("click", () => showSheet(state.sheet));
  save.addEventListener("click", async () => {
    if (!box.value.trim()) {
      box.classList.add("invalid");
      return;
    }
    if (box.value !== turn.text) {
      state.edits[turn.index] = box.value;
      state.changed.add(turn.index);
    }
    await inspect();
    if (state.sheet && state.pollTimer === null) startRender();
  });
}

// --- rendering ------------------------------------------------------------------------------

async function startRender() {
  if (!state.sheet) return;
  $("render").disabled = true;
  $("render-hint").textContent = "";
  state.keepAt = state.renderId && !$("result").hidden ? $("player").currentTime : null;
  state.rendering = new Set(state.changed);
  $("result-card").hidden = false;
  $("render-error").hidden = true;
  $("music-error").hidden = true;
  if (state.keepAt === null) $("result").hidden = true;
  setProgress(0, 0, "Sending…");
  $("result-card").scrollIntoView({ block: "start" });
  $("result-card").focus({ preventScroll: true });
  let response;
  try {
    response = await fetch("/api/renders", { method: "POST", body: withMusic(formBody()) });
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
  state.changed.clear();
  state.renderId = job.id;
  poll(job);
}

// The music and stereo choices go with a render only (inspect and previews do not need them).
function withMusic(form) {
  for (const role of ["intro", "bed", "outro"]) {
    const file = $(role).files[0];
    if (file) form.append(role, file, file.name);
  }
  if ($("duck_db").value.trim()) form.append("duck_db", $("duck_db").value.trim());
  if ($("channels").value) form.append("channels", $("channels").value);
  return form;
}

function mixText(mix) {
  if (!mix) return "";
  const parts = [];
  if (mix.intro) parts.push(`intro ${mix.intro}`);
  if (mix.bed) parts.push(`bed ${mix.bed}${mix.duck_db ? `, ${mix.duck_db} dB lower under speech` : ""}`);
  if (mix.outro) parts.push(`outro ${mix.outro}`);
  const music = parts.length ? `Music: ${parts.join(" · ")}` : "No music";
  return mix.seats ? `${music} · stereo` : music;
}

// The mix of a recent render in a few words ("intro + bed · stereo"); the full line is its title.
function mixShort(mix) {
  if (!mix) return "";
  const music = ["intro", "bed", "outro"].filter((role) => mix[role]);
  const parts = music.length ? [`music: ${music.join(" + ")}`] : [];
  if (mix.seats) parts.push("stereo");
  return parts.join(" · ");
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
  $("mix-line").textContent = mixText(job.mix);
  $("mix-line").hidden = !job.mix;
  const player = $("player");
  if (player.getAttribute("src") !== job.links.episode) {
    const at = state.keepAt;
    const playing = !player.paused;
    player.src = job.links.episode;
    if (at) {
      // Same place in the new episode, so an edit is heard in context.
      player.addEventListener("loadedmetadata", () => {
        player.currentTime = Math.min(at, player.duration || at);
        if (playing) player.play().catch(() => {});
      }, { once: true });
    }
  }
  state.keepAt = null;
  showMade(job);
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

// What this render made afresh (the rest came from the shared cache); the turns it made are highlighted.
async function showMade(job) {
  const asked = state.rendering || new Set();
  state.rendering = null;
  $("changed-box").hidden = true;
  for (const li of $("turns").children) li.classList.remove("changed");
  if (!job.units || !asked.size) return;
  let manifest;
  try {
    const response = await fetch(job.links.manifest);
    if (!response.ok) return;
    manifest = await response.json();
  } catch (_) {
    return;
  }
  const made = manifest.turns.filter((t) => t.cache !== "hit" && asked.has(t.index));
  if (!made.length) return;
  for (const t of made) {
    const li = $(`turn-${t.index}`);
    if (li) li.classList.add("changed");
  }
  const first = made[0];
  const total = job.units.made + job.units.reused;
  const units = `${job.units.made} of ${total} unit${total === 1 ? "" : "s"} made again`;
  $("changed-text").textContent = `Changed: ${first.speaker} at ${clock(first.start_ms)} (${units}).`;
  $("changed-play").onclick = () => seek(first.start_ms);
  $("changed-play").dataset.start = String(first.start_ms);
  $("changed-box").hidden = false;
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
    const when = new Date(r.created * 1000).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
    const name = r.title || "(untitled)";
    const label =
      r.status === "done"
        ? el("button", { type: "button", class: "link", onclick: () => showResult(r) }, name)
        : el("span", {}, name);
    const status = el("span", { class: `state-${r.status}`, title: r.error || "" }, r.status);
    const facts = [when];
    if (r.duration_ms) facts.push(clock(r.duration_ms));
    if (r.units) facts.push(`${r.units.made} made, ${r.units.reused} reused`);
    const mix = mixShort(r.mix);
    const extra = mix ? [el("span", { class: "mix", title: mixText(r.mix) }, mix), " · "] : [];
    const li = el("li", { dataset: { id: r.id } }, el("span", { class: "recent-name" }, label, el("code", { class: "rid", title: r.id }, r.id.slice(0, 6))),
      el("span", { class: "muted" }, facts.join(" · "), " · ", ...extra, status));
    if (r.id === state.renderId) li.classList.add("current");
    return li;
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
  state.edits = {};
  state.changed.clear();
  clearResult();
  scheduleInspect(0);
}

async function init() {
  $("script").addEventListener("input", scriptChanged);
  $("turns-all").addEventListener("click", () => { state.filter = null; applyFilter(); });
  $("voices").addEventListener("input", () => scheduleInspect(600));
  $("chapters").addEventListener("change", () => scheduleInspect(0));
  $("file").addEventListener("change", () => useFile($("file").files[0] || null));
  $("file-clear").addEventListener("click", () => useFile(null));
  $("render").addEventListener("click", startRender);
  $("player").addEventListener("timeupdate", highlightChapter);
  fetch("/api/engines")
    .then((r) => (r.ok ? r.json() : null))
    .then((list) => {
      state.engineList = list;
      if (state.sheet) showSheet(state.sheet);
    })
    .catch(() => {});
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
