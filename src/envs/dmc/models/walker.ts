/**
 * Planar biped for walker-stand/walk/run, written from the DMC facts sheet (section 3.2).
 * Body geoms collide with the floor only (their conaffinity is 0). Root joint order: rootz, rootx, rooty.
 */
export const WALKER_XML = `
<mujoco model="rfm-walker">
  <compiler angle="degree"/>
  <option timestep="0.0025"/>
  <default>
    <joint damping="0.1" armature="0.01" limited="true" solimplimit="0 0.99 0.01"/>
    <geom contype="1" conaffinity="0" friction="0.7 0.1 0.1"/>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
    <default class="body">
      <geom type="capsule"/>
      <joint type="hinge" axis="0 -1 0"/>
      <default class="root">
        <joint limited="false" damping="0" armature="0"/>
      </default>
    </default>
  </default>
  <worldbody>
    <geom name="floor" type="plane" pos="248 0 0" size="250 0.8 0.2" conaffinity="1"/>
    <body name="torso" pos="0 0 1.3" childclass="body">
      <joint name="rootz" class="root" type="slide" axis="0 0 1"/>
      <joint name="rootx" class="root" type="slide" axis="1 0 0"/>
      <joint name="rooty" class="root" type="hinge" axis="0 1 0"/>
      <geom name="torso" size="0.07 0.3"/>
      <body name="right_thigh" pos="0 -0.05 -0.3">
        <joint name="right_hip" range="-20 100"/>
        <geom name="right_thigh" pos="0 0 -0.225" size="0.05 0.225"/>
        <body name="right_leg" pos="0 0 -0.7">
          <joint name="right_knee" pos="0 0 0.25" range="-150 0"/>
          <geom name="right_leg" size="0.04 0.25"/>
          <body name="right_foot" pos="0.06 0 -0.25">
            <joint name="right_ankle" pos="-0.06 0 0" range="-45 45"/>
            <geom name="right_foot" zaxis="1 0 0" size="0.05 0.1"/>
          </body>
        </body>
      </body>
      <body name="left_thigh" pos="0 0.05 -0.3">
        <joint name="left_hip" range="-20 100"/>
        <geom name="left_thigh" pos="0 0 -0.225" size="0.05 0.225"/>
        <body name="left_leg" pos="0 0 -0.7">
          <joint name="left_knee" pos="0 0 0.25" range="-150 0"/>
          <geom name="left_leg" size="0.04 0.25"/>
          <body name="left_foot" pos="0.06 0 -0.25">
            <joint name="left_ankle" pos="-0.06 0 0" range="-45 45"/>
            <geom name="left_foot" zaxis="1 0 0" size="0.05 0.1"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="right_hip" joint="right_hip" gear="100"/>
    <motor name="right_knee" joint="right_knee" gear="50"/>
    <motor name="right_ankle" joint="right_ankle" gear="20"/>
    <motor name="left_hip" joint="left_hip" gear="100"/>
    <motor name="left_knee" joint="left_knee" gear="50"/>
    <motor name="left_ankle" joint="left_ankle" gear="20"/>
  </actuator>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
  </sensor>
</mujoco>
`;
