/**
 * Planar cheetah for cheetah-run, written from the DMC facts sheet (section 3.1).
 * Torso with a head, two three-segment legs; every segment is a capsule of radius 0.046. The compiler
 * rescales all masses so that the robot weighs 14 kg. Joint springs pull every leg joint toward 0.
 */
export const CHEETAH_XML = `
<mujoco model="rfm-cheetah">
  <compiler angle="degree" settotalmass="14"/>
  <option timestep="0.01"/>
  <default>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
    <default class="leg">
      <joint type="hinge" axis="0 1 0" limited="true" damping="0.01" armature="0.1" stiffness="8"/>
      <geom type="capsule" size="0.046" contype="1" conaffinity="1" condim="3" friction="0.4 0.1 0.1"/>
      <default class="root">
        <joint limited="false" damping="0" armature="0" stiffness="0"/>
      </default>
    </default>
  </default>
  <worldbody>
    <geom name="ground" type="plane" pos="98 0 0" size="100 0.8 0.5"/>
    <body name="torso" pos="0 0 0.7" childclass="leg">
      <joint name="rootx" class="root" type="slide" axis="1 0 0"/>
      <joint name="rootz" class="root" type="slide" axis="0 0 1"/>
      <joint name="rooty" class="root" type="hinge" axis="0 1 0"/>
      <geom name="torso" fromto="-0.5 0 0 0.5 0 0"/>
      <geom name="head" pos="0.6 0 0.1" euler="0 50 0" size="0.046 0.15"/>
      <body name="bthigh" pos="-0.5 0 0">
        <joint name="bthigh" range="-30 60" stiffness="240" damping="6"/>
        <geom name="bthigh" pos="0.1 0 -0.13" euler="0 -218 0" size="0.046 0.145"/>
        <body name="bshin" pos="0.16 0 -0.25">
          <joint name="bshin" range="-50 50" stiffness="180" damping="4.5"/>
          <geom name="bshin" pos="-0.14 0 -0.07" euler="0 -116 0" size="0.046 0.15"/>
          <body name="bfoot" pos="-0.28 0 -0.14">
            <joint name="bfoot" range="-230 50" stiffness="120" damping="3"/>
            <geom name="bfoot" pos="0.03 0 -0.097" euler="0 -15 0" size="0.046 0.094"/>
          </body>
        </body>
      </body>
      <body name="fthigh" pos="0.5 0 0">
        <joint name="fthigh" range="-57 0.4" stiffness="180" damping="4.5"/>
        <geom name="fthigh" pos="-0.07 0 -0.12" euler="0 30 0" size="0.046 0.133"/>
        <body name="fshin" pos="-0.14 0 -0.24">
          <joint name="fshin" range="-70 50" stiffness="120" damping="3"/>
          <geom name="fshin" pos="0.065 0 -0.09" euler="0 -34 0" size="0.046 0.106"/>
          <body name="ffoot" pos="0.13 0 -0.18">
            <joint name="ffoot" range="-28 28" stiffness="60" damping="1.5"/>
            <geom name="ffoot" pos="0.045 0 -0.07" euler="0 -34 0" size="0.046 0.07"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="bthigh" joint="bthigh" gear="120"/>
    <motor name="bshin" joint="bshin" gear="90"/>
    <motor name="bfoot" joint="bfoot" gear="60"/>
    <motor name="fthigh" joint="fthigh" gear="90"/>
    <motor name="fshin" joint="fshin" gear="60"/>
    <motor name="ffoot" joint="ffoot" gear="30"/>
  </actuator>
  <sensor>
    <subtreelinvel name="torso_subtreelinvel" body="torso"/>
  </sensor>
</mujoco>
`;
