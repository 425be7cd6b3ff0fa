/** The authored MJCF models of the Gymnasium MuJoCo v5 environments, by model name. */
import { INVERTED_PENDULUM_XML } from './inverted-pendulum.ts';
import { INVERTED_DOUBLE_PENDULUM_XML } from './inverted-double-pendulum.ts';
import { REACHER_XML } from './reacher.ts';
import { SWIMMER_XML } from './swimmer.ts';
import { HALF_CHEETAH_XML } from './half-cheetah.ts';
import { HOPPER_XML } from './hopper.ts';
import { WALKER2D_XML } from './walker2d.ts';
import { ANT_XML } from './ant.ts';
import { HUMANOID_XML } from './humanoid.ts';

export {
  INVERTED_PENDULUM_XML,
  INVERTED_DOUBLE_PENDULUM_XML,
  REACHER_XML,
  SWIMMER_XML,
  HALF_CHEETAH_XML,
  HOPPER_XML,
  WALKER2D_XML,
  ANT_XML,
  HUMANOID_XML,
};

export const GYM_MODEL_XML: Readonly<Record<string, string>> = {
  InvertedPendulum: INVERTED_PENDULUM_XML,
  InvertedDoublePendulum: INVERTED_DOUBLE_PENDULUM_XML,
  Reacher: REACHER_XML,
  Swimmer: SWIMMER_XML,
  HalfCheetah: HALF_CHEETAH_XML,
  Hopper: HOPPER_XML,
  Walker2d: WALKER2D_XML,
  Ant: ANT_XML,
  Humanoid: HUMANOID_XML,
};
