// The linear-regression view: points generated (n, noise) or clicked in; GD, SGD
// (with a batch size) or momentum fit y = w x + b epoch by epoch on the server
// (fastgd.fit_least_squares from (w0, b0)), next to the analytic line
// (fastgd.normal_equations); beside it the loss J(w, b) = mean((w x + b - y)^2) as a
// contour with the (w, b) path. Each next epoch asks for a fit of k+1 epochs from
// (w0, b0) with the same seed, so the path shown is exactly that fit's.

import { api } from "./api.js";
import { ContourGrid, Plot } from "./chart.js";
import { readNumber, showNumber } from "./format.js";

const X_RANGE = [-3, 3];
const MAX_EPOCHS = 2000;
const PLAY_INTERVAL_MS = 250;

export function setup() {
  const $ = (id) => document.getElementById(id);
  const el = {
    n: $("rg-n"), noise: $("rg-noise"), seed: $("rg-seed"), generate: $("rg-generate"), clear: $("rg-clear"),
    method: $("rg-method"), lr: $("rg-lr"), slider: $("rg-lr-slider"), batch: $("rg-batch"),
    momentum: $("rg-momentum"), w0: $("rg-w0"), b0: $("rg-b0"),
    step: $("rg-step"), play: $("rg-play"), reset: $("rg-reset"), error: $("rg-error"), message: $("rg-message"),
    epoch: $("rg-epoch"), w: $("rg-w"), b: $("rg-b"), J: $("rg-J"),
    wStar: $("rg-w-star"), bStar: $("rg-b-star"), JStar: $("rg-J-star"),
    data: $("rg-data"), contour: $("rg-contour"),
  };
  const dataPlot = new Plot(el.data, { xlabel: "x", ylabel: "y" });
  const lossPlot = new Plot(el.contour, { xlabel: "w (slope)", ylabel: "b (intercept)" });
  const state = {
    points: { x: [], y: [] },
    fit: null,         // the last fit answer: w, b, loss paths, analytic
    k: 0,              // epochs shown
    grid: null, lossWindow: [-1, 1, -1, 1], gridToken: 0,
    pending: 0, playing: false, lastStepAt: 0, fitToken: 0,
  };

  function syncMethod() {
    for (const label of document.querySelectorAll("#view-regression .sgd-only")) label.hidden = el.method.value !== "sgd";
    for (const label of document.querySelectorAll("#view-regression .momentum-only")) label.hidden = el.method.value !== "momentum";
  }

  function request(epochs) {
    const lr = readNumber(el.lr, { positive: true });
    const w0 = readNumber(el.w0), b0 = readNumber(el.b0);
    const seed = readNumber(el.seed, { integer: true });
    if (lr === null || w0 === null || b0 === null || seed === null) return { error: "the learning rate, w0, b0 and seed must be numbers (lr > 0)" };
    const body = { x: state.points.x, y: state.points.y, method: el.method.value, lr, epochs, w0, b0, seed };
    if (el.method.value === "sgd") {
      const batch = readNumber(el.batch, { positive: true, integer: true });
      if (batch === null) return { error: "the batch size must be an integer >= 1" };
      body.batch_size = batch;
    }
    if (el.method.value === "momentum") {
      const momentum = readNumber(el.momentum);
      if (momentum === null) return { error: "the momentum must be a number in [0, 0.999]" };
      body.momentum = momentum;
    }
    return { body };
  }

  function setPending(change) {
    state.pending += change;
    $("view-regression").dataset.pending = String(state.pending);
  }

  async function fit(epochs) {
    if (state.points.x.length < 2) { el.error.textContent = "give at least 2 points (generate them, or click in the chart)"; return false; }
    const { body, error } = request(epochs);
    if (error) { el.error.textContent = error; return false; }
    // fits in flight: the view's data-pending says how many (a next epoch waits for 0)
    const token = ++state.fitToken;
    setPending(+1);
    const answer = await api("regression/fit", body);
    setPending(-1);
    if (token !== state.fitToken) return false;  // a newer fit was asked for meanwhile
    if (!answer.ok) { el.error.textContent = answer.error; pause(); return false; }
    el.error.textContent = "";
    state.fit = answer.data;
    el.message.textContent = answer.data.message;
    return true;
  }

  /** Epoch 0 and the analytic line for the current points and settings. */
  async function restart() {
    pause();
    state.k = 0;
    state.fit = null;
    if (await fit(1)) {
      state.k = 0;
      el.message.textContent = "";
      await loadLossGrid();
    }
    renderReadout();
  }

  async function nextEpoch() {
    if (state.pending > 0) return;
    if (!state.fit) { await restart(); if (!state.fit) return; }
    if (state.k >= MAX_EPOCHS) { pause(); return; }
    if (await fit(state.k + 1)) state.k += 1;
    renderReadout();
  }

  function pause() { state.playing = false; el.play.textContent = "play"; }

  function renderReadout() {
    const f = state.fit;
    el.epoch.textContent = f ? String(state.k) : "";
    showNumber(el.w, f ? f.w[state.k] : null);
    showNumber(el.b, f ? f.b[state.k] : null);
    showNumber(el.J, f ? f.loss[state.k] : null);
    showNumber(el.wStar, f ? f.analytic.w : null);
    showNumber(el.bStar, f ? f.analytic.b : null);
    showNumber(el.JStar, f ? meanSquare(f.analytic.w, f.analytic.b) : null);
  }

  function meanSquare(w, b) {
    const { x, y } = state.points;
    let total = 0;
    for (let i = 0; i < x.length; i++) total += (w * x[i] + b - y[i]) ** 2;
    return total / x.length;
  }

  async function loadLossGrid() {
    const f = state.fit;
    if (!f) return;
    const { w: ws, b: bs } = f.analytic;
    const w0 = readNumber(el.w0) ?? ws, b0 = readNumber(el.b0) ?? bs;
    const half = Math.max(2, 1.3 * Math.abs(w0 - ws), 1.3 * Math.abs(b0 - bs));
    state.lossWindow = [ws - half, ws + half, bs - half, bs + half];
    const token = ++state.gridToken;
    const answer = await api("regression/loss", { x: state.points.x, y: state.points.y, window: state.lossWindow, n: 90 });
    if (token !== state.gridToken) return;
    if (!answer.ok) { el.error.textContent = answer.error; return; }
    state.grid = new ContourGrid(answer.data.w, answer.data.b, answer.data.z);
  }

  async function generate() {
    const n = readNumber(el.n, { positive: true, integer: true });
    const noise = readNumber(el.noise);
    const seed = readNumber(el.seed, { integer: true });
    if (n === null || noise === null || seed === null) { el.error.textContent = "n, noise and seed must be numbers"; return; }
    const answer = await api("regression/generate", { n, noise, seed });
    if (!answer.ok) { el.error.textContent = answer.error; return; }
    state.points = { x: answer.data.x, y: answer.data.y };
    await restart();
  }

  function draw() {
    const { x, y } = state.points;
    let [y0, y1] = [-6, 6];
    for (const v of y) { y0 = Math.min(y0, v - 0.5); y1 = Math.max(y1, v + 0.5); }
    dataPlot.clear();
    dataPlot.setWindow(X_RANGE[0], X_RANGE[1], y0, y1);
    dataPlot.axes();
    dataPlot.points(x, y, { color: "#2563eb", radius: 3.5 });
    const f = state.fit;
    if (f) {
      const line = (w, b, style) => dataPlot.line(X_RANGE, X_RANGE.map((t) => w * t + b), style);
      line(f.analytic.w, f.analytic.b, { color: "#1d232b", width: 1.5, dash: [6, 4] });
      if (f.w[state.k] !== null && f.b[state.k] !== null) line(f.w[state.k], f.b[state.k], { color: "#e6194b", width: 2.5 });
      dataPlot.caption(`${el.method.value} (red), epoch ${state.k}; analytic (dashed)`);
    }
    lossPlot.clear();
    lossPlot.setWindow(...state.lossWindow);
    if (state.grid) state.grid.draw(lossPlot);
    lossPlot.axes();
    if (f) {
      const ws = f.w.slice(0, state.k + 1), bs = f.b.slice(0, state.k + 1);
      lossPlot.line(ws, bs, { color: "#e6194b", width: 2 });
      lossPlot.points(ws, bs, { color: "#e6194b", radius: 2.5 });
      lossPlot.points([f.w[0]], [f.b[0]], { color: "#fff", radius: 5, stroke: "#1d232b" });
      lossPlot.points([f.analytic.w], [f.analytic.b], { color: "#1d232b", radius: 4.5, stroke: "#fff" });
    }
  }

  function frame(now) {
    if (state.playing && state.pending === 0 && now - state.lastStepAt > PLAY_INTERVAL_MS) {
      state.lastStepAt = now;
      nextEpoch();
    }
    // a hidden view keeps its state moving but draws nothing
    if (!document.getElementById("view-regression").hidden) draw();
    requestAnimationFrame(frame);
  }

  // --- events ---
  el.generate.addEventListener("click", generate);
  el.clear.addEventListener("click", () => { state.points = { x: [], y: [] }; state.fit = null; state.grid = null; state.k = 0; renderReadout(); });
  el.method.addEventListener("change", () => { syncMethod(); restart(); });
  for (const box of [el.batch, el.momentum, el.w0, el.b0, el.seed]) box.addEventListener("change", restart);
  el.lr.addEventListener("change", () => {
    const lr = readNumber(el.lr, { positive: true });
    if (lr !== null) el.slider.value = String(lr);
    restart();
  });
  el.slider.addEventListener("input", () => { el.lr.value = el.slider.value; readNumber(el.lr); restart(); });
  el.step.addEventListener("click", () => { pause(); nextEpoch(); });
  el.play.addEventListener("click", () => {
    if (state.playing) { pause(); return; }
    state.playing = true;
    el.play.textContent = "pause";
  });
  el.reset.addEventListener("click", restart);
  el.data.addEventListener("click", (e) => {
    const p = dataPlot.eventToData(e);
    if (!p.inside) return;
    state.points = { x: [...state.points.x, Number(p.x.toFixed(3))], y: [...state.points.y, Number(p.y.toFixed(3))] };
    if (state.points.x.length >= 2) restart(); else draw();
  });
  el.contour.addEventListener("click", (e) => {
    const p = lossPlot.eventToData(e);
    if (!p.inside) return;
    el.w0.value = String(Number(p.x.toFixed(3)));
    el.b0.value = String(Number(p.y.toFixed(3)));
    restart();
  });

  async function load() {
    syncMethod();
    await generate();
    requestAnimationFrame(frame);
  }
  return { load };
}
