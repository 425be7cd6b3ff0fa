/**
 * A child process for test/train/faults.test.ts: trains or resumes a tiny run, so that the test
 * can kill it (RFM_FAULT, see src/train/files.ts) at a chosen write point.
 *
 *   node --import tsx test/train/fault-child.ts train OUT NAME STEPS
 *   node --import tsx test/train/fault-child.ts resume RUN STEPS
 */
import { resumeTraining, train } from '../../src/train/index.ts';
import { faultConfig } from './fault-config.ts';

const [mode, a, b, c] = process.argv.slice(2);
if (mode === 'train')
  await train('Pendulum-v1', faultConfig(Number(c)), {
    algo: 'sac',
    seed: 4,
    outDir: a,
    runName: b,
  });
else if (mode === 'resume') await resumeTraining(a, { steps: Number(b), warn: () => {} });
else throw new Error(`fault-child: unknown mode ${mode}`);
