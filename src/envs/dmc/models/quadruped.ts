/**
 * Quadruped for quadruped-run, written from the DMC facts sheet (section 4.5): the "run" variant (large flat
 * floor; no walls, ball, target, terrain or rangefinder sensors). An ellipsoid torso with four legs
 * (hip yaw + pitch, knee, ankle, toe). Each leg is driven by three first-order-filtered position servos: yaw on
 * its joint, and "lift" / "extend" on fixed tendons, while a tendon equality keeps the sum of the leg's pitch,
 * knee and ankle angles at its rest value. The rangefinder sites of the original head are kept as scenery.
 */

const LEGS: ReadonlyArray<readonly [name: string, x: number, y: number, yaw: number]> = [
  ['front_left', 0.2, 0.2, 45],
  ['front_right', 0.2, -0.2, -45],
  ['back_right', -0.2, -0.2, -135],
  ['back_left', -0.2, 0.2, 135],
];

/** Rangefinder sites on the head: [name, x, y, z, half-length, zaxis]. */
const RANGEFINDERS: ReadonlyArray<readonly [string, number, number, number, number, string]> = [
  ['rf_00', 0.375, -0.01, 0.1125, 0.0364863, '14 -4 -1'],
  ['rf_01', 0.375, -0.005, 0.1125, 0.0354436, '14 -2 -1'],
  ['rf_02', 0.375, 0, 0.1125, 0.0350892, '14 0 -1'],
  ['rf_03', 0.375, 0.005, 0.1125, 0.0354436, '14 2 -1'],
  ['rf_04', 0.375, 0.01, 0.1125, 0.0364863, '14 4 -1'],
  ['rf_10', 0.385, -0.01, 0.105, 0.0273861, '5 -2 -1'],
  ['rf_11', 0.385, -0.01, 0.105, 0.0273861, '5 -2 -1'],
  ['rf_12', 0.385, 0, 0.105, 0.0254951, '5 0 -1'],
  ['rf_13', 0.385, 0.005, 0.105, 0.0259808, '5 1 -1'],
  ['rf_14', 0.385, 0.01, 0.105, 0.0273861, '5 2 -1'],
  ['rf_20', 0.395, -0.01, 0.0975, 0.0195256, '6 -4 -3'],
  ['rf_21', 0.395, -0.005, 0.0975, 0.0175, '6 -2 -3'],
  ['rf_22', 0.395, 0, 0.0975, 0.0167705, '6 0 -3'],
  ['rf_23', 0.395, 0.005, 0.0975, 0.0175, '6 2 -3'],
  ['rf_24', 0.395, 0.01, 0.0975, 0.0195256, '6 4 -3'],
  ['rf_30', 0.405, -0.01, 0.09, 0.015, '1 -2 -2'],
  ['rf_31', 0.405, -0.005, 0.09, 0.0122474, '1 -1 -2'],
  ['rf_32', 0.405, 0, 0.09, 0.0111803, '1 0 -2'],
  ['rf_33', 0.405, 0.005, 0.09, 0.0122474, '1 1 -2'],
  ['rf_34', 0.405, 0.01, 0.09, 0.015, '1 2 -2'],
];

const leg = ([n, x, y, yaw]: (typeof LEGS)[number]): string => `
      <body name="hip_${n}" pos="${x} ${y} 0" euler="0 0 ${yaw}">
        <joint name="yaw_${n}" class="yaw"/>
        <joint name="pitch_${n}" class="pitch"/>
        <geom name="thigh_${n}" class="thigh"/>
        <body name="knee_${n}" pos="0.3 0 0.11">
          <joint name="knee_${n}" class="knee"/>
          <geom name="shin_${n}" class="shin"/>
          <body name="ankle_${n}" pos="0.25 0 -0.25">
            <joint name="ankle_${n}" class="ankle"/>
            <geom name="foot_${n}" class="foot"/>
            <body name="toe_${n}" pos="0 0 -0.3">
              <geom name="toe_${n}" class="toe"/>
              <site name="toe_${n}" class="toe"/>
            </body>
          </body>
        </body>
      </body>`;

const legTendons = ([n]: (typeof LEGS)[number]): string => `
    <fixed name="extend_${n}">
      <joint joint="pitch_${n}" coef="0.25"/>
      <joint joint="knee_${n}" coef="-0.5"/>
      <joint joint="ankle_${n}" coef="0.25"/>
    </fixed>
    <fixed name="lift_${n}">
      <joint joint="pitch_${n}" coef="0.5"/>
      <joint joint="ankle_${n}" coef="-0.5"/>
    </fixed>`;

