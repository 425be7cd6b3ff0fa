import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listEnvs } from '../../src/envs/registry.ts';
import { ENV_SIZES } from '../../src/envs/sizes.ts';

test('ENV_SIZES holds every registered environment with the sizes its spaces have', async () => {
  const ids = listEnvs().map((s) => s.id);
  assert.deepEqual(Object.keys(ENV_SIZES).sort(), [...ids].sort());
  for (const spec of listEnvs()) {
    const env = await spec.make();
    assert.deepEqual(
      ENV_SIZES[spec.id],
      [env.observationSpace.size, env.actionSpace.size],
      spec.id,
    );
    env.close();
  }
});
