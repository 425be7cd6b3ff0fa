/**
 * Planar biped, for Walker2d-v5 (v5 model: both feet friction 1.9). Authored from the facts sheet's numbers,
 * lengths written as the exact doubles of the reference (see hopper.ts). Robot geoms have conaffinity 0, so the
 * legs pass through each other and only touch the floor. Angles in degrees.
 */
function leg(suffix: string): string {
  return `
      <body name="thigh${suffix}" pos="0 0 -0.19999999999999996">
        <joint name="thigh${suffix}_joint" type="hinge" axis="0 -1 0" pos="0 0 0" range="-150 0"/>
        <geom name="thigh${suffix}_geom" type="capsule" size="0.05 0.22500000000000003" pos="0 0 -0.2250000000000001" friction="0.9"/>
        <body name="leg${suffix}" pos="0 0 -0.7000000000000001">
          <joint name="leg${suffix}_joint" type="hinge" axis="0 -1 0" pos="0 0 0.25" range="-150 0"/>
          <geom name="leg${suffix}_geom" type="capsule" size="0.04 0.25" friction="0.9"/>
          <body name="foot${suffix}" pos="0.2 0 -0.35">
            <joint name="foot${suffix}_joint" type="hinge" axis="0 -1 0" pos="-0.2 0 0.1" range="-45 45"/>
            <geom name="foot${suffix}_geom" type="capsule" size="0.06 0.1" pos="-0.1 0 0.1" quat="0.7071067811865476 0 -0.7071067811865475 0" friction="1.9"/>
          </body>
        </body>
      </body>`;
}

export const WALKER2D_XML = `<mujoco model="walker2d">
  <compiler angle="degree" inertiafromgeom="true"/>
  <option timestep="0.002" integrator="RK4"/>
  <default>
    <joint limited="true" armature="0.01" damping="0.1"/>
    <geom contype="1" conaffinity="0" condim="3" density="1000" friction="0.7 0.1 0.1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 40" pos="0 0 0" conaffinity="1" condim="3"/>
    <body name="torso" pos="0 0 1.25">
      <joint name="rootx" type="slide" axis="1 0 0" pos="0 0 -1.25" limited="false" armature="0" damping="0"/>
      <joint name="rootz" type="slide" axis="0 0 1" pos="0 0 -1.25" ref="1.25" limited="false" armature="0" damping="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" pos="0 0 0" limited="false" armature="0" damping="0"/>
      <geom name="torso_geom" type="capsule" size="0.05 0.19999999999999996" friction="0.9"/>${leg('')}${leg('_left')}
    </body>
  </worldbody>
  <actuator>
    <motor joint="thigh_joint" gear="100" ctrllimited="true" ctrlrange="-1 1"/>
    <motor joint="leg_joint" gear="100" ctrllimited="true" ctrlrange="-1 1"/>
    <motor joint="foot_joint" gear="100" ctrllimited="true" ctrlrange="-1 1"/>
    <motor joint="thigh_left_joint" gear="100" ctrllimited="true" ctrlrange="-1 1"/>
    <motor joint="leg_left_joint" gear="100" ctrllimited="true" ctrlrange="-1 1"/>
    <motor joint="foot_left_joint" gear="100" ctrllimited="true" ctrlrange="-1 1"/>
  </actuator>
</mujoco>
`;
