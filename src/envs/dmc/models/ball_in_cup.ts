/**
 * Ball-in-cup for ball_in_cup-catch, written from the DMC facts sheet (section 4.7). A cup (five capsules)
 * moved in the x-z plane by two spring-loaded slides, and a ball on two free slides tied to the cup's bottom
 * by a 0.3 m string (a spatial tendon with a length limit). MuJoCo's default 2 ms timestep.
 */
export const BALL_IN_CUP_XML = `
<mujoco model="rfm-ball_in_cup">
  <compiler angle="degree"/>
  <default>
    <motor gear="5" ctrllimited="true" ctrlrange="-1 1"/>
    <default class="cup">
      <joint type="slide" damping="3" stiffness="20"/>
      <geom type="capsule" size="0.008"/>
    </default>
  </default>
  <worldbody>
    <geom name="ground" type="plane" size="0.6 0.2 10"/>
    <body name="cup" pos="0 0 0.6" childclass="cup">
      <joint name="cup_x" axis="1 0 0"/>
      <joint name="cup_z" axis="0 0 1"/>
      <geom name="cup_part_0" fromto="-0.05 0 0 -0.05 0 -0.075"/>
      <geom name="cup_part_1" fromto="-0.05 0 -0.075 -0.025 0 -0.1"/>
      <geom name="cup_part_2" fromto="-0.025 0 -0.1 0.025 0 -0.1"/>
      <geom name="cup_part_3" fromto="0.025 0 -0.1 0.05 0 -0.075"/>
      <geom name="cup_part_4" fromto="0.05 0 -0.075 0.05 0 0"/>
      <site name="cup" type="sphere" pos="0 0 -0.108" size="0.005"/>
      <site name="target" type="box" pos="0 0 -0.05" size="0.05 0.006 0.05"/>
    </body>
    <body name="ball" pos="0 0 0.2">
      <joint name="ball_x" type="slide" axis="1 0 0"/>
      <joint name="ball_z" type="slide" axis="0 0 1"/>
      <geom name="ball" type="sphere" size="0.025"/>
      <site name="ball" type="sphere" size="0.005"/>
    </body>
  </worldbody>
  <tendon>
    <spatial name="string" limited="true" range="0 0.3" width="0.003">
      <site site="ball"/>
      <site site="cup"/>
    </spatial>
  </tendon>
  <actuator>
    <motor name="x" joint="cup_x"/>
    <motor name="z" joint="cup_z"/>
  </actuator>
</mujoco>
`;
