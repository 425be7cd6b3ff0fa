/**
 * Three-segment swimmer in a viscous medium, for Swimmer-v5. Authored from the facts sheet's numbers.
 * Propulsion comes from MuJoCo's inertia-box fluid model (option density 4000, viscosity 0.1).
 * No contacts (contype = conaffinity = 0). Angles in degrees. Geoms are unnamed, as in the reference model.
 */
export const SWIMMER_XML = `<mujoco model="swimmer">
  <compiler angle="degree" inertiafromgeom="true"/>
  <option timestep="0.01" integrator="RK4" density="4000" viscosity="0.1"/>
  <default>
    <geom contype="0" conaffinity="0" condim="1"/>
    <joint armature="0.1"/>
  </default>
  <worldbody>
    <geom name="floor" type="plane" size="40 40 0.1" pos="0 0 -0.1" condim="3"/>
    <body name="torso" pos="0 0 0">
      <joint name="slider1" type="slide" axis="1 0 0" pos="0 0 0"/>
      <joint name="slider2" type="slide" axis="0 1 0" pos="0 0 0"/>
      <joint name="free_body_rot" type="hinge" axis="0 0 1" pos="0 0 0"/>
      <geom type="capsule" size="0.1" fromto="1.5 0 0 0.5 0 0" density="1000"/>
      <body name="mid" pos="0.5 0 0">
        <joint name="motor1_rot" type="hinge" axis="0 0 1" pos="0 0 0" limited="true" range="-100 100"/>
        <geom type="capsule" size="0.1" fromto="0 0 0 -1 0 0" density="1000"/>
        <body name="back" pos="-1 0 0">
          <joint name="motor2_rot" type="hinge" axis="0 0 1" pos="0 0 0" limited="true" range="-100 100"/>
          <geom type="capsule" size="0.1" fromto="0 0 0 -1 0 0" density="1000"/>
        </body>
      </body>
    </body>
  </worldbody>
  <actuator>
    <motor joint="motor1_rot" gear="150" ctrllimited="true" ctrlrange="-1 1"/>
    <motor joint="motor2_rot" gear="150" ctrllimited="true" ctrlrange="-1 1"/>
  </actuator>
</mujoco>
`;
