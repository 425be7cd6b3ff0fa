/**
 * One-legged planar hopper for hopper-stand / hopper-hop, written from the DMC facts sheet (section 4.3).
 * Torso (with a nose), pelvis, thigh, calf and foot capsules; touch sensors at the toe and the heel.
 */
export const HOPPER_XML = `
<mujoco model="rfm-hopper">
  <compiler angle="degree"/>
  <option timestep="0.005"/>
  <default>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
    <default class="hopper">
      <joint type="hinge" axis="0 1 0" limited="true" damping="0.05" armature="0.2"/>
      <geom type="capsule"/>
      <site type="sphere" size="0.05"/>
      <default class="root">
        <joint limited="false" damping="0" armature="0" stiffness="0"/>
      </default>
    </default>
  </default>
  <worldbody>
    <geom name="floor" type="plane" pos="48 0 0" size="50 1 0.2"/>
    <body name="torso" pos="0 0 1" childclass="hopper">
      <joint name="rootx" class="root" type="slide" axis="1 0 0"/>
      <joint name="rootz" class="root" type="slide" axis="0 0 1"/>
      <joint name="rooty" class="root" type="hinge" axis="0 1 0"/>
      <geom name="torso" fromto="0 0 -0.05 0 0 0.2" size="0.0653"/>
      <geom name="nose" fromto="0.08 0 0.13 0.15 0 0.14" size="0.03"/>
      <body name="pelvis" pos="0 0 -0.05">
        <joint name="waist" range="-30 30"/>
        <geom name="pelvis" fromto="0 0 0 0 0 -0.15" size="0.065"/>
        <body name="thigh" pos="0 0 -0.2">
          <joint name="hip" range="-170 10"/>
          <geom name="thigh" fromto="0 0 0 0 0 -0.33" size="0.04"/>
          <body name="calf" pos="0 0 -0.33">
            <joint name="knee" range="5 150"/>
            <geom name="calf" fromto="0 0 0 0 0 -0.32" size="0.03"/>
            <body name="foot" pos="0 0 -0.32">
              <joint name="ankle" range="-45 45"/>
              <geom name="foot" fromto="-0.08 0 0 0.17 0 0" size="0.04"/>
              <site name="touch_toe" pos="0.17 0 0"/>
              <site name="touch_heel" pos="-0.08 0 0"/>
            </body>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="waist" joint="waist" gear="30"/>
    <motor name="hip" joint="hip" gear="40"/>
    <motor name="knee" joint="knee" gear="30"/>
    <motor name="ankle" joint="ankle" gear="10"/>
  </actuator>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
    <touch name="touch_toe" site="touch_toe"/>
    <touch name="touch_heel" site="touch_heel"/>
  </sensor>
</mujoco>
`;
