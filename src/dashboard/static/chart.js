/* global window */
// Canvas charts for the dashboard: line charts (with optional shaded bands) and scatter plots,
// redrawn whole on every update. Each chart keeps the number of series and points it drew in
// data-series / data-points attributes of its canvas (read by the browser tests).

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function fmt(v) {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1).replace('e+', 'e');
  if (a >= 1000) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

function range(vals, pad = 0.05) {
  const v = vals.filter(Number.isFinite);
  if (v.length === 0) return [0, 1];
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const m = pad * (hi - lo);
  return [lo - m, hi + m];
}

export class Chart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{title?: string, xLabel: string, yLabel: string, kind?: 'line'|'scatter', equalAspect?: boolean, range?: number[][]}} opts
   */
  constructor(canvas, opts) {
    this.canvas = canvas;
    this.opts = { kind: 'line', ...opts };
    this.series = [];
  }

  /** series: [{name, color, points: [[x, y], ...], band?: [[x, lo, hi], ...]}] */
  set(series) {
    this.series = series;
    this.draw();
  }

  draw() {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const W = c.clientWidth || 480;
    const H = c.clientHeight || 300;
    if (c.width !== Math.round(W * dpr) || c.height !== Math.round(H * dpr)) {
      c.width = Math.round(W * dpr);
      c.height = Math.round(H * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, W, H);
    const o = this.opts;
    const x0 = 62;
    const y0 = o.title ? 26 : 10;
    const w = W - x0 - 12;
    const h = H - y0 - 44;
    const all = this.series;
    const xs = all.flatMap((s) =>
      s.points.map((p) => p[0]).concat((s.band ?? []).map((b) => b[0])),
    );
    const ys = all.flatMap((s) =>
      s.points.map((p) => p[1]).concat((s.band ?? []).flatMap((b) => [b[1], b[2]])),
    );
    let xr = o.range ? o.range[0] : range(xs, o.kind === 'scatter' ? 0.05 : 0.02);
    let yr = o.range ? o.range[1] : range(ys);
    if (o.equalAspect) {
      const per = Math.max((xr[1] - xr[0]) / w, (yr[1] - yr[0]) / h);
      const cx = (xr[0] + xr[1]) / 2;
      const cy = (yr[0] + yr[1]) / 2;
      xr = [cx - (per * w) / 2, cx + (per * w) / 2];
      yr = [cy - (per * h) / 2, cy + (per * h) / 2];
    }
    const sx = (x) => x0 + ((x - xr[0]) / (xr[1] - xr[0])) * w;
    const sy = (y) => y0 + h - ((y - yr[0]) / (yr[1] - yr[0])) * h;
    // axes and grid
    g.font = '11px sans-serif';
    g.strokeStyle = '#e3e3e3';
    g.fillStyle = '#333';
    g.lineWidth = 1;
    g.textAlign = 'center';
    for (const x of niceTicks(xr[0], xr[1])) {
      g.beginPath();
      g.moveTo(sx(x), y0);
      g.lineTo(sx(x), y0 + h);
      g.stroke();
      g.fillText(fmt(x), sx(x), y0 + h + 14);
    }
    g.textAlign = 'right';
    for (const y of niceTicks(yr[0], yr[1])) {
      g.beginPath();
      g.moveTo(x0, sy(y));
      g.lineTo(x0 + w, sy(y));
      g.stroke();
      g.fillText(fmt(y), x0 - 5, sy(y) + 4);
    }
    g.strokeStyle = '#555';
    g.strokeRect(x0, y0, w, h);
    g.textAlign = 'center';
    g.font = '12px sans-serif';
    g.fillText(o.xLabel, x0 + w / 2, H - 8);
    g.save();
    g.translate(13, y0 + h / 2);
    g.rotate(-Math.PI / 2);
    g.fillText(o.yLabel, 0, 0);
    g.restore();
    if (o.title) {
      g.font = 'bold 13px sans-serif';
      g.fillText(o.title, x0 + w / 2, 17);
    }
    // data, clipped to the frame
    g.save();
    g.beginPath();
    g.rect(x0, y0, w, h);
    g.clip();
    let points = 0;
    const order =
      o.kind === 'scatter'
        ? [...all.keys()].sort((a, b) => all[b].points.length - all[a].points.length)
        : [...all.keys()];
    order.forEach((i) => {
      const s = all[i];
      const col = s.color ?? PALETTE[i % PALETTE.length];
      if (s.band && s.band.length > 1) {
        g.globalAlpha = 0.18;
        g.fillStyle = col;
        g.beginPath();
        s.band.forEach((b, k) => (k ? g.lineTo(sx(b[0]), sy(b[2])) : g.moveTo(sx(b[0]), sy(b[2]))));
        for (let k = s.band.length - 1; k >= 0; k--) g.lineTo(sx(s.band[k][0]), sy(s.band[k][1]));
        g.closePath();
        g.fill();
        g.globalAlpha = 1;
      }
      if (o.kind === 'scatter') {
        // small sets (reference points such as a task's optimal actions) are drawn large and solid
        const few = s.points.length < 50;
        const r = few ? 5 : 1.2;
        g.fillStyle = col;
        g.globalAlpha = few ? 0.95 : 0.45;
        for (const p of s.points) g.fillRect(sx(p[0]) - r, sy(p[1]) - r, 2 * r, 2 * r);
        g.globalAlpha = 1;
      } else {
        g.strokeStyle = col;
        g.lineWidth = 1.8;
        g.beginPath();
        s.points.forEach((p, k) =>
          k ? g.lineTo(sx(p[0]), sy(p[1])) : g.moveTo(sx(p[0]), sy(p[1])),
        );
        g.stroke();
        if (s.points.length < 60) {
          g.fillStyle = col;
          for (const p of s.points) {
            g.beginPath();
            g.arc(sx(p[0]), sy(p[1]), 2.2, 0, 2 * Math.PI);
            g.fill();
          }
        }
      }
      points += s.points.length;
    });
    g.restore();
    // legend
    if (all.length) {
      g.font = '11px sans-serif';
      const lw = 22 + Math.max(...all.map((s) => g.measureText(s.name).width));
      const lh = all.length * 15 + 6;
      // the corner whose box covers the fewest data points
      const corners = [
        [x0 + w - lw - 6, y0 + 4],
        [x0 + 10, y0 + 4],
        [x0 + w - lw - 6, y0 + h - lh - 4],
        [x0 + 10, y0 + h - lh - 4],
      ];
      const covered = ([cx, cy]) => {
        let n = 0;
        for (const s of all)
          for (const p of s.points) {
            const X = sx(p[0]);
            const Y = sy(p[1]);
            if (X >= cx - 8 && X <= cx + lw + 8 && Y >= cy - 8 && Y <= cy + lh + 8) n++;
          }
        return n;
      };
      const counts = corners.map(covered);
      const [lx, top] = corners[counts.indexOf(Math.min(...counts))];
      g.fillStyle = 'rgba(255,255,255,0.85)';
      g.fillRect(lx - 4, top, lw + 6, lh);
      g.textAlign = 'left';
      all.forEach((s, i) => {
        const y = top + 12 + i * 15;
        g.fillStyle = s.color ?? PALETTE[i % PALETTE.length];
        g.fillRect(lx, y - 6, 14, 4);
        g.fillStyle = '#222';
        g.fillText(s.name, lx + 18, y);
      });
    }
    c.dataset.series = String(all.length);
    c.dataset.points = String(points);
  }
}

