// A small canvas plotting kit: a data window mapped onto a canvas with axes, lines,
// points, and a filled contour (colour map + iso-lines) of a grid.

export const COLORS = ["#e6194b", "#2563eb", "#f58231", "#16a34a", "#911eb4", "#0891b2", "#b45309", "#db2777"];

/** About n "nice" tick values (1, 2, 5 times a power of ten) in [lo, hi]. */
export function ticks(lo, hi, n = 6) {
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return [lo];
  const raw = span / n;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => span / s <= n) ?? 10 * power;
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  }
  return out;
}

function tickLabel(t) {
  const a = Math.abs(t);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return t.toExponential(1);
  return String(Number(t.toPrecision(6)));
}

export class Plot {
  constructor(canvas, { xlabel = "", ylabel = "", margin = null } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.xlabel = xlabel;
    this.ylabel = ylabel;
    this.margin = margin ?? { left: 58, right: 14, top: 14, bottom: 40 };
    this.window = [0, 1, 0, 1];
    this.logY = false;
    this.resize();
  }

  /** Match the canvas' pixels to its CSS size (sharp on high-DPI screens). */
  resize() {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(50, this.canvas.clientWidth);
    const height = Math.max(50, this.canvas.clientHeight);
    if (this.canvas.width !== Math.round(width * ratio) || this.canvas.height !== Math.round(height * ratio)) {
      this.canvas.width = Math.round(width * ratio);
      this.canvas.height = Math.round(height * ratio);
    }
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this.width = width;
    this.height = height;
  }

  setWindow(x0, x1, y0, y1) {
    if (!(x1 > x0)) { x0 -= 0.5; x1 += 0.5; }
    if (!(y1 > y0)) { y0 -= 0.5; y1 += 0.5; }
    this.window = [x0, x1, y0, y1];
  }

  get inner() {
    const m = this.margin;
    return { left: m.left, top: m.top, width: this.width - m.left - m.right, height: this.height - m.top - m.bottom };
  }

  _y(y) { return this.logY ? Math.log10(y) : y; }

  px(x) { const [x0, x1] = this.window; const r = this.inner; return r.left + ((x - x0) / (x1 - x0)) * r.width; }
  py(y) { const [, , y0, y1] = this.window; const r = this.inner; return r.top + (1 - (this._y(y) - y0) / (y1 - y0)) * r.height; }
  dataX(px) { const [x0, x1] = this.window; const r = this.inner; return x0 + ((px - r.left) / r.width) * (x1 - x0); }
  dataY(py) { const [, , y0, y1] = this.window; const r = this.inner; return y0 + (1 - (py - r.top) / r.height) * (y1 - y0); }

  /** The data point under a mouse event, and whether it is inside the plot area. */
  eventToData(event) {
    const box = this.canvas.getBoundingClientRect();
    const px = event.clientX - box.left, py = event.clientY - box.top;
    const r = this.inner;
    const inside = px >= r.left && px <= r.left + r.width && py >= r.top && py <= r.top + r.height;
    return { x: this.dataX(px), y: this.dataY(py), px, py, inside };
  }

  clear() {
    this.resize();
    this.ctx.clearRect(0, 0, this.width, this.height);
  }

  clip(draw) {
    const r = this.inner, c = this.ctx;
    c.save();
    c.beginPath();
    c.rect(r.left, r.top, r.width, r.height);
    c.clip();
    draw(c);
    c.restore();
  }

  axes() {
    const c = this.ctx, r = this.inner, [x0, x1, y0, y1] = this.window;
    c.save();
    c.strokeStyle = "#9aa4ae";
    c.lineWidth = 1;
    c.strokeRect(r.left, r.top, r.width, r.height);
    c.fillStyle = "#3b4450";
    c.font = "11px system-ui, sans-serif";
    c.textAlign = "center";
    c.textBaseline = "top";
    for (const t of ticks(x0, x1)) {
      const x = this.px(t);
      c.beginPath(); c.moveTo(x, r.top + r.height); c.lineTo(x, r.top + r.height + 4); c.stroke();
      c.fillText(tickLabel(t), x, r.top + r.height + 6);
    }
    c.textAlign = "right";
    c.textBaseline = "middle";
    for (const t of ticks(y0, y1)) {
      const y = r.top + (1 - (t - y0) / (y1 - y0)) * r.height;
      c.beginPath(); c.moveTo(r.left - 4, y); c.lineTo(r.left, y); c.stroke();
      c.fillText(this.logY ? `1e${tickLabel(t)}` : tickLabel(t), r.left - 6, y);
    }
    c.textAlign = "center";
    c.textBaseline = "bottom";
    c.font = "12px system-ui, sans-serif";
    c.fillText(this.xlabel, r.left + r.width / 2, this.height - 2);
    c.save();
    c.translate(12, r.top + r.height / 2);
    c.rotate(-Math.PI / 2);
    c.textBaseline = "middle";
    c.fillText(this.ylabel, 0, 0);
    c.restore();
    c.restore();
  }

