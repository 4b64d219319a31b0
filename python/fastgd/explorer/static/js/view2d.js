// The 2-D view: a registered objective or a typed f(x, y) as a contour (and an
// optional 3-D wireframe); several optimizers, each with its own learning rate (and
// momentum where it has one), run by fastgd.race on the server from one start.
//
// "step together" asks for a race of k+1 steps and shows its end; "race" asks for
// the steps in the box once and animates the paths with requestAnimationFrame.
// Changing an optimizer's settings, the start or the surface starts again at step 0.

import { api } from "./api.js";
import { COLORS, ContourGrid, Plot } from "./chart.js";
import { readNumber, showNumber, statusWord } from "./format.js";
import { Surface3D } from "./surface3d.js";

const DEFAULT_OBJECTIVE = "himmelblau";
const DEFAULT_OPTIMIZERS = [
  { name: "gd", lr: 0.01, momentum: 0.9 },
  { name: "momentum", lr: 0.002, momentum: 0.9 },
  { name: "adam", lr: 0.1, momentum: 0.9 },
];
const MAX_OPTIMIZERS = 8;
const GRID_N = 120;
const ANIMATION_FRAMES = 150;  // a race is shown in about this many frames

export function setup() {
  const $ = (id) => document.getElementById(id);
  const el = {
    objective: $("f2-objective"), formula: $("f2-formula"), apply: $("f2-apply"), error: $("f2-error"),
    expression: $("f2-expression"), x0: $("f2-x0"), y0: $("f2-y0"), steps: $("f2-steps"),
    step: $("f2-step"), race: $("f2-race"), reset: $("f2-reset"), show3d: $("f2-3d"),
    table: $("f2-optimizers").tBodies[0], add: $("f2-add"), runError: $("f2-run-error"),
    contour: $("f2-contour"), loss: $("f2-loss"), surface: $("f2-surface"),
  };
  const contourPlot = new Plot(el.contour, { xlabel: "x", ylabel: "y" });
  const lossPlot = new Plot(el.loss, { xlabel: "step", ylabel: "f(x, y)" });
  const surface3d = new Surface3D(el.surface);
  const state = {
    optimizerKinds: {},     // name -> takes a momentum
    minima: {},             // objective name -> [[x, y], ...]
    surface: null,          // {objective} or {formula}
    window: [-1, 1, -1, 1],
    grid: null, z: null, gridToken: 0,
    rows: [],               // the optimizer rows of the table
    runs: null,             // the server's runs, aligned with the specs they ran
    specs: null,
    requested: 0,           // steps the runs were asked for
    mode: "step",           // "step" or "race"
    k: 0,                   // the step shown
    animating: false,
    busy: false,
  };

  // --- optimizer rows -------------------------------------------------------------

  function addRow({ name, lr, momentum }) {
    if (state.rows.length >= MAX_OPTIMIZERS) return;
    const color = COLORS.find((c) => !state.rows.some((r) => r.color === c)) ?? COLORS[0];
    const tr = document.createElement("tr");
    tr.className = "opt-row";
    const cell = (child, cls) => {
      const td = document.createElement("td");
      if (cls) td.className = cls;
      if (child) td.append(child);
      tr.append(td);
      return td;
    };
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = color;
    cell(swatch);
    const select = document.createElement("select");
    select.className = "opt-name";
    for (const kind of Object.keys(state.optimizerKinds)) {
      const option = document.createElement("option");
      option.value = kind;
      option.textContent = kind;
      select.append(option);
    }
    select.value = name;
    cell(select);
    const lrBox = document.createElement("input");
    Object.assign(lrBox, { type: "number", step: "any", min: "0", value: String(lr), className: "opt-lr" });
    cell(lrBox);
    // the slider moves the rate on a log scale (1e-4 .. 10)
    const slider = document.createElement("input");
    Object.assign(slider, { type: "range", min: "-4", max: "1", step: "0.05", className: "opt-lr-slider" });
    slider.value = String(Math.log10(lr));
    slider.setAttribute("aria-label", "learning rate slider (log scale)");
    cell(slider);
    const momentumBox = document.createElement("input");
    Object.assign(momentumBox, { type: "number", step: "any", min: "0", max: "0.999", value: String(momentum), className: "opt-momentum" });
    cell(momentumBox);
    const outputs = {};
    for (const key of ["step", "x", "y", "f", "status"]) outputs[key] = cell(null, `opt-${key}`);
    const remove = document.createElement("button");
    remove.textContent = "×";
    remove.title = "remove this optimizer";
    cell(remove);
    const row = { tr, color, select, lrBox, slider, momentumBox, outputs };
    const syncMomentum = () => { momentumBox.disabled = !state.optimizerKinds[select.value]; };
    syncMomentum();
    select.addEventListener("change", () => { syncMomentum(); restart(); });
    lrBox.addEventListener("input", () => {
      const value = readNumber(lrBox, { positive: true });
      if (value !== null) slider.value = String(Math.log10(value));
      restart();
    });
    slider.addEventListener("input", () => {
      lrBox.value = String(Number((10 ** Number(slider.value)).toPrecision(3)));
      readNumber(lrBox);
      restart();
    });
    momentumBox.addEventListener("input", restart);
    remove.addEventListener("click", () => {
      state.rows = state.rows.filter((r) => r !== row);
      tr.remove();
      el.add.disabled = false;
      restart();
    });
    state.rows.push(row);
    el.table.append(tr);
    el.add.disabled = state.rows.length >= MAX_OPTIMIZERS;
  }

  function readSpecs() {
    const specs = [];
    for (const row of state.rows) {
      const lr = readNumber(row.lrBox, { positive: true });
      const momentum = readNumber(row.momentumBox);
      if (lr === null || (state.optimizerKinds[row.select.value] && (momentum === null || momentum < 0 || momentum > 0.999))) {
        return null;
      }
      specs.push({ name: row.select.value, lr, momentum: momentum ?? 0.9 });
    }
    return specs;
  }

  // --- the surface ------------------------------------------------------------------

  function showError(message) {
    el.error.textContent = message;
    el.formula.classList.toggle("invalid", Boolean(message));
  }

  async function useSurface(surface) {
    const answer = await api("2d/surface", surface);
    if (!answer.ok) {
      showError(answer.error);
      return false;
    }
    showError("");
    state.surface = surface;
    const [[xa, xb], [ya, yb]] = answer.data.bounds;
    state.window = [xa, xb, ya, yb];
    el.expression.textContent = `${answer.data.name}: ${answer.data.expression}`;
    el.x0.value = String(Number((xa + 0.45 * (xb - xa)).toFixed(3)));
    el.y0.value = String(Number((ya + 0.6 * (yb - ya)).toFixed(3)));
    state.grid = null;
    await loadContour();
    restart();
    return true;
  }

  async function loadContour() {
    const token = ++state.gridToken;
    const answer = await api("2d/contour", { ...state.surface, window: state.window, n: GRID_N });
    if (token !== state.gridToken) return;  // a newer window was asked for meanwhile
    if (!answer.ok) { el.runError.textContent = answer.error; return; }
    const d = answer.data;
    state.grid = new ContourGrid(d.x, d.y, d.z);
    state.z = d.z;
  }

  let contourTimer = null;
  function windowChanged() {
    clearTimeout(contourTimer);
    contourTimer = setTimeout(loadContour, 180);
  }

  // --- runs ---------------------------------------------------------------------------

  function restart() {
    state.runs = null;
    state.specs = null;
    state.k = 0;
    state.requested = 0;
    state.animating = false;
    el.race.textContent = "race";
    el.runError.textContent = "";
    renderTable();
  }

  function readStart() {
    const x = readNumber(el.x0), y = readNumber(el.y0);
    return x === null || y === null ? null : [x, y];
  }

  async function runRace(steps) {
    const specs = readSpecs();
    const start = readStart();
    if (specs === null) { el.runError.textContent = "every learning rate must be > 0 and every momentum in [0, 0.999]"; return false; }
    if (specs.length === 0) { el.runError.textContent = "add an optimizer first"; return false; }
    if (start === null || !state.surface) { el.runError.textContent = "the start must be two numbers"; return false; }
    state.busy = true;
    const answer = await api("2d/race", { ...state.surface, x0: start, optimizers: specs, steps });
    state.busy = false;
    if (!answer.ok) { el.runError.textContent = answer.error; return false; }
    el.runError.textContent = "";
    state.runs = answer.data.runs;
    state.specs = specs;
    state.requested = steps;
    return true;
  }

  async function stepTogether() {
    if (state.busy) return;
    state.animating = false;
    el.race.textContent = "race";
    const steps = (state.runs ? state.k : 0) + 1;
    state.mode = "step";
    if (await runRace(steps)) state.k = steps;
    renderTable();
  }

  async function race() {
    if (state.busy) return;
    if (state.animating) {  // pause
      state.animating = false;
      el.race.textContent = "race";
      return;
    }
    const steps = readNumber(el.steps, { positive: true, integer: true });
    if (steps === null || steps > 5000) { el.runError.textContent = "race steps must be an integer in [1, 5000]"; return; }
    if (!state.runs || state.mode !== "race" || state.requested !== steps) {
      const from = state.runs ? state.k : 0;
      el.race.textContent = "pause";  // the race has begun: it is being computed
      if (!(await runRace(steps))) { el.race.textContent = "race"; return; }
      state.k = Math.min(from, steps);
    }
    state.mode = "race";
    if (state.k >= steps) state.k = 0;
    state.animating = true;
    el.race.textContent = "pause";
  }

  /** A run's index shown at step k, its last finite point, and its status word. */
  function runAt(run, k) {
    const last = Math.min(k, run.x.length - 1);
    let i = last;
    while (i > 0 && (run.x[i] === null || run.y[i] === null)) i--;
    // converged or diverged once the step it stopped at is shown; max_iter once a
    // race has shown all its steps; running before that
    let word = "running";
    if (run.status !== "max_iter" && k >= run.nit) word = run.status;
    else if (state.mode === "race" && k >= state.requested) word = statusWord(run.status, true);
    return { index: last, finite: i, word };
  }

  function renderTable() {
    state.rows.forEach((row, r) => {
      const run = state.runs ? state.runs[r] : null;
      const out = row.outputs;
      if (!run) {
        out.step.textContent = "";
        for (const key of ["x", "y", "f"]) showNumber(out[key], null);
        out.status.textContent = "";
        out.status.className = "opt-status";
        return;
      }
      const at = runAt(run, state.k);
      out.step.textContent = String(at.index);
      showNumber(out.x, run.x[at.index], 10);
      showNumber(out.y, run.y[at.index], 10);
      showNumber(out.f, run.loss[at.index], 10);
      out.status.textContent = at.word;
      out.status.className = `opt-status status ${at.word}`;
    });
  }

  // --- drawing ------------------------------------------------------------------------

  function draw() {
    const [x0, x1, y0, y1] = state.window;
    contourPlot.clear();
    contourPlot.setWindow(x0, x1, y0, y1);
    if (state.grid) state.grid.draw(contourPlot);
    contourPlot.axes();
    const minima = state.surface?.objective ? state.minima[state.surface.objective] ?? [] : [];
    for (const [mx, my] of minima) contourPlot.points([mx], [my], { color: "#fff", radius: 3.5, stroke: "#1d232b" });
    const start = readStart();
    if (start) contourPlot.points([start[0]], [start[1]], { color: "#fff", radius: 5, stroke: "#1d232b" });
    const shown = [];
    if (state.runs) {
      state.runs.forEach((run, r) => {
        const color = state.rows[r]?.color ?? "#000";
        const at = runAt(run, state.k);
        const xs = run.x.slice(0, at.index + 1), ys = run.y.slice(0, at.index + 1);
        contourPlot.line(xs, ys, { color, width: 2 });
        contourPlot.points([run.x[at.finite]], [run.y[at.finite]], { color, radius: 4.5, stroke: "#fff" });
        if (at.word === "diverged") contourPlot.cross(run.x[at.finite], run.y[at.finite]);
        shown.push({ x: xs, y: ys, loss: run.loss.slice(0, at.index + 1), color, name: run.name });
      });
    }
    drawLoss(shown);
    if (el.show3d.checked) surface3d.draw(state.grid, state.z, state.window, shown);
  }

  function drawLoss(shown) {
    lossPlot.clear();
    const all = shown.flatMap((s) => s.loss).filter((v) => v !== null && Number.isFinite(v));
    lossPlot.logY = all.length > 0 && all.every((v) => v > 0);
    const ys = lossPlot.logY ? all.map(Math.log10) : all;
    const lo = ys.length ? Math.min(...ys) : 0, hi = ys.length ? Math.max(...ys) : 1;
    const pad = 0.05 * (hi - lo || 1);
    lossPlot.ylabel = lossPlot.logY ? "f(x, y), log scale" : "f(x, y)";
    lossPlot.setWindow(0, Math.max(1, state.k), lo - pad, hi + pad);
    lossPlot.axes();
    for (const s of shown) {
      lossPlot.line(s.loss.map((_, i) => i), s.loss, { color: s.color, width: 1.8 });
    }
  }

  function frame() {
    if (state.animating && state.runs) {
      const stride = Math.max(1, Math.ceil(state.requested / ANIMATION_FRAMES));
      state.k = Math.min(state.requested, state.k + stride);
      renderTable();
      if (state.k >= state.requested) {
        state.animating = false;
        el.race.textContent = "race";
      }
    }
    // a hidden view keeps its state moving but draws nothing
    if (!document.getElementById("view-2d").hidden) draw();
    requestAnimationFrame(frame);
  }

  // --- events -------------------------------------------------------------------------

  el.objective.addEventListener("change", () => { el.formula.value = ""; showError(""); useSurface({ objective: el.objective.value }); });
  const applyFormula = () => {
    if (el.formula.value.trim() === "") { useSurface({ objective: el.objective.value }); return; }
    useSurface({ formula: el.formula.value });
  };
  el.apply.addEventListener("click", applyFormula);
  el.formula.addEventListener("keydown", (e) => { if (e.key === "Enter") applyFormula(); });
  for (const box of [el.x0, el.y0]) box.addEventListener("input", restart);
  el.step.addEventListener("click", stepTogether);
  el.race.addEventListener("click", race);
  el.reset.addEventListener("click", restart);
  el.add.addEventListener("click", () => { addRow({ name: "nesterov", lr: 0.005, momentum: 0.9 }); restart(); });
  el.show3d.addEventListener("change", () => { $("f2-surface-panel").hidden = !el.show3d.checked; });

  // click: start here; drag: pan; wheel: zoom about the pointer
  let press = null;
  el.contour.addEventListener("mousedown", (e) => {
    press = { x: e.clientX, y: e.clientY, window: [...state.window], moved: false };
  });
  window.addEventListener("mousemove", (e) => {
    if (!press) return;
    const dx = e.clientX - press.x, dy = e.clientY - press.y;
    if (Math.hypot(dx, dy) > 4) press.moved = true;
    if (!press.moved) return;
    const [x0, x1, y0, y1] = press.window, r = contourPlot.inner;
    const sx = ((x1 - x0) * dx) / r.width, sy = ((y1 - y0) * dy) / r.height;
    state.window = [x0 - sx, x1 - sx, y0 + sy, y1 + sy];
    windowChanged();
  });
  window.addEventListener("mouseup", (e) => {
    if (!press) return;
    const wasClick = !press.moved;
    press = null;
    if (!wasClick || !state.surface) return;
    const p = contourPlot.eventToData(e);
    if (!p.inside) return;
    el.x0.value = String(Number(p.x.toFixed(3)));
    el.y0.value = String(Number(p.y.toFixed(3)));
    readNumber(el.x0); readNumber(el.y0);
    restart();
  });
  el.contour.addEventListener("wheel", (e) => {
    e.preventDefault();
    const p = contourPlot.eventToData(e);
    const factor = Math.exp(e.deltaY * 0.0015);
    const [x0, x1, y0, y1] = state.window;
    state.window = [p.x + (x0 - p.x) * factor, p.x + (x1 - p.x) * factor, p.y + (y0 - p.y) * factor, p.y + (y1 - p.y) * factor];
    windowChanged();
  }, { passive: false });

  async function load() {
    const answer = await api("2d/objectives", {});
    if (!answer.ok) { el.runError.textContent = answer.error; return; }
    state.optimizerKinds = answer.data.optimizers;
    for (const obj of answer.data.objectives) {
      state.minima[obj.name] = obj.minima;
      const option = document.createElement("option");
      option.value = obj.name;
      option.textContent = obj.name;
      option.title = obj.doc;
      el.objective.append(option);
    }
    if (answer.data.objectives.some((o) => o.name === DEFAULT_OBJECTIVE)) el.objective.value = DEFAULT_OBJECTIVE;
    for (const spec of DEFAULT_OPTIMIZERS) addRow(spec);
    await useSurface({ objective: el.objective.value });
    requestAnimationFrame(frame);
  }

  return { load };
}
