/**
 * Two-link planar arm and a target on two slides, for Reacher-v5. Authored from the facts sheet's numbers.
 * Angles in radians. No contacts (contype 0 everywhere). Target slides have ref 0.1 / -0.1 so the target's
 * world xy equals qpos[2:4].
 */
export const REACHER_XML = `<mujoco model="reacher">
  <compiler angle="radian" inertiafromgeom="true"/>
  <option timestep="0.01" integrator="RK4" gravity="0 0 -9.81"/>
  <default>
    <joint limited="true" damping="1" armature="1"/>
    <geom contype="0" friction="1 0.1 0.1"/>
  </default>
  <worldbody>
    <geom name="ground" type="plane" size="1 1 10" pos="0 0 0" contype="0" conaffinity="0"/>
    <geom name="sideS" type="capsule" size="0.02" fromto="-0.3 -0.3 0.01 0.3 -0.3 0.01" conaffinity="0"/>
    <geom name="sideE" type="capsule" size="0.02" fromto="0.3 -0.3 0.01 0.3 0.3 0.01" conaffinity="0"/>
    <geom name="sideN" type="capsule" size="0.02" fromto="-0.3 0.3 0.01 0.3 0.3 0.01" conaffinity="0"/>
    <geom name="sideW" type="capsule" size="0.02" fromto="-0.3 -0.3 0.01 -0.3 0.3 0.01" conaffinity="0"/>
    <geom name="root" type="cylinder" size="0.011" fromto="0 0 0 0 0 0.02" contype="0" conaffinity="0"/>
    <body name="body0" pos="0 0 0.01">
      <joint name="joint0" type="hinge" axis="0 0 1" pos="0 0 0" limited="false"/>
      <geom name="link0" type="capsule" size="0.01" fromto="0 0 0 0.1 0 0"/>
      <body name="body1" pos="0.1 0 0">
        <joint name="joint1" type="hinge" axis="0 0 1" pos="0 0 0" limited="true" range="-3 3"/>
        <geom name="link1" type="capsule" size="0.01" fromto="0 0 0 0.1 0 0"/>
        <body name="fingertip" pos="0.11 0 0">
          <geom name="fingertip" type="sphere" size="0.01" pos="0 0 0" contype="0"/>
        </body>
      </body>
    </body>
    <body name="target" pos="0.1 -0.1 0.01">
      <joint name="target_x" type="slide" axis="1 0 0" pos="0 0 0" ref="0.1" limited="true" range="-0.27 0.27" damping="0" armature="0"/>
      <joint name="target_y" type="slide" axis="0 1 0" pos="0 0 0" ref="-0.1" limited="true" range="-0.27 0.27" damping="0" armature="0"/>
      <geom name="target" type="sphere" size="0.009" pos="0 0 0" contype="0" conaffinity="0"/>
    </body>
  </worldbody>
  <actuator>
    <motor joint="joint0" gear="200" ctrllimited="true" ctrlrange="-1 1"/>
    <motor joint="joint1" gear="200" ctrllimited="true" ctrlrange="-1 1"/>
  </actuator>
</mujoco>
`;
