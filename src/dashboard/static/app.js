/* global document, window, fetch, EventSource, setInterval, setTimeout, clearTimeout, location, URLSearchParams */
// The dashboard app: run list, live learning curves, RFM diagnostics, 2-D samples, 3-D replay.
import { Chart, PALETTE, aggregate } from '/app/chart.js';

const $ = (s) => document.querySelector(s);
const enc = encodeURIComponent;

const DIAGNOSTICS = [
  'rfm/ess',
  'rfm/mean_c',
  'loss/critic',
  'loss/actor',
  'q/mean',
  'q/std',
  'temperature',
];
const LABELS = {
  'eval/return': 'return',
  'train/return': 'return (training episodes)',
  'train/episode_return': 'return (training episodes)',
  'rfm/ess': 'ESS (particles)',
  'rfm/mean_c': 'mean c',
  'q/mean': 'Q mean (return units)',
  'q/std': 'Q std (return units)',
};
const label = (k) => LABELS[k] ?? k;

const state = {
  runs: [], // from /api/runs
  selected: new Set(),
  rows: new Map(), // id -> rows
  stream: null, // one EventSource for all selected runs
  colors: new Map(),
  tab: 'curves',
  filter: '',
  initialised: false,
};

const curve = new Chart($('#curve'), { xLabel: 'environment steps', yLabel: 'return' });
const scatter = new Chart($('#scatter'), {
  xLabel: 'x0',
  yLabel: 'x1',
  kind: 'scatter',
  equalAspect: true,
});
const diagCharts = new Map();
let viewer; // created on first use (loads three.js)

function colorOf(id) {
  if (!state.colors.has(id)) state.colors.set(id, PALETTE[state.colors.size % PALETTE.length]);
  return state.colors.get(id);
}

function runLabel(r) {
  return `${r.algo} · ${r.env}${r.seed !== null ? ` · seed ${r.seed}` : ''}`;
}

async function getJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

function shownRuns() {
  const f = state.filter.toLowerCase();
  return state.runs.filter((r) => !f || `${r.id} ${r.algo} ${r.env}`.toLowerCase().includes(f));
}

function renderRunList() {
  const ul = $('#runs');
  ul.textContent = '';
  for (const r of shownRuns()) {
    const li = document.createElement('li');
    li.dataset.run = r.id;
    const cb = document.createElement('input');
    cb.type = 'checkbox';
    cb.checked = state.selected.has(r.id);
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = colorOf(r.id);
    const txt = document.createElement('div');
    const id = document.createElement('div');
    id.className = 'id';
    id.textContent = r.id;
    const meta = document.createElement('div');
    meta.className = 'meta';
    const extras = [];
    if (r.files.some((f) => f.endsWith('.rollout.json'))) extras.push('3-D');
    if (r.files.some((f) => f.endsWith('.samples.json'))) extras.push('samples');
    meta.textContent = runLabel(r) + (extras.length ? `  [${extras.join(', ')}]` : '');
    txt.append(id, meta);
    li.append(cb, sw, txt);
    li.addEventListener('click', (e) => {
      if (e.target !== cb) cb.checked = !cb.checked;
      toggle(r.id, cb.checked);
    });
    ul.append(li);
  }
}

function toggle(id, on) {
  if (on) state.selected.add(id);
  else {
    state.selected.delete(id);
    state.rows.delete(id);
  }
  resubscribe();
  refreshSelectors();
  redraw();
}

// One event stream carries the rows of every selected run (browsers keep only about six
// connections per host open, so one stream per run would starve the other requests).
let streamTimer;
function resubscribe() {
  clearTimeout(streamTimer);
  streamTimer = setTimeout(() => {
    state.stream?.close();
    state.stream = null;
    const ids = [...state.selected].sort();
    if (!ids.length) return;
    const es = new EventSource(`/api/stream?${ids.map((id) => `run=${enc(id)}`).join('&')}`);
    const fresh = new Set(ids); // the stream starts with every row again
    es.addEventListener('reset', (e) => state.rows.set(JSON.parse(e.data).run, []));
    es.addEventListener('rows', (e) => {
      const { run, rows } = JSON.parse(e.data);
      if (!state.selected.has(run)) return;
      if (fresh.has(run)) {
        fresh.delete(run);
        state.rows.set(run, []);
      }
      state.rows.get(run).push(...rows);
      refreshSelectors();
      redraw();
    });
    es.addEventListener('error', () => {
      // the browser reconnects by itself; the new stream resends everything
      for (const id of ids) fresh.add(id);
    });
    state.stream = es;
  }, 50);
}

