/**
 * The body of an AsyncVectorEnv worker (loaded by vector-worker.mjs): builds one env by id through
 * the registry, reports its spaces, then answers reset / step / close requests one at a time.
 * Steps use the same same-step autoreset as SyncVectorEnv, so both produce the same numbers.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Env } from './core.ts';
import { makeEnv, type MakeEnvOptions } from './registry.ts';
import { autoresetStep, type WorkerReady, type WorkerReply, type WorkerRequest } from './vector.ts';

interface Data {
  id: string;
  makeOptions: MakeEnvOptions;
  workerImports: string[];
}

const port = parentPort;
if (!port) throw new Error('vector-worker.ts must run in a worker thread');

function failure(e: unknown): WorkerReply {
  const err = e instanceof Error ? e : new Error(String(e));
  return { ok: false, message: err.message, stack: err.stack };
}

let env: Env | undefined;
try {
  const data = workerData as Data;
  for (const m of data.workerImports) await import(m);
  env = await makeEnv(data.id, data.makeOptions);
  const o = env.observationSpace;
  const a = env.actionSpace;
  const ready: WorkerReady = {
    ok: true,
    ready: true,
    obs: { low: o.low, high: o.high, shape: [...o.shape] },
    act: { low: a.low, high: a.high, shape: [...a.shape] },
  };
  port.postMessage(ready);
} catch (e) {
  port.postMessage(failure(e));
}

port.on('message', (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    if (!env) throw new Error('worker has no env (building it failed)');
    if (req.cmd === 'reset') {
      const [obs, info] = env.reset(req.seed === undefined ? {} : { seed: req.seed });
      reply = { ok: true, obs, info };
    } else if (req.cmd === 'step') {
      const [obs, reward, terminated, truncated, info] = autoresetStep(env, req.action);
      reply = { ok: true, obs, info, reward, terminated, truncated };
    } else if (req.cmd === 'close') {
      env.close();
      env = undefined;
      reply = { ok: true, obs: new Float64Array(0), info: {} };
    } else {
      throw new Error(`unknown request ${JSON.stringify(req)}`);
    }
  } catch (e) {
    reply = failure(e);
  }
  try {
    port.postMessage(reply);
  } catch (e) {
    // e.g. an info value that cannot be cloned: say so rather than hang the parent
    port.postMessage(
      failure(new Error(`cannot send the reply to the parent: ${(e as Error).message}`)),
    );
  }
});
