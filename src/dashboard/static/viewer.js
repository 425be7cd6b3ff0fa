/* global window, document, performance, requestAnimationFrame, cancelAnimationFrame, ResizeObserver, atob */
// 3-D replay of a recorded MuJoCo rollout (*.rollout.json, see src/viz/rollout-record.ts): the
// MuJoCo wasm module compiles the recording's MJCF in the browser; for each frame the recorded
// qpos is written and mj_kinematics places the geoms, which three.js draws.

import * as THREE from 'three';

let mujocoPromise;
function loadMujoco() {
  if (!mujocoPromise)
    mujocoPromise = import('/vendor/mujoco/mujoco_wasm.js').then((m) => m.default());
  return mujocoPromise;
}

function b64floats(s) {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer, 0, bytes.length >> 2);
}

// MuJoCo geom types (mjtGeom)
const PLANE = 0,
  SPHERE = 2,
  CAPSULE = 3,
  ELLIPSOID = 4,
  CYLINDER = 5,
  BOX = 6;

function checkerTexture() {
  const c = document.createElement('canvas');
  c.width = c.height = 64;
  const g = c.getContext('2d');
  g.fillStyle = '#c9d3dc';
  g.fillRect(0, 0, 64, 64);
  g.fillStyle = '#aab6c2';
  g.fillRect(0, 0, 32, 32);
  g.fillRect(32, 32, 32, 32);
  const t = new THREE.CanvasTexture(c);
  t.wrapS = t.wrapT = THREE.RepeatWrapping;
  t.magFilter = THREE.NearestFilter;
  return t;
}

function geomMesh(type, size, rgba) {
  let geo;
  const [a, b, c] = size;
  switch (type) {
    case PLANE: {
      const w = a > 0 ? 2 * a : 40;
      const h = b > 0 ? 2 * b : 40;
      geo = new THREE.PlaneGeometry(w, h);
      const tex = checkerTexture();
      tex.repeat.set(w / 2, h / 2);
      return new THREE.Mesh(geo, new THREE.MeshStandardMaterial({ map: tex, roughness: 0.9 }));
    }
    case SPHERE:
      geo = new THREE.SphereGeometry(a, 24, 16);
      break;
    case ELLIPSOID:
      geo = new THREE.SphereGeometry(1, 24, 16);
      geo.scale(a, b, c);
      break;
    case CAPSULE:
      geo = new THREE.CapsuleGeometry(a, 2 * b, 8, 16);
      geo.rotateX(Math.PI / 2); // three's capsule runs along y, MuJoCo's along z
      break;
    case CYLINDER:
      geo = new THREE.CylinderGeometry(a, a, 2 * b, 24);
      geo.rotateX(Math.PI / 2);
      break;
    case BOX:
      geo = new THREE.BoxGeometry(2 * a, 2 * b, 2 * c);
      break;
    default:
      return null; // heightfields and meshes are not drawn
  }
  const mat = new THREE.MeshStandardMaterial({
    color: new THREE.Color(rgba[0], rgba[1], rgba[2]),
    transparent: rgba[3] < 1,
    opacity: rgba[3],
    roughness: 0.6,
    metalness: 0.1,
  });
  return new THREE.Mesh(geo, mat);
}