function selectedRuns() {
  return state.runs.filter((r) => state.selected.has(r.id));
}

function metricKeys() {
  const keys = new Set();
  for (const r of selectedRuns())
    for (const row of state.rows.get(r.id) ?? [])
      for (const k of Object.keys(row)) if (k !== 'step') keys.add(k);
  if (keys.size === 0)
    for (const r of state.runs) for (const k of r.keys) if (k !== 'step') keys.add(k);
  return [...keys].sort();
}

function fillSelect(sel, values, preferred) {
  const cur = sel.value;
  const same =
    sel.options.length === values.length && [...sel.options].every((o, i) => o.value === values[i]);
  if (!same) {
    sel.textContent = '';
    for (const v of values) {
      const o = document.createElement('option');
      o.value = v;
      o.textContent = v.split('\u0000').join(' / ');
      sel.append(o);
    }
  }
  if (values.includes(cur)) sel.value = cur;
  else if (preferred && values.includes(preferred)) sel.value = preferred;
  else if (values.length) sel.value = values[0];
}

function refreshSelectors() {
  fillSelect($('#metric'), metricKeys(), 'eval/return');
  // files of every run, the selected runs' first
  const pick = (suffix) => {
    const list = (runs) =>
      runs.flatMap((r) =>
        r.files.filter((f) => f.endsWith(suffix)).map((f) => `${r.id}\u0000${f}`),
      );
    return [...list(selectedRuns()), ...list(state.runs.filter((r) => !state.selected.has(r.id)))];
  };
  const sBefore = $('#samples-file').value;
  fillSelect($('#samples-file'), pick('.samples.json'));
  if ($('#samples-file').value !== sBefore && state.tab === 'samples') loadSamples();
  const rBefore = $('#rollout-file').value;
  fillSelect($('#rollout-file'), pick('.rollout.json'));
  if ($('#rollout-file').value !== rBefore && state.tab === 'replay') loadRollout();
}

function seriesOf(metric) {
  return selectedRuns()
    .map((r) => {
      const pts = [];
      for (const row of state.rows.get(r.id) ?? [])
        if (Number.isFinite(row.step) && Number.isFinite(row[metric]))
          pts.push([row.step, row[metric]]);
      return { run: r, name: r.id, color: colorOf(r.id), points: pts };
    })
    .filter((s) => s.points.length);
}

