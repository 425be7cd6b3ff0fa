/**
 * Fish for fish-upright / fish-swim, written from the DMC facts sheet (section 3.5). Neutrally buoyant:
 * gravity and all constraints are off, and MuJoCo's inertia-box fluid model (density 5000) provides the
 * drag/lift the fins and tail push against. Only one torso geom carries mass. Actuators are position
 * servos on the tail joints, the fin pitches and the fins' flapping tendon.
 */
export const FISH_XML = `
<mujoco model="rfm-fish">
  <compiler angle="degree"/>
  <option timestep="0.004" density="5000">
    <flag gravity="disable" constraint="disable"/>
  </option>
  <default>
    <general ctrllimited="true"/>
    <position ctrllimited="true" ctrlrange="-1 1"/>
    <default class="fish">
      <joint type="hinge" limited="false" range="-60 60" damping="2e-5" solreflimit="0.1 1" solimplimit="0 0.8 0.1"/>
      <geom type="ellipsoid"/>
    </default>
  </default>
  <worldbody>
    <geom name="ground" type="plane" size="0.5 0.5 0.1"/>
    <geom name="target" type="sphere" pos="0 0.4 0.1" size="0.04"/>
    <body name="torso" pos="0 0 0.1" childclass="fish">
      <joint name="root" type="free" damping="0"/>
      <geom name="eye" pos="0 0.055 0.015" euler="-10 0 0" size="0.008 0.012 0.008" mass="0"/>
      <geom name="mouth" type="capsule" fromto="0 0.079 0 0 0.07 0" size="0.005" mass="0"/>
      <geom name="lower_mouth" type="capsule" fromto="0 0.079 -0.004 0 0.07 -0.003" size="0.0045" mass="0"/>
      <geom name="torso" size="0.01 0.08 0.04" mass="0"/>
      <geom name="back_fin" pos="0 -0.03 0.03" size="0.001 0.03 0.015" mass="0"/>
      <geom name="torso_massive" type="box" size="0.002 0.06 0.03"/>
      <site name="torso" size="0.01"/>
      <body name="tail1" pos="0 -0.09 0">
        <joint name="tail1" axis="0 0 1" pos="0 0.01 0"/>
        <joint name="tail_twist" axis="0 1 0" pos="0 0.01 0" range="-30 30"/>
        <geom name="tail1" size="0.001 0.008 0.016"/>
        <body name="tail2" pos="0 -0.028 0">
          <joint name="tail2" axis="0 0 1" pos="0 0.02 0" stiffness="8e-5"/>
          <geom name="tail2" size="0.001 0.018 0.035"/>
        </body>
      </body>
      <body name="finright" pos="0.01 0 0">
        <joint name="finright_roll" axis="0 1 0"/>
        <joint name="finright_pitch" axis="1 0 0" pos="0 0.005 0"/>
        <geom name="finright" pos="0.015 0 0" size="0.02 0.015 0.001"/>
      </body>
      <body name="finleft" pos="-0.01 0 0">
        <joint name="finleft_roll" axis="0 1 0"/>
        <joint name="finleft_pitch" axis="1 0 0" pos="0 0.005 0"/>
        <geom name="finleft" pos="-0.015 0 0" size="0.02 0.015 0.001"/>
      </body>
    </body>
  </worldbody>
  <tendon>
    <fixed name="fins_flap">
      <joint joint="finleft_roll" coef="-0.5"/>
      <joint joint="finright_roll" coef="0.5"/>
    </fixed>
    <fixed name="fins_sym" stiffness="1e-4">
      <joint joint="finleft_roll" coef="0.5"/>
      <joint joint="finright_roll" coef="0.5"/>
    </fixed>
  </tendon>
  <actuator>
    <position name="tail" joint="tail1" kp="5e-4"/>
    <position name="tail_twist" joint="tail_twist" kp="1e-4"/>
    <position name="fins_flap" tendon="fins_flap" kp="3e-4"/>
    <position name="finleft_pitch" joint="finleft_pitch" kp="1e-4"/>
    <position name="finright_pitch" joint="finright_pitch" kp="1e-4"/>
  </actuator>
  <sensor>
    <velocimeter name="velocimeter" site="torso"/>
    <gyro name="gyro" site="torso"/>
  </sensor>
</mujoco>
`;