export class RolloutViewer {
  /** @param {HTMLElement} host  element that receives the canvas and the controls */
  constructor(host) {
    this.host = host;
    this.renderer = new THREE.WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(window.devicePixelRatio || 1);
    this.canvas = this.renderer.domElement;
    this.canvas.className = 'viewer-canvas';
    host.querySelector('.viewer-stage').appendChild(this.canvas);
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color('#eef2f6');
    this.camera = new THREE.PerspectiveCamera(45, 1, 0.01, 200);
    this.camera.up.set(0, 0, 1);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x667788, 1.2));
    const sun = new THREE.DirectionalLight(0xffffff, 1.6);
    sun.position.set(3, -4, 6);
    this.scene.add(sun);
    this.meshes = [];
    this.frame = 0;
    this.playing = false;
    this.speed = 1;
    this.slider = host.querySelector('.viewer-scrub');
    this.playBtn = host.querySelector('.viewer-play');
    this.label = host.querySelector('.viewer-label');
    this.speedSel = host.querySelector('.viewer-speed');
    this.playBtn.addEventListener('click', () => (this.playing ? this.pause() : this.play()));
    this.slider.addEventListener('input', () => {
      this.pause();
      this.show(Number(this.slider.value));
    });
    this.speedSel.addEventListener('change', () => (this.speed = Number(this.speedSel.value)));
    this.azimuth = -Math.PI / 2;
    this.elevation = 0.35;
    this.distance = 3;
    this.installOrbit();
    new ResizeObserver(() => this.resize()).observe(this.canvas.parentElement);
    this.resize();
  }

  installOrbit() {
    let drag = null;
    this.canvas.addEventListener('pointerdown', (e) => (drag = { x: e.clientX, y: e.clientY }));
    window.addEventListener('pointerup', () => (drag = null));
    window.addEventListener('pointermove', (e) => {
      if (!drag) return;
      this.azimuth -= (e.clientX - drag.x) * 0.01;
      this.elevation = Math.max(-0.2, Math.min(1.5, this.elevation + (e.clientY - drag.y) * 0.01));
      drag = { x: e.clientX, y: e.clientY };
      this.render();
    });
    this.canvas.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        this.distance = Math.max(0.3, Math.min(40, this.distance * Math.exp(e.deltaY * 0.001)));
        this.render();
      },
      { passive: false },
    );
  }

  resize() {
    const p = this.canvas.parentElement;
    const w = p.clientWidth || 640;
    const h = p.clientHeight || 400;
    this.renderer.setSize(w, h, false);
    this.canvas.style.width = w + 'px';
    this.canvas.style.height = h + 'px';
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  /** Loads a parsed rollout JSON object and shows its first frame. Loads run one after another, in call order. */
  load(rec) {
    this.queue = (this.queue ?? Promise.resolve()).catch(() => {}).then(() => this.loadNow(rec));
    return this.queue;
  }

  async loadNow(rec) {
    this.pause();
    this.dispose();
    const mj = await loadMujoco();
    this.mj = mj;
    try {
      mj.FS.mkdir('/rollouts');
    } catch {
      // exists
    }
    const path = `/rollouts/${String(rec.model).replace(/[^A-Za-z0-9_.-]/g, '_')}.xml`;
    mj.FS.writeFile(path, rec.xml);
    this.model = mj.MjModel.loadFromXML(path);
    this.data = new mj.MjData(this.model);
    this.rec = rec;
    this.nq = rec.nq;
    this.qpos = b64floats(rec.qpos);
    this.frames = this.qpos.length / rec.nq;
    this.dt = rec.dt;
    const m = this.model;
    const types = m.geom_type;
    const sizes = m.geom_size;
    const rgbas = m.geom_rgba;
    const matids = m.geom_matid;
    const matRgba = m.mat_rgba;
    const groups = m.geom_group;
    for (let i = 0; i < m.ngeom; i++) {
      let rgba = [rgbas[4 * i], rgbas[4 * i + 1], rgbas[4 * i + 2], rgbas[4 * i + 3]];
      const mid = matids ? matids[i] : -1;
      if (mid >= 0 && matRgba)
        rgba = [matRgba[4 * mid], matRgba[4 * mid + 1], matRgba[4 * mid + 2], matRgba[4 * mid + 3]];
      // MuJoCo's default grey would vanish against the floor: draw bodies in a warm tone instead
      else if (types[i] !== PLANE && rgba[0] === 0.5 && rgba[1] === 0.5 && rgba[2] === 0.5)
        rgba = [0.85, 0.55, 0.3, rgba[3]];
      const mesh =
        rgba[3] > 0 && groups[i] < 3
          ? geomMesh(types[i], [sizes[3 * i], sizes[3 * i + 1], sizes[3 * i + 2]], rgba)
          : null;
      if (mesh) {
        mesh.matrixAutoUpdate = false;
        this.scene.add(mesh);
      }
      this.meshes.push(mesh);
    }
    this.slider.max = String(this.frames - 1);
    this.slider.disabled = false;
    this.playBtn.disabled = false;
    this.show(0);
    this.host.dataset.ready = 'true';
  }

  dispose() {
    for (const m of this.meshes) {
      if (!m) continue;
      this.scene.remove(m);
      m.geometry.dispose();
      m.material.map?.dispose();
      m.material.dispose();
    }
    this.meshes = [];
    this.data?.delete();
    this.model?.delete();
    this.data = this.model = undefined;
    this.host.dataset.ready = 'false';
  }

  /** Places the geoms at frame k and draws. */
  show(k) {
    if (!this.model) return;
    this.frame = Math.max(0, Math.min(this.frames - 1, Math.round(k)));
    const q = this.data.qpos;
    q.set(this.qpos.subarray(this.frame * this.nq, (this.frame + 1) * this.nq));
    this.mj.mj_kinematics(this.model, this.data);
    const xpos = this.data.geom_xpos;
    const xmat = this.data.geom_xmat;
    const mat = new THREE.Matrix4();
    this.meshes.forEach((mesh, i) => {
      if (!mesh) return;
      const r = xmat.subarray(9 * i, 9 * i + 9);
      mat.set(
        r[0],
        r[1],
        r[2],
        xpos[3 * i],
        r[3],
        r[4],
        r[5],
        xpos[3 * i + 1],
        r[6],
        r[7],
        r[8],
        xpos[3 * i + 2],
        0,
        0,
        0,
        1,
      );
      mesh.matrix.copy(mat);
      mesh.matrixWorldNeedsUpdate = true;
    });
    // follow the first body below the world
    const bx = this.model.nbody > 1 ? this.data.xpos.subarray(3, 6) : [0, 0, 0];
    this.target = new THREE.Vector3(bx[0], bx[1], Math.max(0.3, bx[2] * 0.7));
    this.slider.value = String(this.frame);
    const t = (this.frame * this.dt).toFixed(2);
    this.label.textContent = `frame ${this.frame} / ${this.frames - 1}  (t = ${t} s)`;
    this.host.dataset.frame = String(this.frame);
    this.render();
  }

  render() {
    const t = this.target ?? new THREE.Vector3(0, 0, 0.5);
    const d = this.distance;
    this.camera.position.set(
      t.x + d * Math.cos(this.elevation) * Math.cos(this.azimuth),
      t.y + d * Math.cos(this.elevation) * Math.sin(this.azimuth),
      t.z + d * Math.sin(this.elevation),
    );
    this.camera.lookAt(t);
    this.renderer.render(this.scene, this.camera);
  }

  play() {
    if (!this.model) return;
    if (this.frame >= this.frames - 1) this.show(0);
    this.playing = true;
    this.playBtn.textContent = 'Pause';
    let last = performance.now();
    let acc = this.frame;
    const tick = (now) => {
      if (!this.playing) return;
      acc += ((now - last) / 1000 / this.dt) * this.speed;
      last = now;
      if (acc >= this.frames - 1) {
        this.show(this.frames - 1);
        this.pause();
        return;
      }
      this.show(acc);
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  pause() {
    this.playing = false;
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = undefined;
    if (this.playBtn) this.playBtn.textContent = 'Play';
  }
}
