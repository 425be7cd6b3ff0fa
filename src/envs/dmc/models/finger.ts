/**
 * Two-link finger and free spinner for finger-spin / finger-turn_*, written from the DMC facts sheet
 * (section 3.4). No gravity, elliptic friction cones. The proximal joint has ref -90 degrees, so the drawn
 * geometry (finger hanging down) is qpos0 = [-pi/2, 0, 0]; qpos 0 points the finger toward the spinner.
 */
/** The finger model with a given spinner hinge damping (0.5 as authored; finger-spin uses 0.03). */
export function fingerXml(spinnerDamping = 0.5): string {
  return `
<mujoco model="rfm-finger">
  <compiler angle="degree"/>
  <option timestep="0.01" cone="elliptic" iterations="200">
    <flag gravity="disable"/>
  </option>
  <default>
    <geom solimp="0 0.9 0.01" solref="0.02 1"/>
    <joint type="hinge" axis="0 -1 0"/>
    <motor ctrllimited="true" ctrlrange="-1 1"/>
    <default class="finger">
      <joint damping="2.5" limited="true"/>
      <site type="ellipsoid" size="0.025 0.03 0.025"/>
    </default>
  </default>
  <worldbody>
    <geom name="ground" type="plane" size="0.6 0.2 10"/>
    <site name="target" type="sphere" pos="0 0 0.4" size="0.03"/>
    <body name="proximal" pos="-0.2 0 0.4" childclass="finger">
      <joint name="proximal" range="-110 110" ref="-90"/>
      <geom name="proximal_decoration" type="cylinder" fromto="0 -0.033 0 0 0.033 0" size="0.034"/>
      <geom name="proximal" type="capsule" fromto="0 0 0 0 0 -0.17" size="0.03"/>
      <body name="distal" pos="0 0 -0.18">
        <joint name="distal" range="-110 110"/>
        <geom name="distal" type="capsule" fromto="0 0 0 0 0 -0.16" size="0.028" contype="0" conaffinity="0"/>
        <geom name="fingertip" type="capsule" fromto="0 0 -0.13 0 0 -0.161" size="0.03"/>
        <site name="touchtop" pos="0.01 0 -0.17"/>
        <site name="touchbottom" pos="-0.01 0 -0.17"/>
      </body>
    </body>
    <body name="spinner" pos="0.2 0 0.4">
      <joint name="hinge" damping="${spinnerDamping}" frictionloss="0.1"/>
      <geom name="cap1" type="capsule" pos="0.02 0 0" size="0.04 0.09"/>
      <geom name="cap2" type="capsule" pos="-0.02 0 0" size="0.04 0.09"/>
      <geom name="spinner_decoration" type="cylinder" fromto="0 -0.045 0 0 0.045 0" size="0.02"/>
      <site name="tip" type="sphere" pos="0 0 0.13" size="0.02"/>
    </body>
  </worldbody>
  <actuator>
    <motor name="proximal" joint="proximal" gear="30"/>
    <motor name="distal" joint="distal" gear="15"/>
  </actuator>
  <sensor>
    <jointpos name="proximal" joint="proximal"/>
    <jointpos name="distal" joint="distal"/>
    <jointvel name="proximal_velocity" joint="proximal"/>
    <jointvel name="distal_velocity" joint="distal"/>
    <jointvel name="hinge_velocity" joint="hinge"/>
    <framepos name="tip" objtype="site" objname="tip"/>
    <framepos name="target" objtype="site" objname="target"/>
    <framepos name="spinner" objtype="xbody" objname="spinner"/>
    <touch name="touchtop" site="touchtop"/>
    <touch name="touchbottom" site="touchbottom"/>
    <framepos name="touchtop_pos" objtype="site" objname="touchtop"/>
    <framepos name="touchbottom_pos" objtype="site" objname="touchbottom"/>
  </sensor>
</mujoco>
`;
}

export const FINGER_XML = fingerXml(0.5);