const coupling = ([n]: (typeof LEGS)[number]): string => `
    <fixed name="coupling_${n}">
      <joint joint="pitch_${n}" coef="0.333"/>
      <joint joint="knee_${n}" coef="0.333"/>
      <joint joint="ankle_${n}" coef="0.333"/>
    </fixed>`;

const servos = ([n]: (typeof LEGS)[number]): string => `
    <general name="yaw_${n}" class="servo" joint="yaw_${n}" ctrlrange="-1 1"/>
    <general name="lift_${n}" class="servo" tendon="lift_${n}" ctrlrange="-1 1.1"/>
    <general name="extend_${n}" class="servo" tendon="extend_${n}" ctrlrange="-0.8 0.8"/>`;

export const QUADRUPED_XML = `
<mujoco model="rfm-quadruped">
  <compiler angle="degree"/>
  <option timestep="0.005"/>
  <default>
    <geom solimp="0.9 0.99 0.003" solref="0.01 1"/>
    <general ctrllimited="true"/>
    <default class="servo">
      <general gainprm="1000" biastype="affine" biasprm="0 -1000" dyntype="filter" dynprm="0.1"/>
    </default>
    <default class="body">
      <geom type="capsule" size="0.08" condim="1" density="500"/>
      <joint type="hinge" damping="30" armature="0.01" limited="true" solimplimit="0 0.99 0.01"/>
      <default class="yaw"><joint axis="0 0 1" range="-50 50"/></default>
      <default class="pitch"><joint axis="0 1 0" range="-20 60"/></default>
      <default class="thigh"><geom fromto="0 0 0 0.3 0 0.11"/></default>
      <default class="knee"><joint axis="0 1 0" range="-60 50"/></default>
      <default class="shin"><geom size="0.065" fromto="0 0 0 0.25 0 -0.25"/></default>
      <default class="ankle"><joint axis="0 1 0" range="-45 55"/></default>
      <default class="foot"><geom size="0.055" fromto="0 0 0 0 0 -0.25"/></default>
      <default class="toe">
        <geom type="sphere" size="0.08" friction="1.5"/>
        <site type="sphere" size="0.084"/>
      </default>
      <default class="rangefinder"><site type="capsule"/></default>
    </default>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="100 100 0.5"/>
    <body name="torso" pos="0 0 0.57" childclass="body">
      <freejoint name="root"/>
      <geom name="eye_r" type="cylinder" fromto="0.1 -0.07 0.12 0.31 -0.07 0.08" size="0.05" mass="0"/>
      <site name="pupil_r" type="sphere" pos="0.3 -0.07 0.08" zaxis="1 0 0" size="0.033"/>
      <geom name="eye_l" type="cylinder" fromto="0.1 0.07 0.12 0.31 0.07 0.08" size="0.05" mass="0"/>
      <site name="pupil_l" type="sphere" pos="0.3 0.07 0.08" zaxis="1 0 0" size="0.033"/>
      <site name="workspace" type="sphere" pos="0.8 0 -0.2" size="0.3 0.3 0.3"/>
${RANGEFINDERS.map(([name, x, y, z, hl, axis]) => `      <site name="${name}" class="rangefinder" pos="${x} ${y} ${z}" size="0.005 ${hl}" zaxis="${axis}"/>`).join('\n')}
      <geom name="torso" type="ellipsoid" size="0.3 0.27 0.2" density="1000"/>
      <site name="torso_touch" type="box" size="0.26 0.26 0.26"/>
      <site name="torso" type="sphere" size="0.05"/>
${LEGS.map(leg).join('')}
    </body>
  </worldbody>
  <tendon>${LEGS.map(coupling).join('')}${LEGS.map(legTendons).join('')}
  </tendon>
  <equality>
${LEGS.map(([n]) => `    <tendon name="coupling_${n}" tendon1="coupling_${n}" solref="0.005 0.5" solimp="0.95 0.99 0.01"/>`).join('\n')}
  </equality>
  <actuator>${LEGS.map(servos).join('')}
  </actuator>
  <sensor>
    <accelerometer name="imu_accel" site="torso"/>
    <gyro name="imu_gyro" site="torso"/>
    <velocimeter name="velocimeter" site="torso"/>
${LEGS.map(([n]) => `    <force name="force_toe_${n}" site="toe_${n}"/>`).join('\n')}
${LEGS.map(([n]) => `    <torque name="torque_toe_${n}" site="toe_${n}"/>`).join('\n')}
    <subtreecom name="center_of_mass" body="torso"/>
  </sensor>
</mujoco>
`;
