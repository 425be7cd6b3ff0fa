/* global window, document, Worker, Blob, URL, URLSearchParams, Option, performance, requestAnimationFrame, setTimeout */
// The demo page: controls, live learning curve, the policy's episodes (3-D for MuJoCo tasks through
// the dashboard's RolloutViewer, a drawn pendulum for Pendulum-v1), the RFM action distribution,
// and Download / Load of checkpoints. Training runs in ./worker.js (src/demo/worker.ts); the page
// only draws, so it stays responsive. Message types: src/demo/protocol.ts.

import { RolloutViewer } from '../../dashboard/static/viewer.js';
import { Chart } from '../../dashboard/static/chart.js';

const TASKS = ['Pendulum-v1', 'InvertedPendulum-v5', 'HalfCheetah-v5', 'cartpole-swingup'];
const $ = (s) => document.querySelector(s);

const params = new URLSearchParams(window.location.search);
const state = {
  running: false,
  paused: false,
  rows: [],
  evalPoints: [],
  trainPoints: [],
  firstUpdates: null,
  lastEpisode: null,
  loaded: null,
  viewer: null,
  pendulumTimer: 0,
};
// read by the browser tests
window.rfmDemo = state;

for (const t of TASKS) $('#task').append(new Option(t, t));
if (params.get('task')) $('#task').value = params.get('task');
if (params.get('algo')) $('#algo').value = params.get('algo');
for (const k of ['seed', 'steps', 'every', 'backend'])
  if (params.get(k)) $(`#${k}`).value = params.get(k);

const curve = new Chart($('#curve'), { xLabel: 'environment steps', yLabel: 'return' });
const samplesChart = new Chart($('#samples'), {
  xLabel: 'action[0]',
  yLabel: 'action[1]',
  kind: 'scatter',
  equalAspect: true,
  range: [
    [-1.05, 1.05],
    [-1.05, 1.05],
  ],
});
curve.set([]);
samplesChart.set([]);

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onerror = (e) => say(`worker failed: ${e.message}`, true);

// steps and evaluation cadence: the CLI's for the chosen task and algorithm (`rfm config show
// --preset small`), asked of the worker, unless the address or the user set them
const edited = new Set(['steps', 'every'].filter((k) => params.get(k)));
for (const k of ['steps', 'every']) $(`#${k}`).addEventListener('input', () => edited.add(k));
function askDefaults() {
  worker.postMessage({
    type: 'defaults',
    envId: $('#task').value,
    algo: $('#algo').value,
    sets: params.getAll('set'),
  });
}
$('#task').addEventListener('change', askDefaults);
$('#algo').addEventListener('change', askDefaults);
askDefaults();

function say(text, error = false) {
  const m = $('#message');
  m.textContent = text;
  m.classList.toggle('error', error);
}

function drawCurve() {
  const series = [];
  if (state.trainPoints.length)
    series.push({ name: 'training episodes', color: '#aab6c2', points: state.trainPoints });
  if (state.evalPoints.length)
    series.push({ name: 'evaluation', color: '#1f77b4', points: state.evalPoints });
  curve.set(series);
}

function setButtons() {
  $('#train').textContent = !state.running ? 'Train' : state.paused ? 'Resume' : 'Pause';
  $('#train').dataset.state = !state.running ? 'idle' : state.paused ? 'paused' : 'running';
  $('#stop').disabled = !state.running;
  for (const id of ['#task', '#algo', '#seed', '#steps', '#every']) $(id).disabled = state.running;
}

$('#train').addEventListener('click', () => {
  if (!state.running) {
    state.rows = [];
    state.evalPoints = [];
    state.trainPoints = [];
    state.firstUpdates = null;
    state.done = null;
    drawCurve();
    samplesChart.set([]);
    const sets = params.getAll('set');
    // an empty field: the CLI's value for the task (the worker resolves it)
    const given = (id) => ($(id).value === '' ? undefined : Number($(id).value));
    worker.postMessage({
      type: 'start',
      envId: $('#task').value,
      algo: $('#algo').value,
      seed: Number($('#seed').value),
      steps: given('#steps'),
      evalEvery: given('#every'),
      sets,
      backend: $('#backend').value,
    });
    state.running = true;
    state.paused = false;
    say('starting (loading MuJoCo and building the agent)');
  } else {
    state.paused = !state.paused;
    worker.postMessage({ type: state.paused ? 'pause' : 'resume' });
    say(state.paused ? 'paused' : 'training');
  }
  setButtons();
});

$('#stop').addEventListener('click', () => {
  worker.postMessage({ type: 'stop' });
  say('stopping after the current step');
});

$('#download').addEventListener('click', () => worker.postMessage({ type: 'download' }));

$('#load').addEventListener('change', async (e) => {
  const files = [...e.target.files];
  if (!files.length) return;
  const payload = await Promise.all(
    files.map(async (f) => ({ name: f.name, data: new Uint8Array(await f.arrayBuffer()) })),
  );
  worker.postMessage(
    { type: 'load', files: payload },
    payload.map((f) => f.data.buffer),
  );
  say(`loading ${files.map((f) => f.name).join(', ')}`);
  e.target.value = '';
});

function showEpisode(m) {
  state.lastEpisode = { step: m.step, source: m.source, return: m.return };
  $('#episode-note').textContent =
    `${m.source === 'loaded' ? 'loaded checkpoint' : 'policy'} at step ${m.step}: episode return ${m.return.toFixed(2)}`;
  $('#episode-note').dataset.return = String(m.return);
  if (m.rollout) {
    $('#pendulum').classList.add('hidden');
    $('#viewer').classList.remove('hidden');
    if (!state.viewer) state.viewer = new RolloutViewer($('#viewer'));
    const rec = JSON.parse(m.rollout);
    state.viewer
      .load(rec)
      .then(() => state.viewer.play())
      .catch((err) => say(`3-D view: ${err.message}`, true));
  } else if (m.angles) {
    $('#viewer').classList.add('hidden');
    $('#pendulum').classList.remove('hidden');
    playPendulum(m.angles, m.dt ?? 0.05);
  }
}

