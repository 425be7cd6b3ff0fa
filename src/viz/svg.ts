/**
 * A small SVG chart writer with no dependencies: line charts (linear or log-10 y axis) and scatter
 * plots, each with axes, tick labels, axis titles (units go in the title text, e.g. "t (path
 * time)"), and a legend; `panels` lays several charts out in a grid inside one SVG document.
 *
 * Every function returns a string. Series names and titles are XML-escaped. Each series is drawn
 * inside a <g class="series" data-name="..."> so that tests (and people) can find it.
 */

export interface Series {
  name: string;
  /** [x, y] pairs; non-finite points (and y <= 0 on a log axis) are skipped. */
  points: readonly (readonly [number, number])[];
  color?: string;
  /** Line charts: dash pattern (SVG stroke-dasharray), e.g. '4 2'. */
  dash?: string;
  /** Line charts: a shaded band [x, low, high] drawn under the line (e.g. a confidence interval). */
  band?: readonly (readonly [number, number, number])[];
  /** Line charts: draw a marker at each point (default true). */
  markers?: boolean;
}

export interface ChartOptions {
  title?: string;
  xLabel: string;
  yLabel: string;
  /** Base-10 logarithmic y axis. */
  logY?: boolean;
  width?: number;
  height?: number;
  /** Axis ranges; by default the data's range (with a margin; log axes round to decades). */
  xRange?: [number, number];
  yRange?: [number, number];
  /** Scatter plots: same scale on both axes. */
  equalAspect?: boolean;
}

const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
];