function redrawCurves() {
  const metric = $('#metric').value;
  const yl = label(metric);
  let series = seriesOf(metric);
  if ($('#aggregate').checked) {
    const groups = new Map();
    for (const s of series) {
      const k = `${s.run.algo} · ${s.run.env}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(s.points);
    }
    series = [...groups].map(([k, runs], i) => ({
      name: `${k} (${runs.length})`,
      color: PALETTE[i % PALETTE.length],
      ...aggregate(runs),
    }));
    curve.opts.yLabel = `${yl} (IQM, 95% CI)`;
  } else curve.opts.yLabel = yl;
  curve.opts.title = metric;
  curve.set(series);
}

function redrawDiagnostics() {
  const grid = $('#diag-grid');
  const keys = new Set(DIAGNOSTICS);
  for (const k of metricKeys())
    if (/^(rfm|loss|q|grad)\//.test(k) || k === 'temperature' || k.startsWith('alpha')) keys.add(k);
  const present = [...keys].filter((k) => seriesOf(k).length);
  for (const [k, c] of diagCharts)
    if (!present.includes(k)) {
      c.canvas.remove();
      diagCharts.delete(k);
    }
  for (const k of present) {
    if (!diagCharts.has(k)) {
      const cv = document.createElement('canvas');
      cv.className = 'chart small';
      cv.dataset.metric = k;
      grid.append(cv);
      diagCharts.set(k, new Chart(cv, { title: k, xLabel: 'environment steps', yLabel: label(k) }));
    }
    diagCharts.get(k).set(seriesOf(k));
  }
  if (!present.length)
    grid.textContent =
      'No RFM diagnostics in the selected runs (rfm/ess, rfm/mean_c, loss/*, q/*, temperature).';
  else if (grid.firstChild && grid.firstChild.nodeType === 3) grid.firstChild.remove();
}

function redraw() {
  if (state.tab === 'curves') redrawCurves();
  if (state.tab === 'diagnostics') redrawDiagnostics();
}

async function loadSamples() {
  const v = $('#samples-file').value;
  if (!v) return scatter.set([]);
  const [id, name] = v.split('\u0000');
  const s = await getJson(`/api/runs/${enc(id)}/files/${enc(name)}`);
  scatter.opts.title = s.title ?? name;
  scatter.opts.xLabel = s.xLabel ?? 'x0';
  scatter.opts.yLabel = s.yLabel ?? 'x1';
  scatter.opts.range = s.range;
  scatter.set(
    s.sets.map((set, i) => ({
      name: `${set.name} (${set.points.length / 2})`,
      color: set.color ?? PALETTE[i % PALETTE.length],
      points: Array.from({ length: set.points.length / 2 }, (_, k) => [
        set.points[2 * k],
        set.points[2 * k + 1],
      ]),
    })),
  );
}

async function loadRollout() {
  const v = $('#rollout-file').value;
  if (!v) return;
  const [id, name] = v.split('\u0000');
  $('#rollout-info').textContent = 'loading MuJoCo…';
  try {
    if (!viewer) {
      const { RolloutViewer } = await import('/app/viewer.js');
      viewer = new RolloutViewer($('#viewer'));
      window.rfmViewer = viewer; // for debugging from the console
    }
    const rec = await getJson(`/api/runs/${enc(id)}/files/${enc(name)}`);
    await viewer.load(rec);
    // a later choice may have been made meanwhile: its own load reports
    if ($('#rollout-file').value !== v) return;
    $('#rollout-info').textContent =
      `${rec.env}: ${rec.steps} steps, return ${Number(rec.return).toFixed(1)}`;
  } catch (e) {
    $('#rollout-info').textContent = `could not load: ${e.message ?? e}`;
    throw e;
  }
}

function setTab(tab) {
  state.tab = tab;
  for (const b of document.querySelectorAll('#tabs button'))
    b.classList.toggle('active', b.dataset.tab === tab);
  for (const t of document.querySelectorAll('.tab'))
    t.classList.toggle('hidden', t.id !== `tab-${tab}`);
  if (tab === 'samples') loadSamples();
  if (tab === 'replay') loadRollout();
  redraw();
}

async function refreshRuns() {
  try {
    const j = await getJson('/api/runs');
    state.runs = j.runs;
    $('#root').textContent = `runs: ${j.root}`;
    $('#status').textContent = `${j.runs.length} run(s)`;
    if (!state.initialised) {
      state.initialised = true;
      // start with the first few runs that have metrics selected
      for (const r of j.runs.filter((r) => r.keys.length).slice(0, 6)) state.selected.add(r.id);
      resubscribe();
    }
    for (const id of [...state.selected]) if (!j.runs.some((r) => r.id === id)) toggle(id, false);
    renderRunList();
    refreshSelectors();
    redraw();
  } catch (e) {
    $('#status').textContent = `server unreachable (${e.message})`;
  }
}

$('#filter').addEventListener('input', (e) => {
  state.filter = e.target.value;
  renderRunList();
});
$('#select-all').addEventListener('change', (e) => {
  for (const r of shownRuns())
    if (state.selected.has(r.id) !== e.target.checked) toggle(r.id, e.target.checked);
  renderRunList();
});
$('#metric').addEventListener('change', redraw);
$('#aggregate').addEventListener('change', redraw);
$('#samples-file').addEventListener('change', loadSamples);
$('#rollout-file').addEventListener('change', loadRollout);
for (const b of document.querySelectorAll('#tabs button'))
  b.addEventListener('click', () => setTab(b.dataset.tab));

const initialTab = new URLSearchParams(location.search).get('tab');
await refreshRuns();
if (initialTab) setTab(initialTab);
setInterval(refreshRuns, 5000);
