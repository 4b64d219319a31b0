// A 3-D wireframe of a grid (z[j][i] over xs[i], ys[j]) with paths on it, drawn by
// hand on a canvas: turned about the vertical axis (azimuth), seen from above at a
// fixed elevation. Heights use the contour's log scale, so valleys stay visible.

const ELEVATION = 0.55;   // radians above the horizon
const LINES = 36;         // wireframe lines per side at most

export class Surface3D {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.azimuth = -0.7;
    let dragging = null;
    canvas.addEventListener("mousedown", (e) => { dragging = { x: e.clientX, azimuth: this.azimuth }; });
    window.addEventListener("mouseup", () => { dragging = null; });
    window.addEventListener("mousemove", (e) => {
      if (dragging) this.azimuth = dragging.azimuth + (e.clientX - dragging.x) * 0.01;
    });
  }

  _project(u, v, h) {
    const a = this.azimuth, e = ELEVATION;
    const xr = u * Math.cos(a) - v * Math.sin(a);
    const yr = u * Math.sin(a) + v * Math.cos(a);
    const s = Math.min(this.width, this.height) * 0.36;
    return [this.width / 2 + s * xr, this.height * 0.55 - s * (yr * Math.sin(e) + (h - 0.5) * 1.3 * Math.cos(e))];
  }

  /** grid: a ContourGrid with its z; paths: [{x: [], y: [], color}] in data units. */
  draw(grid, z, area, paths) {
    const ratio = window.devicePixelRatio || 1;
    this.width = Math.max(50, this.canvas.clientWidth);
    this.height = Math.max(50, this.canvas.clientHeight);
    this.canvas.width = Math.round(this.width * ratio);
    this.canvas.height = Math.round(this.height * ratio);
    const c = this.ctx;
    c.setTransform(ratio, 0, 0, ratio, 0, 0);
    c.clearRect(0, 0, this.width, this.height);
    if (!grid) return;
    const [x0, x1, y0, y1] = area;
    const u = (x) => (2 * (x - x0)) / (x1 - x0) - 1;
    const v = (y) => (2 * (y - y0)) / (y1 - y0) - 1;
    const h = (value) => (value === null || !Number.isFinite(value) ? null : Math.min(1, grid.scale(value) / grid.top));
    const n = grid.xs.length, m = grid.ys.length;
    const every = Math.max(1, Math.ceil(Math.max(n, m) / LINES));
    c.lineWidth = 0.7;
    const strokeLine = (points) => {
      c.beginPath();
      let open = false;
      for (const p of points) {
        if (p === null) { open = false; continue; }
        if (open) c.lineTo(...p); else c.moveTo(...p);
        open = true;
      }
      c.stroke();
    };
    c.strokeStyle = "rgba(37, 99, 235, 0.55)";
    for (let j = 0; j < m; j += every) {
      strokeLine(grid.xs.map((x, i) => { const hz = h(z[j][i]); return hz === null ? null : this._project(u(x), v(grid.ys[j]), hz); }));
    }
    for (let i = 0; i < n; i += every) {
      strokeLine(grid.ys.map((y, j) => { const hz = h(z[j][i]); return hz === null ? null : this._project(u(grid.xs[i]), v(y), hz); }));
    }
    c.lineWidth = 2.2;
    for (const path of paths) {
      c.strokeStyle = path.color;
      const inside = (k) => path.x[k] >= x0 && path.x[k] <= x1 && path.y[k] >= y0 && path.y[k] <= y1;
      strokeLine(path.x.map((x, k) => {
        const hz = h(path.loss[k]);
        return hz === null || !inside(k) ? null : this._project(u(x), v(path.y[k]), hz);
      }));
    }
    c.fillStyle = "#3b4450";
    c.font = "12px system-ui, sans-serif";
    c.fillText("3-D surface (log height) · drag to turn", 8, 16);
  }
}