  /** A polyline through (xs[i], ys[i]); null or non-finite values break it. */
  line(xs, ys, { color = "#1d232b", width = 1.5, dash = [] } = {}) {
    this.clip((c) => {
      c.strokeStyle = color;
      c.lineWidth = width;
      c.setLineDash(dash);
      c.beginPath();
      let open = false;
      for (let i = 0; i < xs.length; i++) {
        const ok = Number.isFinite(xs[i]) && Number.isFinite(ys[i]) && (!this.logY || ys[i] > 0);
        if (!ok) { open = false; continue; }
        const x = this.px(xs[i]), y = this.py(ys[i]);
        // far-off points are clamped so the canvas path stays finite
        const cx = Math.max(-1e5, Math.min(1e5, x)), cy = Math.max(-1e5, Math.min(1e5, y));
        if (open) c.lineTo(cx, cy); else c.moveTo(cx, cy);
        open = true;
      }
      c.stroke();
    });
  }

  points(xs, ys, { color = "#1d232b", radius = 3, stroke = null } = {}) {
    this.clip((c) => {
      c.fillStyle = color;
      for (let i = 0; i < xs.length; i++) {
        if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) continue;
        c.beginPath();
        c.arc(this.px(xs[i]), this.py(ys[i]), radius, 0, 2 * Math.PI);
        c.fill();
        if (stroke) { c.strokeStyle = stroke; c.lineWidth = 1; c.stroke(); }
      }
    });
  }

  cross(x, y, { color = "#b42318", size = 7 } = {}) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    this.clip((c) => {
      const px = this.px(x), py = this.py(y);
      c.strokeStyle = color;
      c.lineWidth = 2.5;
      c.beginPath();
      c.moveTo(px - size, py - size); c.lineTo(px + size, py + size);
      c.moveTo(px + size, py - size); c.lineTo(px - size, py + size);
      c.stroke();
    });
  }

  /** A line of text at the top left of the plot area. */
  caption(label) {
    const c = this.ctx, r = this.inner;
    c.save();
    c.fillStyle = "#1d232b";
    c.font = "12px system-ui, sans-serif";
    c.textAlign = "left";
    c.textBaseline = "top";
    c.fillText(label, r.left + 6, r.top + 6);
    c.restore();
  }

  text(x, y, label, { color = "#1d232b", align = "left" } = {}) {
    this.clip((c) => {
      c.fillStyle = color;
      c.font = "12px system-ui, sans-serif";
      c.textAlign = align;
      c.fillText(label, this.px(x) + 6, this.py(y) - 6);
    });
  }
}

// --- filled contours -------------------------------------------------------------

const MAP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

function colour(t) {
  const s = Math.max(0, Math.min(1, t)) * (MAP.length - 1);
  const i = Math.min(MAP.length - 2, Math.floor(s)), f = s - i;
  return MAP[i].map((a, k) => Math.round(a + f * (MAP[i + 1][k] - a)));
}

/** A grid z[j][i] over xs[i], ys[j] prepared once for drawing at any zoom: a colour
 * image (log-scaled heights, so valleys show) and iso-line segments in data units. */