export function escapeXml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A number printed compactly (enough digits for a tick label). */
function num(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  // up to 3 significant digits, so neighbouring ticks (1.5e4, 2e4) stay distinct
  if (a >= 1e4 || a < 1e-3) return Number(v.toPrecision(3)).toExponential().replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

/** Coordinates in the SVG, rounded to 0.01 px. */
function px(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** "Nice" linear ticks covering [lo, hi] (about `count` of them). */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

interface Frame {
  x0: number;
  y0: number;
  w: number;
  h: number;
  sx: (x: number) => number;
  sy: (y: number) => number;
  xr: [number, number];
  yr: [number, number];
}

function dataRange(vals: number[], log: boolean): [number, number] {
  const v = vals.filter((x) => Number.isFinite(x) && (!log || x > 0));
  if (v.length === 0) return log ? [0.1, 10] : [0, 1];
  let lo = Math.min(...v);
  let hi = Math.max(...v);
  if (log)
    return [
      10 ** Math.floor(Math.log10(lo)),
      10 ** Math.ceil(Math.log10(hi) + (hi === lo ? 1e-9 : 0)),
    ];
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const m = 0.05 * (hi - lo);
  return [lo - m, hi + m];
}

function frameFor(
  series: readonly Series[],
  o: ChartOptions,
  width: number,
  height: number,
): Frame {
  const xs = series.flatMap((s) => [
    ...s.points.map((p) => p[0]),
    ...(s.band ?? []).map((b) => b[0]),
  ]);
  const ys = series.flatMap((s) => [
    ...s.points.map((p) => p[1]),
    ...(s.band ?? []).flatMap((b) => [b[1], b[2]]),
  ]);
  let xr = o.xRange ?? dataRange(xs, false);
  let yr = o.yRange ?? dataRange(ys, o.logY ?? false);
  const x0 = 70;
  const y0 = o.title ? 34 : 16;
  const w = width - x0 - 20;
  const h = height - y0 - 52;
  if (o.equalAspect && !o.logY) {
    // widen the narrower range so one data unit is the same length on both axes
    const per = Math.max((xr[1] - xr[0]) / w, (yr[1] - yr[0]) / h);
    const cx = (xr[0] + xr[1]) / 2;
    const cy = (yr[0] + yr[1]) / 2;
    xr = [cx - (per * w) / 2, cx + (per * w) / 2];
    yr = [cy - (per * h) / 2, cy + (per * h) / 2];
  }
  const ly = (y: number) => (o.logY ? Math.log10(y) : y);
  const [ya, yb] = [ly(yr[0]), ly(yr[1])];
  return {
    x0,
    y0,
    w,
    h,
    xr,
    yr,
    sx: (x) => x0 + ((x - xr[0]) / (xr[1] - xr[0])) * w,
    sy: (y) => y0 + h - ((ly(y) - ya) / (yb - ya)) * h,
  };
}

function axes(f: Frame, o: ChartOptions, width: number, height: number): string {
  const parts: string[] = [];
  parts.push(
    `<rect x="${px(f.x0)}" y="${px(f.y0)}" width="${px(f.w)}" height="${px(f.h)}" fill="none" stroke="#333" stroke-width="1"/>`,
  );
  for (const x of linearTicks(f.xr[0], f.xr[1])) {
    const X = f.sx(x);
    parts.push(
      `<line x1="${px(X)}" y1="${px(f.y0 + f.h)}" x2="${px(X)}" y2="${px(f.y0 + f.h + 5)}" stroke="#333"/>`,
    );
    parts.push(
      `<text x="${px(X)}" y="${px(f.y0 + f.h + 18)}" text-anchor="middle" font-size="11">${num(x)}</text>`,
    );
  }
  let yticks: number[];
  if (o.logY) {
    yticks = [];
    const a = Math.floor(Math.log10(f.yr[0]) + 1e-9);
    const b = Math.ceil(Math.log10(f.yr[1]) - 1e-9);
    const stride = Math.max(1, Math.ceil((b - a) / 8));
    for (let e = a; e <= b; e += stride) yticks.push(10 ** e);
  } else yticks = linearTicks(f.yr[0], f.yr[1]);
  for (const y of yticks) {
    const Y = f.sy(y);
    parts.push(
      `<line x1="${px(f.x0 - 5)}" y1="${px(Y)}" x2="${px(f.x0)}" y2="${px(Y)}" stroke="#333"/>`,
    );
    parts.push(
      `<line x1="${px(f.x0)}" y1="${px(Y)}" x2="${px(f.x0 + f.w)}" y2="${px(Y)}" stroke="#ddd" stroke-width="0.5"/>`,
    );
    const label = o.logY ? `1e${Math.round(Math.log10(y))}` : num(y);
    parts.push(
      `<text x="${px(f.x0 - 8)}" y="${px(Y + 4)}" text-anchor="end" font-size="11">${label}</text>`,
    );
  }
  parts.push(
    `<text x="${px(f.x0 + f.w / 2)}" y="${px(height - 10)}" text-anchor="middle" font-size="12" class="x-label">${escapeXml(o.xLabel)}</text>`,
  );
  const yl = o.logY ? `${o.yLabel} (log scale)` : o.yLabel;
  parts.push(
    `<text x="14" y="${px(f.y0 + f.h / 2)}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${px(f.y0 + f.h / 2)})" class="y-label">${escapeXml(yl)}</text>`,
  );
  if (o.title)
    parts.push(
      `<text x="${px(width / 2)}" y="20" text-anchor="middle" font-size="14" font-weight="bold" class="title">${escapeXml(o.title)}</text>`,
    );
  return parts.join('\n');
}

function legend(series: readonly Series[], f: Frame, kind: 'line' | 'dot'): string {
  const parts = ['<g class="legend">'];
  const lw = 14 + Math.max(...series.map((s) => s.name.length)) * 6.5;
  const lh = series.length * 16 + 6;
  // the top corner (right first) whose box hides the fewest data points
  const corners = [f.x0 + f.w - lw - 8, f.x0 + 12].map((cx) => {
    let n = 0;
    for (const s of series)
      for (const p of s.points) {
        const X = f.sx(p[0]);
        const Y = f.sy(p[1]);
        if (X >= cx - 10 && X <= cx + lw + 10 && Y >= f.y0 && Y <= f.y0 + lh + 10) n++;
      }
    return { cx, n };
  });
  const x = corners[1].n < corners[0].n ? corners[1].cx : corners[0].cx;
  parts.push(
    `<rect x="${px(x - 4)}" y="${px(f.y0 + 4)}" width="${px(lw + 8)}" height="${px(lh)}" fill="white" fill-opacity="0.85" stroke="#999" stroke-width="0.5"/>`,
  );
  series.forEach((s, i) => {
    const y = f.y0 + 14 + i * 16;
    const c = s.color ?? PALETTE[i % PALETTE.length];
    if (kind === 'line')
      parts.push(
        `<line x1="${px(x)}" y1="${px(y - 4)}" x2="${px(x + 12)}" y2="${px(y - 4)}" stroke="${c}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`,
      );
    else parts.push(`<circle cx="${px(x + 6)}" cy="${px(y - 4)}" r="3" fill="${c}"/>`);
    parts.push(`<text x="${px(x + 16)}" y="${px(y)}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  parts.push('</g>');
  return parts.join('\n');
}

function wrap(body: string, width: number, height: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">\n<rect width="${width}" height="${height}" fill="white"/>\n${body}\n</svg>\n`;
}

function usable(p: readonly [number, number], logY: boolean): boolean {
  return Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!logY || p[1] > 0);
}

/** A line chart with markers at the data points. */
export function lineChart(series: readonly Series[], o: ChartOptions): string {
  const width = o.width ?? 520;
  const height = o.height ?? 360;
  const logY = o.logY ?? false;
  const clean = series.map((s) => ({
    ...s,
    points: s.points.filter((p) => usable(p, logY)),
    band: s.band?.filter((b) => usable([b[0], b[1]], logY) && usable([b[0], b[2]], logY)),
  }));
  const f = frameFor(clean, o, width, height);
  const parts = [axes(f, o, width, height)];
  clean.forEach((s, i) => {
    const c = s.color ?? PALETTE[i % PALETTE.length];
    if (s.band && s.band.length > 1) {
      const upper = s.band.map((b) => `${px(f.sx(b[0]))},${px(f.sy(b[2]))}`);
      const lower = s.band.map((b) => `${px(f.sx(b[0]))},${px(f.sy(b[1]))}`).reverse();
      parts.push(
        `<polygon class="band" data-name="${escapeXml(s.name)}" fill="${c}" fill-opacity="0.2" stroke="none" points="${[...upper, ...lower].join(' ')}"/>`,
      );
    }
  });
  clean.forEach((s, i) => {
    const c = s.color ?? PALETTE[i % PALETTE.length];
    const pts = s.points.map((p) => `${px(f.sx(p[0]))},${px(f.sy(p[1]))}`);
    parts.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (pts.length > 1)
      parts.push(
        `<polyline fill="none" stroke="${c}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''} points="${pts.join(' ')}"/>`,
      );
    if (s.markers !== false || pts.length === 1)
      for (const p of s.points)
        parts.push(`<circle cx="${px(f.sx(p[0]))}" cy="${px(f.sy(p[1]))}" r="3" fill="${c}"/>`);
    parts.push('</g>');
  });
  if (clean.length) parts.push(legend(clean, f, 'line'));
  return wrap(parts.join('\n'), width, height);
}

/** A scatter plot (points outside the axis ranges are dropped). */
export function scatterChart(
  series: readonly Series[],
  o: ChartOptions & { radius?: number; opacity?: number },
): string {
  const width = o.width ?? 480;
  const height = o.height ?? 480;
  const clean = series.map((s) => ({ ...s, points: s.points.filter((p) => usable(p, false)) }));
  const f = frameFor(clean, { ...o, logY: false }, width, height);
  const parts = [axes(f, { ...o, logY: false }, width, height)];
  const r = o.radius ?? 1.6;
  const op = o.opacity ?? 0.5;
  clean.forEach((s, i) => {
    const c = s.color ?? PALETTE[i % PALETTE.length];
    parts.push(
      `<g class="series" data-name="${escapeXml(s.name)}" fill="${c}" fill-opacity="${op}">`,
    );
    for (const p of s.points) {
      if (p[0] < f.xr[0] || p[0] > f.xr[1] || p[1] < f.yr[0] || p[1] > f.yr[1]) continue;
      parts.push(`<circle cx="${px(f.sx(p[0]))}" cy="${px(f.sy(p[1]))}" r="${r}"/>`);
    }
    parts.push('</g>');
  });
  if (clean.length) parts.push(legend(clean, f, 'dot'));
  return wrap(parts.join('\n'), width, height);
}

/** Places complete SVG documents (from lineChart / scatterChart) in a grid, `cols` per row. */
export function panels(charts: readonly string[], cols: number, title?: string): string {
  const sizes = charts.map((c) => {
    const m = /<svg[^>]*width="([\d.]+)"[^>]*height="([\d.]+)"/.exec(c);
    return m ? [Number(m[1]), Number(m[2])] : [520, 360];
  });
  const cw = Math.max(...sizes.map((s) => s[0]));
  const ch = Math.max(...sizes.map((s) => s[1]));
  const top = title ? 30 : 0;
  const rows = Math.ceil(charts.length / cols);
  const width = cw * Math.min(cols, charts.length);
  const height = top + ch * rows;
  const parts: string[] = [];
  if (title)
    parts.push(
      `<text x="${px(width / 2)}" y="20" text-anchor="middle" font-size="15" font-weight="bold" class="title">${escapeXml(title)}</text>`,
    );
  charts.forEach((c, i) => {
    const inner = c
      .replace(
        /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/,
        `<svg x="${(i % cols) * cw}" y="${top + Math.floor(i / cols) * ch}"`,
      )
      .trimEnd();
    parts.push(inner);
  });
  return wrap(parts.join('\n'), width, height);
}
