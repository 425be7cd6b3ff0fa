/**
 * Four-legged walker on a free joint, for Ant-v5. Authored from the facts sheet's numbers.
 * Each leg: a fixed upper segment, a hip body (hinge about z, ±30°) and an unnamed lower-leg body (ankle hinge).
 * Geom density 5, margin 0.01 everywhere, friction (1, 0.5, 0.5); robot geoms have conaffinity 0 (no self-collision).
 * Actuator order is hip_4, ankle_4, hip_1, ankle_1, hip_2, ankle_2, hip_3, ankle_3 (not the joint order).
 * The custom numeric `init_qpos` is present only so the compiled counts match; the env does not read it.
 */
interface LegSpec {
  upper: string;
  upperGeom: string;
  k: number;
  hipGeom: string;
  ankleGeom: string;
  dx: number;
  dy: number;
  ankleAxis: string;
  ankleRange: string;
}

const LEGS: LegSpec[] = [
  {
    upper: 'front_left_leg',
    upperGeom: 'aux_1_geom',
    k: 1,
    hipGeom: 'left_leg_geom',
    ankleGeom: 'left_ankle_geom',
    dx: 1,
    dy: 1,
    ankleAxis: '-1 1 0',
    ankleRange: '30 70',
  },
  {
    upper: 'front_right_leg',
    upperGeom: 'aux_2_geom',
    k: 2,
    hipGeom: 'right_leg_geom',
    ankleGeom: 'right_ankle_geom',
    dx: -1,
    dy: 1,
    ankleAxis: '1 1 0',
    ankleRange: '-70 -30',
  },
  {
    upper: 'back_leg',
    upperGeom: 'aux_3_geom',
    k: 3,
    hipGeom: 'back_leg_geom',
    ankleGeom: 'third_ankle_geom',
    dx: -1,
    dy: -1,
    ankleAxis: '-1 1 0',
    ankleRange: '-70 -30',
  },
  {
    upper: 'right_back_leg',
    upperGeom: 'aux_4_geom',
    k: 4,
    hipGeom: 'rightback_leg_geom',
    ankleGeom: 'fourth_ankle_geom',
    dx: 1,
    dy: -1,
    ankleAxis: '1 1 0',
    ankleRange: '30 70',
  },
];

function p(v: number): string {
  return v < 0 ? `-${-v}` : `${v}`;
}

function legXml(l: LegSpec): string {
  const a = `${p(0.2 * l.dx)} ${p(0.2 * l.dy)} 0`;
  const b = `${p(0.4 * l.dx)} ${p(0.4 * l.dy)} 0`;
  return `
      <body name="${l.upper}" pos="0 0 0">
        <geom name="${l.upperGeom}" type="capsule" size="0.08" fromto="0 0 0 ${a}"/>
        <body name="aux_${l.k}" pos="${a}">
          <joint name="hip_${l.k}" type="hinge" axis="0 0 1" pos="0 0 0" range="-30 30"/>
          <geom name="${l.hipGeom}" type="capsule" size="0.08" fromto="0 0 0 ${a}"/>
          <body pos="${a}">
            <joint name="ankle_${l.k}" type="hinge" axis="${l.ankleAxis}" pos="0 0 0" range="${l.ankleRange}"/>
            <geom name="${l.ankleGeom}" type="capsule" size="0.08" fromto="0 0 0 ${b}"/>
          </body>
        </body>
      </body>`;
}

const ACTUATED = [4, 1, 2, 3];

export const ANT_XML = `<mujoco model="ant">
  <compiler angle="degree" inertiafromgeom="true"/>
  <option timestep="0.01" integrator="RK4"/>
  <custom>
    <numeric name="init_qpos" data="0 0 0.55 1 0 0 0 0 1 0 -1 0 -1 0 1"/>
  </custom>
  <default>
    <joint limited="true" armature="1" damping="1"/>
    <geom contype="1" conaffinity="0" condim="3" density="5" friction="1 0.5 0.5" margin="0.01"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 40" pos="0 0 0" conaffinity="1" condim="3"/>
    <body name="torso" pos="0 0 0.75">
      <joint name="root" type="free" pos="0 0 0" limited="false" armature="0" damping="0" margin="0.01"/>
      <geom name="torso_geom" type="sphere" size="0.25" pos="0 0 0"/>${LEGS.map(legXml).join('')}
    </body>
  </worldbody>
  <actuator>
${ACTUATED.map(
  (k) => `    <motor joint="hip_${k}" gear="150" ctrllimited="true" ctrlrange="-1 1"/>
    <motor joint="ankle_${k}" gear="150" ctrllimited="true" ctrlrange="-1 1"/>`,
).join('\n')}
  </actuator>
</mujoco>
`;
