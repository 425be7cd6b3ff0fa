/**
 * Two-link planar reacher for reacher-easy / reacher-hard, written from the DMC facts sheet (section 4.2).
 * Arm in the horizontal plane (joint axes vertical), contacts off; the arena walls and the target sphere
 * are scenery (the tasks keep the target position themselves).
 */
export const REACHER_XML = `
<mujoco model="rfm-reacher">
  <compiler angle="degree"/>
  <option timestep="0.02">
    <flag contact="disable"/>
  </option>
  <default>
    <joint type="hinge" axis="0 0 1" damping="0.01"/>
    <motor gear="0.05" ctrllimited="true" ctrlrange="-1 1"/>
  </default>
  <worldbody>
    <geom name="ground" type="plane" size="0.3 0.3 10"/>
    <geom name="wall_x" type="plane" pos="-0.3 0 0.02" zaxis="1 0 0" size="0.02 0.3 0.02"/>
    <geom name="wall_y" type="plane" pos="0 -0.3 0.02" zaxis="0 1 0" size="0.3 0.02 0.02"/>
    <geom name="wall_neg_x" type="plane" pos="0.3 0 0.02" zaxis="-1 0 0" size="0.02 0.3 0.02"/>
    <geom name="wall_neg_y" type="plane" pos="0 0.3 0.02" zaxis="0 -1 0" size="0.3 0.02 0.02"/>
    <geom name="root" type="cylinder" fromto="0 0 0 0 0 0.02" size="0.011"/>
    <geom name="target" type="sphere" pos="0 0 0.01" size="0.05"/>
    <body name="arm" pos="0 0 0.01">
      <joint name="shoulder"/>
      <geom name="arm" type="capsule" fromto="0 0 0 0.12 0 0" size="0.01"/>
      <body name="hand" pos="0.12 0 0">
        <joint name="wrist" limited="true" range="-160 160"/>
        <geom name="hand" type="capsule" fromto="0 0 0 0.1 0 0" size="0.01"/>
        <body name="finger" pos="0.12 0 0">
          <geom name="finger" type="sphere" size="0.01"/>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="shoulder" joint="shoulder"/>
    <motor name="wrist" joint="wrist"/>
  </actuator>
</mujoco>
`;
