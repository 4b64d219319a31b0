// The 1-D view, as the lecture's visualiser: a typed f(x), a start x0, a learning
// rate that may change between steps, and fastgd.minimize's iterates one by one.
//
// The descent is computed on the server by fastgd.minimize. The page keeps
// "segments": a run of steps at one learning rate. Every next step asks the server
// for minimize(f, theta at the segment's start, lr, max_iter = steps in the
// segment), so with one rate throughout, the table is exactly
// minimize(f, x0, method="gd", lr, max_iter=k), and the status is fastgd's
// stopping rule's for that run.

import { api } from "./api.js";
import { Plot } from "./chart.js";
import { readNumber, showNumber, statusWord } from "./format.js";

const BUILTINS = [
  { label: "parabola x^2", formula: "x^2", lo: -3, hi: 3, x0: 2.5, lr: 0.1 },
  { label: "two valleys", formula: "x^4 - 3*x^2 + x", lo: -2.5, hi: 2.5, x0: 2, lr: 0.02 },
  { label: "wavy bowl", formula: "sin(3*x) + 0.3*x^2", lo: -5, hi: 5, x0: 4, lr: 0.05 },
  { label: "steep quartic x^4", formula: "x^4", lo: -2, hi: 2, x0: 1.5, lr: 0.05 },
  { label: "|x| (not smooth)", formula: "abs(x)", lo: -3, hi: 3, x0: 2.05, lr: 0.3 },
  { label: "log-cosh", formula: "log(cosh(x))", lo: -4, hi: 4, x0: 3, lr: 0.5 },
];
const PLAY_INTERVAL_MS = 350;
const GLIDE_MS = 220;

/** The y range of the chart: the curve's, unless a few samples shoot off (1/x near
 * 0), when the 2nd to 98th percentiles are shown and the rest runs off the chart. */
function yRange(values) {
  const finite = values.filter((v) => v !== null).sort((a, b) => a - b);
  if (finite.length === 0) return [-1, 1];
  const low = finite[0], high = finite[finite.length - 1];
  const q = (p) => finite[Math.round(p * (finite.length - 1))];
  const inner = q(0.98) - q(0.02);
  return high - low > 20 * inner && inner > 0 ? [q(0.02), q(0.98)] : [low, high];
}