/** A pendulum (angle 0 = upright) drawn frame by frame. */
function playPendulum(angles, dt) {
  const c = $('#pendulum');
  const token = ++state.pendulumTimer;
  const t0 = performance.now();
  const frame = (now) => {
    if (token !== state.pendulumTimer) return;
    const k = Math.min(angles.length - 1, Math.floor((now - t0) / 1000 / dt));
    const dpr = window.devicePixelRatio || 1;
    const W = c.clientWidth || 400;
    const H = c.clientHeight || 320;
    c.width = Math.round(W * dpr);
    c.height = Math.round(H * dpr);
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, W, H);
    const cx = W / 2,
      cy = H / 2,
      L = Math.min(W, H) * 0.38;
    const th = angles[k];
    const x = cx + L * Math.sin(th),
      y = cy - L * Math.cos(th);
    g.strokeStyle = '#d8894c';
    g.lineWidth = 12;
    g.lineCap = 'round';
    g.beginPath();
    g.moveTo(cx, cy);
    g.lineTo(x, y);
    g.stroke();
    g.fillStyle = '#1f2a36';
    g.beginPath();
    g.arc(cx, cy, 6, 0, 2 * Math.PI);
    g.fill();
    g.fillStyle = '#778';
    g.fillText(`t = ${(k * dt).toFixed(2)} s`, 8, 16);
    c.dataset.frame = String(k);
    if (k < angles.length - 1) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

function showSamples(m) {
  const pts = [];
  for (let i = 0; i < m.points.length / 2; i++)
    pts.push([m.points[2 * i], m.actDim > 1 ? m.points[2 * i + 1] : (i % 40) / 40 - 0.5]);
  $('#samples-note').textContent =
    m.actDim > 1
      ? `${pts.length} actions sampled from the flow policy at step ${m.step} (first state of the episode).`
      : `${pts.length} actions sampled from the flow policy at step ${m.step}; 1-D actions, spread vertically for visibility.`;
  samplesChart.set([{ name: 'sampled actions', color: '#d62728', points: pts }]);
  $('#samples').dataset.samples = String(pts.length);
}

function saveFile(name, data) {
  const url = URL.createObjectURL(new Blob([data], { type: 'application/x-tar' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

worker.onmessage = (e) => {
  const m = e.data;
  switch (m.type) {
    case 'started':
      $('#total').textContent = String(m.steps);
      say(
        `training ${m.algo} on ${m.envId} (seed ${m.seed}; ${m.obsDim}-D observations, ${m.actDim}-D actions)`,
      );
      break;
    case 'defaults':
      if (m.envId !== $('#task').value || m.algo !== $('#algo').value) break;
      if (!edited.has('steps')) $('#steps').value = String(m.steps);
      if (!edited.has('every')) $('#every').value = String(m.evalEvery);
      $('#steps').dataset.config = String(m.steps);
      $('#every').dataset.config = String(m.evalEvery);
      break;
    case 'progress':
      $('#step').textContent = String(m.step);
      $('#total').textContent = String(m.total);
      $('#sps').textContent = m.sps.toFixed(1);
      $('#ups').textContent = m.ups.toFixed(1);
      $('#sps').dataset.value = String(m.sps);
      $('#ups').dataset.value = String(m.ups);
      break;
    case 'row':
      state.rows.push(m.row);
      if ('eval/return' in m.row) {
        state.evalPoints.push([m.row.step, m.row['eval/return']]);
        $('#eval-return').textContent = m.row['eval/return'].toFixed(2);
        $('#eval-return').dataset.value = String(m.row['eval/return']);
        $('#eval-return').dataset.step = String(m.row.step);
      }
      if ('train/episode_return' in m.row)
        state.trainPoints.push([m.row.step, m.row['train/episode_return']]);
      drawCurve();
      break;
    case 'first-updates':
      state.firstUpdates = m.metrics;
      break;
    case 'checkpoint':
      $('#ckpt').textContent =
        `step ${m.step}` +
        (m.evalReturn === null ? '' : ` (eval return ${m.evalReturn.toFixed(2)})`);
      $('#ckpt').dataset.step = String(m.step);
      $('#ckpt').dataset.evalReturn = m.evalReturn === null ? '' : String(m.evalReturn);
      $('#download').disabled = false;
      break;
    case 'episode':
      showEpisode(m);
      break;
    case 'samples':
      showSamples(m);
      break;
    case 'paused':
    case 'resumed':
      $('#train').dataset.ack = m.type;
      break;
    case 'download':
      saveFile(m.name, m.data);
      break;
    case 'loaded':
      state.loaded = m;
      say(
        `loaded ${m.algo} on ${m.envId} at step ${m.step}: episode return ${m.return.toFixed(2)}`,
      );
      break;
    case 'done':
      state.running = false;
      state.paused = false;
      state.done = m;
      setButtons();
      say(
        `${m.interrupted ? 'stopped' : 'finished'} at step ${m.step}` +
          (m.lastEval === null ? '' : `; last evaluation return ${m.lastEval.toFixed(2)}`),
      );
      document.body.dataset.done = 'true';
      break;
    case 'error':
      say(m.message, true);
      if (m.ended) {
        state.running = false;
        state.paused = false;
        setButtons();
      }
      break;
  }
};

setButtons();
document.body.dataset.ready = 'true';
