/**
 * One-legged planar hopper, for Hopper-v5. Authored from the facts sheet's numbers. Lengths are written as the
 * exact doubles the reference model compiles to (e.g. 0.19999999999999996): in this contact-rich model a
 * last-bit difference in a mass grows into a visible trajectory difference.
 * All geoms collide (condim 1 robot vs condim 3 floor), margin 0.001. Angles in degrees.
 */
export const HOPPER_XML = `<mujoco model="hopper">
  <compiler angle="degree" inertiafromgeom="true"/>
  <option timestep="0.002" integrator="RK4"/>
  <default>
    <joint limited="true" armature="1" damping="1"/>
    <geom contype="1" conaffinity="1" condim="1" margin="0.001" solref="0.02 1" solimp="0.8 0.8 0.01"/>
    <motor ctrllimited="true" ctrlrange="-0.4 0.4"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="20 20 0.125" pos="0 0 0" conaffinity="1" condim="3"/>
    <body name="torso" pos="0 0 1.25">
      <joint name="rootx" type="slide" axis="1 0 0" pos="0 0 -1.25" limited="false" armature="0" damping="0"/>
      <joint name="rootz" type="slide" axis="0 0 1" pos="0 0 -1.25" ref="1.25" limited="false" armature="0" damping="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" pos="0 0 0" limited="false" armature="0" damping="0"/>
      <geom name="torso_geom" type="capsule" size="0.05 0.19999999999999996" friction="0.9"/>
      <body name="thigh" pos="0 0 -0.19999999999999996">
        <joint name="thigh_joint" type="hinge" axis="0 -1 0" pos="0 0 0" range="-150 0"/>
        <geom name="thigh_geom" type="capsule" size="0.05 0.22500000000000003" pos="0 0 -0.2250000000000001" friction="0.9"/>
        <body name="leg" pos="0 0 -0.7000000000000001">
          <joint name="leg_joint" type="hinge" axis="0 -1 0" pos="0 0 0.25" range="-150 0"/>
          <geom name="leg_geom" type="capsule" size="0.04 0.25" friction="0.9"/>
          <body name="foot" pos="0.13 0 -0.35">
            <joint name="foot_joint" type="hinge" axis="0 -1 0" pos="-0.13 0 0.1" range="-45 45"/>
            <geom name="foot_geom" type="capsule" size="0.06 0.195" pos="-0.065 0 0.1" quat="0.7071067811865476 0 -0.7071067811865475 0" friction="2"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor joint="thigh_joint" gear="200" ctrllimited="true" ctrlrange="-1 1"/>
    <motor joint="leg_joint" gear="200" ctrllimited="true" ctrlrange="-1 1"/>
    <motor joint="foot_joint" gear="200" ctrllimited="true" ctrlrange="-1 1"/>
  </actuator>
</mujoco>
`;
