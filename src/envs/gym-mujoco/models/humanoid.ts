/**
 * 3-D humanoid on a free joint, for Humanoid-v5. Authored from the facts sheet's numbers.
 * PGS solver with 50 iterations, RK4, timestep 0.003. Every geom collides (condim 1 robot vs condim 3 floor),
 * margin 0.001. The reference model's asymmetries are kept on purpose: right_hip_y armature 0.008 (left 0.01),
 * left_knee stiffness 1 (right 0), mirrored hip_x / hip_z axes on the left. Two fixed tendons (reported in info only).
 * `size nkey=5` creates five keyframes equal to qpos0 and `nuser_geom=1` one user slot, as in the reference counts.
 */
export const HUMANOID_XML = `<mujoco model="humanoid">
  <compiler angle="degree" inertiafromgeom="true"/>
  <option timestep="0.003" integrator="RK4" solver="PGS" iterations="50"/>
  <size nkey="5" nuser_geom="1"/>
  <default>
    <joint limited="true" armature="1" damping="1"/>
    <geom contype="1" conaffinity="1" condim="1" margin="0.001"/>
    <motor ctrllimited="true" ctrlrange="-0.4 0.4"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="20 20 0.125" pos="0 0 0" condim="3" friction="1 0.1 0.1"/>
    <body name="torso" pos="0 0 1.4">
      <joint name="root" type="free" pos="0 0 0" limited="false" armature="0" damping="0" stiffness="0"/>
      <geom name="torso1" type="capsule" size="0.07" fromto="0 -0.07 0 0 0.07 0"/>
      <geom name="head" type="sphere" size="0.09" pos="0 0 0.19"/>
      <geom name="uwaist" type="capsule" size="0.06" fromto="-0.01 -0.06 -0.12 -0.01 0.06 -0.12"/>
      <body name="lwaist" pos="-0.01 0 -0.26" quat="1 0 -0.002 0">
        <geom name="lwaist" type="capsule" size="0.06" fromto="0 -0.06 0 0 0.06 0"/>
        <joint name="abdomen_z" type="hinge" axis="0 0 1" pos="0 0 0.065" range="-45 45" damping="5" stiffness="20" armature="0.02"/>
        <joint name="abdomen_y" type="hinge" axis="0 1 0" pos="0 0 0.065" range="-75 30" damping="5" stiffness="10" armature="0.02"/>
        <body name="pelvis" pos="0 0 -0.165" quat="1 0 -0.002 0">
          <joint name="abdomen_x" type="hinge" axis="1 0 0" pos="0 0 0.1" range="-35 35" damping="5" stiffness="10" armature="0.02"/>
          <geom name="butt" type="capsule" size="0.09" fromto="-0.02 -0.07 0 -0.02 0.07 0"/>
          <body name="right_thigh" pos="0 -0.1 -0.04">
            <joint name="right_hip_x" type="hinge" axis="1 0 0" pos="0 0 0" range="-25 5" damping="5" stiffness="10" armature="0.01"/>
            <joint name="right_hip_z" type="hinge" axis="0 0 1" pos="0 0 0" range="-60 35" damping="5" stiffness="10" armature="0.01"/>
            <joint name="right_hip_y" type="hinge" axis="0 1 0" pos="0 0 0" range="-110 20" damping="5" stiffness="20" armature="0.008"/>
            <geom name="right_thigh1" type="capsule" size="0.06" fromto="0 0 0 0 0.01 -0.34"/>
            <body name="right_shin" pos="0 0.01 -0.403">
              <joint name="right_knee" type="hinge" axis="0 -1 0" pos="0 0 0.02" range="-160 -2" armature="0.006"/>
              <geom name="right_shin1" type="capsule" size="0.049" fromto="0 0 0 0 0 -0.3"/>
              <body name="right_foot" pos="0 0 -0.45">
                <geom name="right_foot" type="sphere" size="0.075" pos="0 0 0.1"/>
              </body>
            </body>
          </body>
          <body name="left_thigh" pos="0 0.1 -0.04">
            <joint name="left_hip_x" type="hinge" axis="-1 0 0" pos="0 0 0" range="-25 5" damping="5" stiffness="10" armature="0.01"/>
            <joint name="left_hip_z" type="hinge" axis="0 0 -1" pos="0 0 0" range="-60 35" damping="5" stiffness="10" armature="0.01"/>
            <joint name="left_hip_y" type="hinge" axis="0 1 0" pos="0 0 0" range="-110 20" damping="5" stiffness="20" armature="0.01"/>
            <geom name="left_thigh1" type="capsule" size="0.06" fromto="0 0 0 0 -0.01 -0.34"/>
            <body name="left_shin" pos="0 -0.01 -0.403">
              <joint name="left_knee" type="hinge" axis="0 -1 0" pos="0 0 0.02" range="-160 -2" stiffness="1" armature="0.006"/>
              <geom name="left_shin1" type="capsule" size="0.049" fromto="0 0 0 0 0 -0.3"/>
              <body name="left_foot" pos="0 0 -0.45">
                <geom name="left_foot" type="sphere" size="0.075" pos="0 0 0.1"/>
              </body>
            </body>
          </body>
        </body>
      </body>
      <body name="right_upper_arm" pos="0 -0.17 0.06">
        <joint name="right_shoulder1" type="hinge" axis="2 1 1" pos="0 0 0" range="-85 60" stiffness="1" armature="0.0068"/>
        <joint name="right_shoulder2" type="hinge" axis="0 -1 1" pos="0 0 0" range="-85 60" stiffness="1" armature="0.0051"/>
        <geom name="right_uarm1" type="capsule" size="0.04 0.16" fromto="0 0 0 0.16 -0.16 -0.16"/>
        <body name="right_lower_arm" pos="0.18 -0.18 -0.18">
          <joint name="right_elbow" type="hinge" axis="0 -1 1" pos="0 0 0" range="-90 50" stiffness="0" armature="0.0028"/>
          <geom name="right_larm" type="capsule" size="0.031" fromto="0.01 0.01 0.01 0.17 0.17 0.17"/>
          <geom name="right_hand" type="sphere" size="0.04" pos="0.18 0.18 0.18"/>
        </body>
      </body>
      <body name="left_upper_arm" pos="0 0.17 0.06">
        <joint name="left_shoulder1" type="hinge" axis="2 -1 1" pos="0 0 0" range="-60 85" stiffness="1" armature="0.0068"/>
        <joint name="left_shoulder2" type="hinge" axis="0 1 1" pos="0 0 0" range="-60 85" stiffness="1" armature="0.0051"/>
        <geom name="left_uarm1" type="capsule" size="0.04 0.16" fromto="0 0 0 0.16 0.16 -0.16"/>
        <body name="left_lower_arm" pos="0.18 0.18 -0.18">
          <joint name="left_elbow" type="hinge" axis="0 -1 -1" pos="0 0 0" range="-90 50" stiffness="0" armature="0.0028"/>
          <geom name="left_larm" type="capsule" size="0.031" fromto="0.01 -0.01 0.01 0.17 -0.17 0.17"/>
          <geom name="left_hand" type="sphere" size="0.04" pos="0.18 -0.18 0.18"/>
        </body>
      </body>
    </body>
  </worldbody>
  <tendon>
    <fixed name="left_hipknee">
      <joint joint="left_hip_y" coef="-1"/>
      <joint joint="left_knee" coef="1"/>
    </fixed>
    <fixed name="right_hipknee">
      <joint joint="right_hip_y" coef="-1"/>
      <joint joint="right_knee" coef="1"/>
    </fixed>
  </tendon>
  <actuator>
    <motor name="abdomen_y" joint="abdomen_y" gear="100"/>
    <motor name="abdomen_z" joint="abdomen_z" gear="100"/>
    <motor name="abdomen_x" joint="abdomen_x" gear="100"/>
    <motor name="right_hip_x" joint="right_hip_x" gear="100"/>
    <motor name="right_hip_z" joint="right_hip_z" gear="100"/>
    <motor name="right_hip_y" joint="right_hip_y" gear="300"/>
    <motor name="right_knee" joint="right_knee" gear="200"/>
    <motor name="left_hip_x" joint="left_hip_x" gear="100"/>
    <motor name="left_hip_z" joint="left_hip_z" gear="100"/>
    <motor name="left_hip_y" joint="left_hip_y" gear="300"/>
    <motor name="left_knee" joint="left_knee" gear="200"/>
    <motor name="right_shoulder1" joint="right_shoulder1" gear="25"/>
    <motor name="right_shoulder2" joint="right_shoulder2" gear="25"/>
    <motor name="right_elbow" joint="right_elbow" gear="25"/>
    <motor name="left_shoulder1" joint="left_shoulder1" gear="25"/>
    <motor name="left_shoulder2" joint="left_shoulder2" gear="25"/>
    <motor name="left_elbow" joint="left_elbow" gear="25"/>
  </actuator>
</mujoco>
`;
