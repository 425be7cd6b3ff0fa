/**
 * Pendulum for pendulum-swingup, written from the DMC facts sheet (section 4.1): a 1 kg ball on a massless
 * 0.5 m rod, hinge at 0.6 m height, angle 0 = pointing up. Contacts are off. The 1 N m motor is far weaker
 * than gravity's 4.9 N m, so the pendulum has to be pumped up.
 */
export const PENDULUM_XML = `
<mujoco model="rfm-pendulum">
  <compiler angle="degree"/>
  <option timestep="0.02">
    <flag contact="disable" energy="enable"/>
  </option>
  <worldbody>
    <geom name="floor" type="plane" size="2 2 0.2"/>
    <body name="pole" pos="0 0 0.6">
      <joint name="hinge" type="hinge" axis="0 1 0" damping="0.1"/>
      <geom name="base" type="cylinder" fromto="0 -0.03 0 0 0.03 0" size="0.021" mass="0"/>
      <geom name="pole" type="capsule" fromto="0 0 0 0 0 0.5" size="0.02" mass="0"/>
      <geom name="mass" type="sphere" pos="0 0 0.5" size="0.05" mass="1"/>
    </body>
  </worldbody>
  <actuator>
    <motor name="torque" joint="hinge" gear="1" ctrllimited="true" ctrlrange="-1 1"/>
  </actuator>
</mujoco>
`;