export function setup() {
  const $ = (id) => document.getElementById(id);
  const el = {
    formula: $("f1-formula"), apply: $("f1-apply"), builtin: $("f1-builtin"), error: $("f1-error"),
    lo: $("f1-lo"), hi: $("f1-hi"), x0: $("f1-x0"), lr: $("f1-lr"), slider: $("f1-lr-slider"),
    step: $("f1-step"), play: $("f1-play"), reset: $("f1-reset"), status: $("f1-status"),
    chart: $("f1-chart"), derivative: $("f1-derivative"), table: $("f1-table").tBodies[0],
    message: $("f1-message"),
  };
  const plot = new Plot(el.chart, { xlabel: "x", ylabel: "f(x)" });
  const state = {
    formula: null,       // the last formula the server accepted
    curve: null,         // {x, f}
    rows: [],            // [{theta, f, df, lr}], row 0 is x0
    segmentStart: 0,     // index of the row where the current rate began
    segmentLr: null,
    finished: false,
    status: "",
    busy: false,
    playing: false,
    lastStepAt: 0,
    glide: null,         // {from, to, started} for the moving point
    generation: 0,       // counts resets, so an answer that comes after one is dropped
  };

  for (const [k, b] of BUILTINS.entries()) {
    const option = document.createElement("option");
    option.value = String(k);
    option.textContent = b.label;
    el.builtin.append(option);
  }

  function showError(message) {
    el.error.textContent = message;
    el.formula.classList.toggle("invalid", Boolean(message));
  }

  async function loadCurve() {
    const text = el.formula.value;
    const lo = readNumber(el.lo), hi = readNumber(el.hi);
    if (lo === null || hi === null || !(lo < hi)) {
      showError("the x range must be two numbers, from < to");
      return false;
    }
    const answer = await api("1d/curve", { formula: text, lo, hi, n: 200 });
    if (!answer.ok) {
      showError(answer.error);
      return false;
    }
    showError("");
    state.formula = text;
    state.curve = answer.data;
    el.derivative.textContent = `f(x) = ${answer.data.expression}    f′(x) = ${answer.data.derivative}`;
    await reset();
    return true;
  }

  function setLr(value) {
    el.lr.value = String(value);
    el.slider.value = String(value);
  }

  async function reset() {
    pause();
    const generation = ++state.generation;
    state.rows = [];
    state.segmentStart = 0;
    state.segmentLr = null;
    state.finished = false;
    state.status = "";
    state.glide = null;
    el.message.textContent = "";
    const x0 = readNumber(el.x0);
    if (state.formula === null || x0 === null) { render(); return; }
    // One step from x0, of which only row 0 is kept: f(x0), f'(x0) for the tangent.
    const lr = readNumber(el.lr, { positive: true }) ?? 0.1;
    const answer = await api("1d/step", { formula: state.formula, theta: x0, lr, steps: 1 });
    if (generation !== state.generation) return;  // reset again meanwhile
    if (!answer.ok) {
      setStatus("failed", answer.error);
    } else {
      const d = answer.data;
      state.rows = [{ theta: d.theta[0], f: d.f[0], df: d.df[0], lr: null }];
      setStatus("", "");
    }
    render();
  }

  function setStatus(word, message) {
    state.status = word;
    el.status.textContent = word ? `status: ${word}` : "";
    el.status.className = `status ${word}`;
    el.message.textContent = message;
  }

  async function nextStep() {
    if (state.busy || state.formula === null) return;
    const lr = readNumber(el.lr, { positive: true });
    if (lr === null) { setStatus("failed", "the learning rate must be a number > 0"); return; }
    if (state.rows.length === 0) { await reset(); if (state.rows.length === 0) return; }
    const last = state.rows[state.rows.length - 1];
    if (!Number.isFinite(last.theta)) return;
    if (lr !== state.segmentLr) {
      // a new rate: a new run of minimize from the current theta
      state.segmentStart = state.rows.length - 1;
      state.segmentLr = lr;
      state.finished = false;
    }
    if (state.finished) { pause(); return; }
    const start = state.rows[state.segmentStart];
    const steps = state.rows.length - state.segmentStart;
    state.busy = true;
    const generation = state.generation;
    const answer = await api("1d/step", { formula: state.formula, theta: start.theta, lr, steps });
    state.busy = false;
    if (generation !== state.generation) return;  // reset meanwhile: this step is void
    if (!answer.ok) { setStatus("failed", answer.error); pause(); return; }
    const d = answer.data;
    const segment = d.theta.map((theta, i) => ({
      theta, f: d.f[i], df: d.df[i], lr: i === 0 ? state.rows[state.segmentStart].lr : lr,
    }));
    const before = state.rows[state.rows.length - 1];
    state.rows = state.rows.slice(0, state.segmentStart).concat(segment);
    // the run stopped before the steps asked for: converged or diverged
    state.finished = d.nit < steps || d.status !== "max_iter";
    setStatus(statusWord(d.status, state.finished), d.message);
    if (state.finished) pause();
    const after = state.rows[state.rows.length - 1];
    if (Number.isFinite(before.theta) && Number.isFinite(after.theta)) {
      state.glide = { from: before.theta, to: after.theta, started: performance.now() };
    }
    render();
  }

  function play() {
    state.playing = true;
    el.play.textContent = "pause";
  }

  function pause() {
    state.playing = false;
    el.play.textContent = "play";
  }

  function renderTable() {
    const body = el.table;
    body.replaceChildren();
    state.rows.forEach((row, k) => {
      const tr = document.createElement("tr");
      const step = document.createElement("td");
      step.textContent = String(k);
      tr.append(step);
      for (const value of [row.theta, row.f, row.df, row.lr]) {
        const td = document.createElement("td");
        showNumber(td, value);
        tr.append(td);
      }
      body.append(tr);
    });
    body.parentElement.parentElement.scrollTop = body.parentElement.parentElement.scrollHeight;
  }

  function curveAt(x) {
    // f between the samples, for the gliding point
    const { x: xs, f } = state.curve;
    const t = ((x - xs[0]) / (xs[xs.length - 1] - xs[0])) * (xs.length - 1);
    const i = Math.max(0, Math.min(xs.length - 2, Math.floor(t)));
    const a = f[i], b = f[i + 1];
    if (a === null || b === null) return null;
    return a + (t - i) * (b - a);
  }

  function draw(now) {
    plot.clear();
    if (!state.curve) { plot.axes(); return; }
    const { x: xs, f } = state.curve;
    const [y0, y1] = yRange(f);
    const pad = 0.08 * (y1 - y0 || 1);
    plot.setWindow(xs[0], xs[xs.length - 1], y0 - pad, y1 + pad);
    plot.axes();
    plot.line(xs, f, { color: "#2563eb", width: 2 });
    const rows = state.rows;
    if (rows.length === 0) return;
    plot.line(rows.map((r) => r.theta), rows.map((r) => r.f), { color: "rgba(230, 25, 75, 0.45)", width: 1, dash: [4, 3] });
    plot.points(rows.map((r) => r.theta), rows.map((r) => r.f), { color: "#e6194b", radius: 3.5 });
    const last = rows[rows.length - 1];
    let x = last.theta, y = last.f;
    if (state.glide) {
      const t = Math.min(1, (now - state.glide.started) / GLIDE_MS);
      if (t < 1) {
        x = state.glide.from + t * (state.glide.to - state.glide.from);
        y = curveAt(x) ?? last.f;
      } else {
        state.glide = null;
      }
    }
    if (!state.glide && Number.isFinite(last.df) && Number.isFinite(last.theta)) {
      // the tangent at the current point: f(θ) + f'(θ)(x - θ)
      const [a, b] = [xs[0], xs[xs.length - 1]];
      plot.line([a, b], [last.f + last.df * (a - last.theta), last.f + last.df * (b - last.theta)],
        { color: "#f58231", width: 1.5 });
    }
    plot.points([x], [y], { color: "#e6194b", radius: 6, stroke: "#fff" });
    if (state.status === "diverged") plot.cross(x, y);
  }

  // the chart is redrawn every animation frame; the table only when rows change
  const render = renderTable;

  function frame(now) {
    if (state.playing && !state.busy && now - state.lastStepAt > PLAY_INTERVAL_MS) {
      state.lastStepAt = now;
      nextStep();
    }
    // a hidden view keeps its state moving but draws nothing
    if (!document.getElementById("view-1d").hidden) draw(now);
    requestAnimationFrame(frame);
  }

  // --- events ---
  el.apply.addEventListener("click", loadCurve);
  el.formula.addEventListener("keydown", (e) => { if (e.key === "Enter") loadCurve(); });
  el.builtin.addEventListener("change", () => {
    const b = BUILTINS[Number(el.builtin.value)];
    el.formula.value = b.formula;
    el.lo.value = String(b.lo);
    el.hi.value = String(b.hi);
    el.x0.value = String(b.x0);
    setLr(b.lr);
    loadCurve();
  });
  for (const box of [el.lo, el.hi]) box.addEventListener("change", () => { if (state.formula !== null) loadCurve(); });
  el.x0.addEventListener("change", reset);
  el.lr.addEventListener("input", () => {
    const lr = readNumber(el.lr, { positive: true });
    if (lr !== null) el.slider.value = String(lr);
  });
  el.slider.addEventListener("input", () => { el.lr.value = el.slider.value; readNumber(el.lr); });
  el.step.addEventListener("click", () => { pause(); nextStep(); });
  el.play.addEventListener("click", () => {
    if (state.playing) { pause(); return; }
    if (state.finished && readNumber(el.lr) === state.segmentLr) return;
    play();
  });
  el.reset.addEventListener("click", reset);
  el.chart.addEventListener("click", (event) => {
    if (!state.curve) return;
    const p = plot.eventToData(event);
    if (!p.inside) return;
    el.x0.value = String(Number(p.x.toFixed(3)));
    reset();
  });

  requestAnimationFrame(frame);
  return { load: loadCurve };
}