export class ContourGrid {
  constructor(xs, ys, z, levels = 14) {
    this.xs = xs; this.ys = ys;
    const values = z.flat().filter((v) => v !== null && Number.isFinite(v));
    this.zmin = values.length ? Math.min(...values) : 0;
    this.zmax = values.length ? Math.max(...values) : 1;
    const scale = (v) => Math.log1p(Math.max(0, v - this.zmin));
    this.scale = scale;
    const top = scale(this.zmax) || 1;
    this.top = top;
    const n = xs.length, m = ys.length;
    this.image = document.createElement("canvas");
    this.image.width = n; this.image.height = m;
    const ictx = this.image.getContext("2d");
    const img = ictx.createImageData(n, m);
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < n; i++) {
        const v = z[j][i], k = 4 * ((m - 1 - j) * n + i);
        if (v === null || !Number.isFinite(v)) { img.data[k + 3] = 0; continue; }
        const [r, g, b] = colour(scale(v) / top);
        img.data[k] = r; img.data[k + 1] = g; img.data[k + 2] = b; img.data[k + 3] = 255;
      }
    }
    ictx.putImageData(img, 0, 0);
    this.segments = [];
    for (let l = 1; l <= levels; l++) {
      const level = Math.expm1((top * l) / (levels + 1)) + this.zmin;
      this._march(z, level);
    }
  }

  /** Marching squares at one level: segments [x0, y0, x1, y1] in data units. */
  _march(z, level) {
    const xs = this.xs, ys = this.ys;
    const at = (i, j, i2, j2) => {
      const a = z[j][i], b = z[j2][i2], t = (level - a) / (b - a);
      return [xs[i] + t * (xs[i2] - xs[i]), ys[j] + t * (ys[j2] - ys[j])];
    };
    for (let j = 0; j + 1 < ys.length; j++) {
      for (let i = 0; i + 1 < xs.length; i++) {
        const c = [z[j][i], z[j][i + 1], z[j + 1][i + 1], z[j + 1][i]];
        if (c.some((v) => v === null || !Number.isFinite(v))) continue;
        const crossings = [];
        const edges = [[i, j, i + 1, j], [i + 1, j, i + 1, j + 1], [i + 1, j + 1, i, j + 1], [i, j + 1, i, j]];
        for (let e = 0; e < 4; e++) {
          const a = c[e], b = c[(e + 1) % 4];
          if ((a < level) !== (b < level)) crossings.push(at(...edges[e]));
        }
        for (let k = 0; k + 1 < crossings.length; k += 2) {
          this.segments.push([...crossings[k], ...crossings[k + 1]]);
        }
      }
    }
  }

  /** Draw on the plot. The views redraw every animation frame, so the contour is
   * painted once per window and canvas size into a layer that is then only copied. */
  draw(plot) {
    const ratio = window.devicePixelRatio || 1;
    const key = [...plot.window, plot.width, plot.height, ratio].join(",");
    if (this.layerKey !== key) {
      this.layer = document.createElement("canvas");
      this.layer.width = Math.round(plot.width * ratio);
      this.layer.height = Math.round(plot.height * ratio);
      const ctx = this.layer.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      this._paint(plot, ctx);
      this.layerKey = key;
    }
    plot.ctx.save();
    plot.ctx.setTransform(1, 0, 0, 1, 0, 0);
    plot.ctx.drawImage(this.layer, 0, 0);
    plot.ctx.restore();
  }

  _paint(plot, c) {
    const xs = this.xs, ys = this.ys;
    const dx = (xs[xs.length - 1] - xs[0]) / (xs.length - 1) / 2;
    const dy = (ys[ys.length - 1] - ys[0]) / (ys.length - 1) / 2;
    const r = plot.inner;
    c.save();
    c.beginPath();
    c.rect(r.left, r.top, r.width, r.height);
    c.clip();
    const left = plot.px(xs[0] - dx), right = plot.px(xs[xs.length - 1] + dx);
    const top = plot.py(ys[ys.length - 1] + dy), bottom = plot.py(ys[0] - dy);
    c.imageSmoothingEnabled = true;
    c.globalAlpha = 0.85;
    c.drawImage(this.image, left, top, right - left, bottom - top);
    c.globalAlpha = 1;
    c.strokeStyle = "rgba(255, 255, 255, 0.55)";
    c.lineWidth = 0.8;
    c.beginPath();
    for (const [x0, y0, x1, y1] of this.segments) {
      c.moveTo(plot.px(x0), plot.py(y0));
      c.lineTo(plot.px(x1), plot.py(y1));
    }
    c.stroke();
    c.restore();
  }
}
