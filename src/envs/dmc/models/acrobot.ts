/**
 * Acrobot for acrobot-swingup, written from the DMC facts sheet (section 4.6): two 1 m, 1 kg links, the
 * shoulder unactuated, the elbow driven; both links up at qpos = 0. RK4, constraints off.
 */
export const ACROBOT_XML = `
<mujoco model="rfm-acrobot">
  <compiler angle="degree"/>
  <option timestep="0.01" integrator="RK4">
    <flag constraint="disable" energy="enable"/>
  </option>
  <default>
    <joint type="hinge" axis="0 1 0" damping="0.05"/>
    <geom type="capsule" mass="1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="3 3 0.2"/>
    <site name="target" type="sphere" pos="0 0 4" size="0.2"/>
    <body name="upper_arm" pos="0 0 2">
      <joint name="shoulder"/>
      <geom name="upper_arm_decoration" type="cylinder" fromto="0 -0.06 0 0 0.06 0" size="0.051" mass="0"/>
      <geom name="upper_arm" fromto="0 0 0 0 0 1" size="0.05"/>
      <body name="lower_arm" pos="0 0 1">
        <joint name="elbow"/>
        <geom name="lower_arm" fromto="0 0 0 0 0 1" size="0.049"/>
        <site name="tip" type="sphere" pos="0 0 1" size="0.01"/>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="elbow" joint="elbow" gear="2" ctrllimited="true" ctrlrange="-1 1"/>
  </actuator>
</mujoco>
`;
