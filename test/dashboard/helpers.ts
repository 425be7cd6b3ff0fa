import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';

/** A small runs folder: two runs with metrics (one nested), a samples file. Returns the root. */
export function makeRunsFolder(root: string): string {
  const runs = join(root, 'runs');
  const a = join(runs, 'rfm-Pendulum-v1-seed0');
  const b = join(runs, 'sweep', 'sac-Pendulum-v1-seed1');
  for (const [d, algo, seed] of [
    [a, 'rfm', 0],
    [b, 'sac', 1],
  ] as const) {
    mkdirSync(join(d, 'checkpoints'), { recursive: true });
    writeFileSync(join(d, 'config.json'), JSON.stringify({ algo, env: 'Pendulum-v1', seed }));
    const lines = [];
    for (let k = 0; k < 5; k++) {
      lines.push(
        JSON.stringify({
          step: k * 1000,
          'eval/return': -1500 + 250 * k + seed * 40,
          'rfm/ess': 30 - k,
          'loss/critic': 1 / (k + 1),
          temperature: 0.1,
        }),
      );
    }
    writeFileSync(join(d, 'metrics.jsonl'), lines.join('\n') + '\n');
  }
  writeFileSync(
    join(a, 'ring8.samples.json'),
    JSON.stringify({
      format: 'rfm-samples',
      version: 1,
      sets: [{ name: 'flow', points: [0, 0, 1, 1, -1, 0.5] }],
    }),
  );
  writeFileSync(join(root, 'secret.txt'), 'outside the runs folder');
  return runs;
}

/** A raw GET (the path is sent exactly as given, no normalisation). */
export function rawGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
