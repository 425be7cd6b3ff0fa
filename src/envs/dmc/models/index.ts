/** Every authored DMC model, keyed by the domain name of the compiled reference figures. */
import { CHEETAH_XML } from './cheetah.ts';
import { WALKER_XML } from './walker.ts';
import { CARTPOLE_XML } from './cartpole.ts';
import { FINGER_XML } from './finger.ts';
import { FISH_XML } from './fish.ts';
import { PENDULUM_XML } from './pendulum.ts';
import { REACHER_XML } from './reacher.ts';
import { HOPPER_XML } from './hopper.ts';
import { ACROBOT_XML } from './acrobot.ts';
import { BALL_IN_CUP_XML } from './ball_in_cup.ts';
import { HUMANOID_XML } from './humanoid.ts';
import { QUADRUPED_XML } from './quadruped.ts';

export const DMC_MODELS: Readonly<Record<string, string>> = {
  cheetah: CHEETAH_XML,
  walker: WALKER_XML,
  cartpole: CARTPOLE_XML,
  finger: FINGER_XML,
  fish: FISH_XML,
  pendulum: PENDULUM_XML,
  reacher: REACHER_XML,
  hopper: HOPPER_XML,
  acrobot: ACROBOT_XML,
  ball_in_cup: BALL_IN_CUP_XML,
  humanoid: HUMANOID_XML,
  quadruped_run: QUADRUPED_XML,
};
