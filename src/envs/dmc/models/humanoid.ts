/**
 * 21-joint humanoid for humanoid-stand/walk/run, written from the DMC facts sheet (section 4.4) and the
 * compiled figures (body placements, geom segments). Capsule limbs, sphere head and hands; every body geom
 * uses condim 1 and softer contacts; touch/force/torque/IMU sensors on named sites.
 */
export const HUMANOID_XML = `
<mujoco model="rfm-humanoid">
  <compiler angle="degree"/>
  <option timestep="0.005"/>
  <default>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
    <default class="body">
      <geom type="capsule" condim="1" friction="0.7" solimp="0.9 0.99 0.003" solref="0.015 1"/>
      <joint type="hinge" damping="0.2" stiffness="1" armature="0.01" limited="true" solimplimit="0 0.99 0.01"/>
      <site group="3"/>
      <default class="big_joint">
        <joint damping="5" stiffness="10"/>
        <default class="big_stiff_joint">
          <joint stiffness="20"/>
        </default>
      </default>
      <default class="joint_site">
        <site type="box" size="0.01 0.01 0.02"/>
      </default>
      <default class="touch">
        <site type="capsule"/>
      </default>
    </default>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="100 100 0.2"/>
    <body name="torso" pos="0 0 1.5" childclass="body">
      <freejoint name="root"/>
      <site name="root" class="joint_site"/>
      <geom name="torso" fromto="0 -0.07 0 0 0.07 0" size="0.07"/>
      <geom name="upper_waist" fromto="-0.01 -0.06 -0.12 -0.01 0.06 -0.12" size="0.06"/>
      <site name="torso" type="box" pos="0 0 -0.05" size="0.075 0.14 0.13"/>
      <body name="head" pos="0 0 0.19">
        <geom name="head" type="sphere" size="0.09"/>
        <site name="head" type="sphere" size="0.091"/>
      </body>
      <body name="lower_waist" pos="-0.01 0 -0.26" quat="1 0 -0.002 0">
        <geom name="lower_waist" fromto="0 -0.06 0 0 0.06 0" size="0.06"/>
        <site name="lower_waist" class="touch" size="0.061 0.06" zaxis="0 1 0"/>
        <joint name="abdomen_z" pos="0 0 0.065" axis="0 0 1" range="-45 45" class="big_stiff_joint"/>
        <joint name="abdomen_y" pos="0 0 0.065" axis="0 1 0" range="-75 30" class="big_joint"/>
        <body name="pelvis" pos="0 0 -0.165" quat="1 0 -0.002 0">
          <joint name="abdomen_x" pos="0 0 0.1" axis="1 0 0" range="-35 35" class="big_joint"/>
          <geom name="butt" fromto="-0.02 -0.07 0 -0.02 0.07 0" size="0.09"/>
          <site name="butt" class="touch" pos="-0.02 0 0" size="0.091 0.07" zaxis="0 1 0"/>
          <body name="right_thigh" pos="0 -0.1 -0.04">
            <site name="right_hip" class="joint_site"/>
            <joint name="right_hip_x" axis="1 0 0" range="-25 5" class="big_joint"/>
            <joint name="right_hip_z" axis="0 0 1" range="-60 35" class="big_joint"/>
            <joint name="right_hip_y" axis="0 1 0" range="-110 20" class="big_stiff_joint"/>
            <geom name="right_thigh" fromto="0 0 0 0 0.01 -0.34" size="0.06"/>
            <site name="right_thigh" class="touch" pos="0 0.005 -0.17" size="0.061 0.17" zaxis="0 -0.01 0.34"/>
            <body name="right_shin" pos="0 0.01 -0.403">
              <site name="right_knee" class="joint_site" pos="0 0 0.02"/>
              <joint name="right_knee" pos="0 0 0.02" axis="0 -1 0" range="-160 2"/>
              <geom name="right_shin" fromto="0 0 0 0 0 -0.3" size="0.049"/>
              <site name="right_shin" class="touch" pos="0 0 -0.15" size="0.05 0.15"/>
              <body name="right_foot" pos="0 0 -0.39">
                <site name="right_ankle" class="joint_site"/>
                <joint name="right_ankle_y" pos="0 0 0.08" axis="0 1 0" range="-50 50" stiffness="6"/>
                <joint name="right_ankle_x" pos="0 0 0.04" axis="1 0 0.5" range="-50 50" stiffness="3"/>
                <geom name="right_right_foot" fromto="-0.07 -0.02 0 0.14 -0.04 0" size="0.027"/>
                <site name="right_right_foot" class="touch" pos="0.035 -0.03 0" size="0.03 0.11" zaxis="0.21 -0.02 0"/>
                <geom name="left_right_foot" fromto="-0.07 0 0 0.14 0.02 0" size="0.027"/>
                <site name="left_right_foot" class="touch" pos="0.035 0.01 0" size="0.03 0.11" zaxis="0.21 0.02 0"/>
              </body>
            </body>
          </body>
          <body name="left_thigh" pos="0 0.1 -0.04">
            <site name="left_hip" class="joint_site"/>
            <joint name="left_hip_x" axis="-1 0 0" range="-25 5" class="big_joint"/>
            <joint name="left_hip_z" axis="0 0 -1" range="-60 35" class="big_joint"/>
            <joint name="left_hip_y" axis="0 1 0" range="-120 20" class="big_stiff_joint"/>
            <geom name="left_thigh" fromto="0 0 0 0 -0.01 -0.34" size="0.06"/>
            <site name="left_thigh" class="touch" pos="0 -0.005 -0.17" size="0.061 0.17" zaxis="0 0.01 0.34"/>
            <body name="left_shin" pos="0 -0.01 -0.403">
              <site name="left_knee" class="joint_site" pos="0 0 0.02"/>
              <joint name="left_knee" pos="0 0 0.02" axis="0 -1 0" range="-160 2"/>
              <geom name="left_shin" fromto="0 0 0 0 0 -0.3" size="0.049"/>
              <site name="left_shin" class="touch" pos="0 0 -0.15" size="0.05 0.15"/>
              <body name="left_foot" pos="0 0 -0.39">
                <site name="left_ankle" class="joint_site"/>
                <joint name="left_ankle_y" pos="0 0 0.08" axis="0 1 0" range="-50 50" stiffness="6"/>
                <joint name="left_ankle_x" pos="0 0 0.04" axis="1 0 0.5" range="-50 50" stiffness="3"/>
                <geom name="left_left_foot" fromto="-0.07 0.02 0 0.14 0.04 0" size="0.027"/>
                <site name="right_left_foot" class="touch" pos="0.035 -0.01 0" size="0.03 0.11" zaxis="0.21 -0.02 0"/>
                <geom name="right_left_foot" fromto="-0.07 0 0 0.14 -0.02 0" size="0.027"/>
                <site name="left_left_foot" class="touch" pos="0.035 0.03 0" size="0.03 0.11" zaxis="0.21 0.02 0"/>
              </body>
            </body>
          </body>
        </body>
      </body>
      <body name="right_upper_arm" pos="0 -0.17 0.06">
        <joint name="right_shoulder1" axis="2 1 1" range="-85 60"/>
        <joint name="right_shoulder2" axis="0 -1 1" range="-85 60"/>
        <geom name="right_upper_arm" fromto="0 0 0 0.16 -0.16 -0.16" size="0.04"/>
        <site name="right_upper_arm" class="touch" pos="0.08 -0.08 -0.08" size="0.041 0.14" zaxis="1 -1 -1"/>
        <body name="right_lower_arm" pos="0.18 -0.18 -0.18">
          <joint name="right_elbow" axis="0 -1 1" range="-90 50" stiffness="0"/>
          <geom name="right_lower_arm" fromto="0.01 0.01 0.01 0.17 0.17 0.17" size="0.031"/>
          <site name="right_lower_arm" class="touch" pos="0.09 0.09 0.09" size="0.032 0.14" zaxis="1 1 1"/>
          <body name="right_hand" pos="0.18 0.18 0.18">
            <geom name="right_hand" type="sphere" size="0.04"/>
            <site name="right_hand" type="sphere" size="0.041"/>
          </body>
        </body>
      </body>
      <body name="left_upper_arm" pos="0 0.17 0.06">
        <joint name="left_shoulder1" axis="2 -1 1" range="-60 85"/>
        <joint name="left_shoulder2" axis="0 1 1" range="-60 85"/>
        <geom name="left_upper_arm" fromto="0 0 0 0.16 0.16 -0.16" size="0.04"/>
        <site name="left_upper_arm" class="touch" pos="0.08 0.08 -0.08" size="0.041 0.14" zaxis="1 1 -1"/>
        <body name="left_lower_arm" pos="0.18 0.18 -0.18">
          <joint name="left_elbow" axis="0 -1 -1" range="-90 50" stiffness="0"/>
          <geom name="left_lower_arm" fromto="0.01 -0.01 0.01 0.17 -0.17 0.17" size="0.031"/>
          <site name="left_lower_arm" class="touch" pos="0.09 -0.09 0.09" size="0.032 0.14" zaxis="1 -1 1"/>
          <body name="left_hand" pos="0.18 -0.18 0.18">
            <geom name="left_hand" type="sphere" size="0.04"/>
            <site name="left_hand" type="sphere" size="0.041"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="abdomen_y" joint="abdomen_y" gear="40"/>
    <motor name="abdomen_z" joint="abdomen_z" gear="40"/>
    <motor name="abdomen_x" joint="abdomen_x" gear="40"/>
    <motor name="right_hip_x" joint="right_hip_x" gear="40"/>
    <motor name="right_hip_z" joint="right_hip_z" gear="40"/>
    <motor name="right_hip_y" joint="right_hip_y" gear="120"/>
    <motor name="right_knee" joint="right_knee" gear="80"/>
    <motor name="right_ankle_x" joint="right_ankle_x" gear="20"/>
    <motor name="right_ankle_y" joint="right_ankle_y" gear="20"/>
    <motor name="left_hip_x" joint="left_hip_x" gear="40"/>
    <motor name="left_hip_z" joint="left_hip_z" gear="40"/>
    <motor name="left_hip_y" joint="left_hip_y" gear="120"/>
    <motor name="left_knee" joint="left_knee" gear="80"/>
    <motor name="left_ankle_x" joint="left_ankle_x" gear="20"/>
    <motor name="left_ankle_y" joint="left_ankle_y" gear="20"/>
    <motor name="right_shoulder1" joint="right_shoulder1" gear="20"/>
    <motor name="right_shoulder2" joint="right_shoulder2" gear="20"/>
    <motor name="right_elbow" joint="right_elbow" gear="40"/>
    <motor name="left_shoulder1" joint="left_shoulder1" gear="20"/>
    <motor name="left_shoulder2" joint="left_shoulder2" gear="20"/>
    <motor name="left_elbow" joint="left_elbow" gear="40"/>
  </actuator>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
    <accelerometer name="torso_accel" site="root"/>
    <velocimeter name="torso_vel" site="root"/>
    <gyro name="torso_gyro" site="root"/>
    <force name="left_ankle_force" site="left_ankle"/>
    <force name="right_ankle_force" site="right_ankle"/>
    <force name="left_knee_force" site="left_knee"/>
    <force name="right_knee_force" site="right_knee"/>
    <force name="left_hip_force" site="left_hip"/>
    <force name="right_hip_force" site="right_hip"/>
    <torque name="left_ankle_torque" site="left_ankle"/>
    <torque name="right_ankle_torque" site="right_ankle"/>
    <torque name="left_knee_torque" site="left_knee"/>
    <torque name="right_knee_torque" site="right_knee"/>
    <torque name="left_hip_torque" site="left_hip"/>
    <torque name="right_hip_torque" site="right_hip"/>
    <touch name="torso_touch" site="torso"/>
    <touch name="head_touch" site="head"/>
    <touch name="lower_waist_touch" site="lower_waist"/>
    <touch name="butt_touch" site="butt"/>
    <touch name="right_thigh_touch" site="right_thigh"/>
    <touch name="right_shin_touch" site="right_shin"/>
    <touch name="right_right_foot_touch" site="right_right_foot"/>
    <touch name="left_right_foot_touch" site="left_right_foot"/>
    <touch name="left_thigh_touch" site="left_thigh"/>
    <touch name="left_shin_touch" site="left_shin"/>
    <touch name="right_left_foot_touch" site="right_left_foot"/>
    <touch name="left_left_foot_touch" site="left_left_foot"/>
    <touch name="right_upper_arm_touch" site="right_upper_arm"/>
    <touch name="right_lower_arm_touch" site="right_lower_arm"/>
    <touch name="right_hand_touch" site="right_hand"/>
    <touch name="left_upper_arm_touch" site="left_upper_arm"/>
    <touch name="left_lower_arm_touch" site="left_lower_arm"/>
    <touch name="left_hand_touch" site="left_hand"/>
  </sensor>
</mujoco>
`;
