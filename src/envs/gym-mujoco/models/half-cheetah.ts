/**
 * Planar two-legged runner, for HalfCheetah-v5. Authored from the facts sheet's numbers.
 * Angles in radians (geom tilts are axis-angle about y). Body masses come from capsule volumes at density 1000,
 * then `settotalmass` rescales the whole robot to 14 kg. Semi-implicit Euler integrator, timestep 0.01.
 * Robot geoms have conaffinity 0: only robot-floor contacts.
 */
export const HALF_CHEETAH_XML = `<mujoco model="cheetah">
  <compiler angle="radian" inertiafromgeom="true" settotalmass="14"/>
  <option timestep="0.01" gravity="0 0 -9.81"/>
  <size nuser_geom="1"/>
  <default>
    <joint limited="true" armature="0.1" damping="0.01" stiffness="8" solreflimit="0.02 1" solimplimit="0 0.8 0.03"/>
    <geom contype="1" conaffinity="0" condim="3" friction="0.4 0.1 0.1" solref="0.02 1" solimp="0 0.8 0.01"/>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 40" pos="0 0 0" conaffinity="1" condim="3"/>
    <body name="torso" pos="0 0 0.7">
      <joint name="rootx" type="slide" axis="1 0 0" pos="0 0 0" limited="false" armature="0" damping="0" stiffness="0"/>
      <joint name="rootz" type="slide" axis="0 0 1" pos="0 0 0" limited="false" armature="0" damping="0" stiffness="0"/>
      <joint name="rooty" type="hinge" axis="0 1 0" pos="0 0 0" limited="false" armature="0" damping="0" stiffness="0"/>
      <geom name="torso" type="capsule" size="0.046" fromto="-0.5 0 0 0.5 0 0"/>
      <geom name="head" type="capsule" size="0.046 0.15" pos="0.6 0 0.1" axisangle="0 1 0 0.87"/>
      <body name="bthigh" pos="-0.5 0 0">
        <joint name="bthigh" type="hinge" axis="0 1 0" pos="0 0 0" range="-0.52 1.05" stiffness="240" damping="6"/>
        <geom name="bthigh" type="capsule" size="0.046 0.145" pos="0.1 0 -0.13" axisangle="0 1 0 -3.8"/>
        <body name="bshin" pos="0.16 0 -0.25">
          <joint name="bshin" type="hinge" axis="0 1 0" pos="0 0 0" range="-0.785 0.785" stiffness="180" damping="4.5"/>
          <geom name="bshin" type="capsule" size="0.046 0.15" pos="-0.14 0 -0.07" axisangle="0 1 0 -2.03"/>
          <body name="bfoot" pos="-0.28 0 -0.14">
            <joint name="bfoot" type="hinge" axis="0 1 0" pos="0 0 0" range="-0.4 0.785" stiffness="120" damping="3"/>
            <geom name="bfoot" type="capsule" size="0.046 0.094" pos="0.03 0 -0.097" axisangle="0 1 0 -0.27"/>
          </body>
        </body>
      </body>
      <body name="fthigh" pos="0.5 0 0">
        <joint name="fthigh" type="hinge" axis="0 1 0" pos="0 0 0" range="-1 0.7" stiffness="180" damping="4.5"/>
        <geom name="fthigh" type="capsule" size="0.046 0.133" pos="-0.07 0 -0.12" axisangle="0 1 0 0.52"/>
        <body name="fshin" pos="-0.14 0 -0.24">
          <joint name="fshin" type="hinge" axis="0 1 0" pos="0 0 0" range="-1.2 0.87" stiffness="120" damping="3"/>
          <geom name="fshin" type="capsule" size="0.046 0.106" pos="0.065 0 -0.09" axisangle="0 1 0 -0.6"/>
          <body name="ffoot" pos="0.13 0 -0.18">
            <joint name="ffoot" type="hinge" axis="0 1 0" pos="0 0 0" range="-0.5 0.5" stiffness="60" damping="1.5"/>
            <geom name="ffoot" type="capsule" size="0.046 0.07" pos="0.045 0 -0.07" axisangle="0 1 0 -0.6"/>
          </body>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor name="bthigh" joint="bthigh" gear="120"/>
    <motor name="bshin" joint="bshin" gear="90"/>
    <motor name="bfoot" joint="bfoot" gear="60"/>
    <motor name="fthigh" joint="fthigh" gear="120"/>
    <motor name="fshin" joint="fshin" gear="60"/>
    <motor name="ffoot" joint="ffoot" gear="30"/>
  </actuator>
</mujoco>
`;