// ---- statistics (as src/viz/stats.ts: IQM, percentile bootstrap over runs) ----

export function iqm(xs) {
  const n = xs.length;
  if (!n) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const cut = Math.floor(n / 4);
  let sum = 0;
  for (let i = cut; i < n - cut; i++) sum += s[i];
  return sum / (n - 2 * cut);
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (pos - lo) * (s[hi] - s[lo]);
}

/** runs: list of [[step, value], ...]; returns {points, band} of the IQM with a 95% bootstrap band. */
export function aggregate(runs, resamples = 500) {
  const steps = [...new Set(runs.flatMap((r) => r.map((p) => p[0])))].sort((a, b) => a - b);
  const vals = runs.map((r) => {
    const pts = [...r].sort((a, b) => a[0] - b[0]);
    let k = 0;
    return steps.map((s) => {
      if (!pts.length || s < pts[0][0] || s > pts[pts.length - 1][0]) return NaN;
      while (k + 1 < pts.length && pts[k + 1][0] <= s) k++;
      const [xa, ya] = pts[k];
      if (xa === s || k + 1 >= pts.length) return ya;
      const [xb, yb] = pts[k + 1];
      return ya + ((s - xa) / (xb - xa)) * (yb - ya);
    });
  });
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
  const n = runs.length;
  const boot = steps.map(() => []);
  for (let b = 0; b < resamples; b++) {
    const idx = Array.from({ length: n }, () => Math.floor(rand() * n));
    steps.forEach((_, j) => {
      const col = idx.map((i) => vals[i][j]).filter(Number.isFinite);
      if (col.length) boot[j].push(iqm(col));
    });
  }
  const points = [];
  const band = [];
  steps.forEach((s, j) => {
    const col = vals.map((v) => v[j]).filter(Number.isFinite);
    if (col.length) points.push([s, iqm(col)]);
    if (boot[j].length) band.push([s, quantile(boot[j], 0.025), quantile(boot[j], 0.975)]);
  });
  return { points, band };
}
