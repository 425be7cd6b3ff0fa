/** Every authored DMC model, keyed by the domain name of the compiled reference figures. */
import { CHEETAH_XML } from './cheetah.ts';
import { WALKER_XML } from './walker.ts';
import { CARTPOLE_XML } from './cartpole.ts';
import { FINGER_XML } from './finger.ts';
import { FISH_XML } from './fish.ts';

export const DMC_MODELS: Readonly<Record<string, string>> = {
  cheetah: CHEETAH_XML,
  walker: WALKER_XML,
  cartpole: CARTPOLE_XML,
  finger: FINGER_XML,
  fish: FISH_XML,
};
