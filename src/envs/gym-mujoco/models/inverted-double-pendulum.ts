/**
 * Cart with two stacked poles, for InvertedDoublePendulum-v5. Authored from the facts sheet's numbers.
 * Gravity has a 1e-5 x component; the slider limit carries a 0.01 margin; no contacts (contype 0 everywhere).
 * The custom numeric `frame_skip` is present only so the compiled counts match; the env does not read it.
 */
export const INVERTED_DOUBLE_PENDULUM_XML = `<mujoco model="cartpole">
  <compiler angle="degree" inertiafromgeom="true"/>
  <option timestep="0.01" integrator="RK4" gravity="1e-05 0 -9.81"/>
  <custom>
    <numeric name="frame_skip" data="2"/>
  </custom>
  <default>
    <joint damping="0.05"/>
    <geom contype="0" friction="1 0.1 0.1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 40" pos="0 0 -3"/>
    <geom name="rail" type="capsule" size="0.02 1" pos="0 0 0" quat="0.707 0 0.707 0"/>
    <body name="cart" pos="0 0 0">
      <joint name="slider" type="slide" axis="1 0 0" pos="0 0 0" limited="true" range="-1 1" margin="0.01"/>
      <geom name="cart" type="capsule" size="0.1 0.1" pos="0 0 0" quat="0.707 0 0.707 0"/>
      <body name="pole" pos="0 0 0">
        <joint name="hinge" type="hinge" axis="0 1 0" pos="0 0 0"/>
        <geom name="cpole" type="capsule" size="0.045 0.3" fromto="0 0 0 0 0 0.6"/>
        <body name="pole2" pos="0 0 0.6">
          <joint name="hinge2" type="hinge" axis="0 1 0" pos="0 0 0"/>
          <geom name="cpole2" type="capsule" size="0.045 0.3" fromto="0 0 0 0 0 0.6"/>
          <site name="tip" pos="0 0 0.6" size="0.01"/>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="slide" joint="slider" gear="500" ctrllimited="true" ctrlrange="-1 1"/>
  </actuator>
</mujoco>
`;
