/**
 * Sweeps on BullMQ with a real Redis (a private redis-server on a free loopback port), through the
 * CLI: `rfm sweep GRID --queue`, two `rfm worker` processes, `rfm sweep status`. A grid of 4 tiny
 * runs finishes with every run trained once; a worker killed with SIGKILL mid-run loses its job to
 * another worker, which resumes it from its checkpoint to the same result as an uninterrupted run;
 * a Redis restart mid-sweep is ridden out; an unreachable Redis and tampered job payloads are
 * one-line errors that run nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { loadGrid, toPayload } from '../../src/sweep/grid.ts';
import { startRun } from '../../src/sweep/runner.ts';
import { parseRedisUrl, queueStatus, QUEUE_NAME, type JobStatus } from '../../src/sweep/queue.ts';
import { LOCK_FILE } from '../../src/sweep/lock.ts';
import {
  finalTensorsHash,
  freePort,
  hasRedis,
  metricRows,
  noTime,
  runCli,
  runDirs,
  startCli,
  stepsOk,
  FAILING_GRID,
  tempDir,
  TestRedis,
  tinyGrid,
  trainStarts,
  waitFor,
  writeFile,
} from './helpers.ts';

const STEPS = 400;
const LOCK_MS = '1500';

describe(
  'rfm sweep --queue and rfm worker (BullMQ on Redis)',
  { skip: !hasRedis() && !process.env.CI && 'redis-server is not installed (.ci/run installs it)' },
  () => {
    let redis: TestRedis;
    let dir: string;
    const root = 'shared-root';
    const workers: ReturnType<typeof startCli>[] = [];
    const startWorker = () => {
      const w = startCli(
        ['worker', '--queue', redis.url, '--out', root, '--lock-ms', LOCK_MS],
        dir,
      );
      workers.push(w);
      return w;
    };
    const jobs = async (sweep: string): Promise<JobStatus[]> =>
      queueStatus(parseRedisUrl(redis.url), sweep);
    const allCompleted = (sweep: string, n: number) => async () => {
      const js = await jobs(sweep);
      assert.equal(
        js.filter((j) => j.state === 'failed').length,
        0,
        JSON.stringify(js.filter((j) => j.state === 'failed')),
      );
      return js.length === n && js.every((j) => j.state === 'completed') ? js : null;
    };

    /** A run folder of `sweepDir` that worker `pid` is training and that has logged a few rows. */
    const runOf = (sweepDir: string, pid: number) =>
      runDirs(sweepDir).find((d) => {
        const lock = join(d, LOCK_FILE);
        if (!existsSync(lock) || metricRows(d).length < 3) return false;
        try {
          return (JSON.parse(readFileSync(lock, 'utf8')) as { pids: number[] }).pids[0] === pid;
        } catch {
          return false;
        }
      });
    const live = () =>
      workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);

    before(async () => {
      redis = await TestRedis.start();
      dir = tempDir('sweep-queue');
    });
    after(async () => {
      for (const w of workers)
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGINT');
      await Promise.all(workers.map((w) => w.done));
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('an unreachable Redis or a bad URL is a one-line error, and nothing runs', async () => {
      const grid = writeFile(dir, 'unreach.yaml', tinyGrid('unreach', STEPS));
      const url = `redis://127.0.0.1:${await freePort()}`;
      const calls = [
        ['sweep', grid, '--queue', url],
        ['worker', '--queue', url, '--out', 'nowhere'],
        ['sweep', 'status', '--queue', url],
      ];
      const results = await Promise.all(calls.map((args) => runCli(args, dir)));
      for (const [i, r] of results.entries()) {
        assert.equal(r.code, 1, `${calls[i].join(' ')}: ${r.stdout}${r.stderr}`);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, /cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
      }
      const bad = await runCli(['sweep', grid, '--queue', 'http://127.0.0.1:1'], dir);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /must be a redis:\/\/ or rediss:\/\/ URL/);
      assert.ok(!existsSync(join(dir, 'nowhere')) && !existsSync(join(dir, 'sweeps')));
    });

    test('tampered job payloads are failed at once with a one-line reason, and nothing runs', async () => {
      const spec = loadGrid(writeFile(dir, 'evil.yaml', tinyGrid('evil', STEPS))).runs[0];
      const good = toPayload(spec);
      const q = new Queue(QUEUE_NAME, {
        connection: { ...parseRedisUrl(redis.url), maxRetriesPerRequest: null } as never,
      });
      try {
        const longer = { ...good, config: { ...good.config, 'train.steps': 1_000_000 } };
        const escape = { ...good, sweep: '..' };
        const extra = { ...good, command: 'sh -c "touch pwned"' };
        await q.add('train', longer, { jobId: `evil/${good.id}`, attempts: 3 });
        await q.add('train', escape, { jobId: 'evil/escape', attempts: 3 });
        await q.add('train', extra, { jobId: 'evil/extra', attempts: 3 });
        await q.add('train', good, { jobId: 'evil/wrong-id', attempts: 3 });
        startWorker();
        const js = await waitFor(
          async () => {
            const all = await jobs('evil');
            return all.length === 4 && all.every((j) => j.state === 'failed') ? all : null;
          },
          30_000,
          'the tampered jobs to fail',
        );
        const reason = Object.fromEntries(js.map((j) => [j.id, j.error ?? '']));
        assert.match(
          reason[`evil/${good.id}`],
          /^refused job payload: run id \S+ does not match its config .*altered/,
        );
        assert.match(
          reason['evil/escape'],
          /^refused job payload: sweep name "\.\." is not a plain folder name/,
        );
        assert.match(reason['evil/extra'], /^refused job payload: unexpected key 'command'/);
        assert.match(
          reason['evil/wrong-id'],
          /^refused job payload: job id evil\/wrong-id does not name run/,
        );
        for (const j of js) assert.equal(j.attempts, 1, `${j.id}: failed at once, no retries`);
        assert.ok(!existsSync(join(dir, root, 'evil')), 'no run folder');
        assert.ok(!existsSync(join(dir, 'pwned')) && !existsSync(join(dir, root, 'pwned')));
      } finally {
        await q.close();
      }
    });

    test('two workers, 4 runs: each trains once; a worker killed with SIGKILL mid-run is resumed elsewhere, equal to an uninterrupted run', async () => {
      const gridPath = writeFile(dir, 'q1.yaml', tinyGrid('q1', STEPS));
      const enq = await runCli(['sweep', gridPath, '--queue', redis.url], dir);
      assert.equal(enq.code, 0, enq.stderr);
      assert.match(enq.stdout, /4 runs enqueued/);
      const victim = workers.length === 1 ? startWorker() : workers[workers.length - 1];
      if (workers.length < 2) startWorker();
      const sweepDir = join(dir, root, 'q1');
      // Kill the victim once one of its runs has logged a few rows (and so holds checkpoints).
      const held = await waitFor(
        () => runOf(sweepDir, victim.child.pid!),
        60_000,
        'a run of the victim worker to be under way',
      );
      victim.child.kill('SIGKILL');
      await victim.done;
      startWorker(); // a replacement, as a cluster would bring up
      const js = await waitFor(allCompleted('q1', 4), 120_000, 'all 4 runs to complete');
      assert.equal(js.length, 4);
      const runs = runDirs(sweepDir);
      assert.equal(runs.length, 4);
      for (const run of runs) {
        assert.ok(existsSync(join(run, 'done.json')), run);
        assert.ok(stepsOk(run, STEPS), `${run}: steps ${metricRows(run).map((x) => x.step)}`);
        assert.equal(trainStarts(run).fresh, 1, `${run} started from step 0 once`);
      }
      assert.ok(trainStarts(held).resumed >= 1, 'the killed run was resumed');
      // Its orphaned rfm train noticed the worker's death and stopped itself with a checkpoint.
      assert.match(
        readFileSync(join(held, 'sweep.log'), 'utf8'),
        /interrupted at step \d+; checkpoint written/,
      );

      // The same run, uninterrupted, gives the same metrics and the same final state.
      const spec = loadGrid(gridPath).runs.find((r) => held.endsWith(r.id))!;
      const ref = await startRun(spec, join(dir, 'reference')).promise;
      assert.equal(ref.state, 'done');
      const refDir = join(dir, 'reference', spec.id);
      assert.deepEqual(noTime(metricRows(held)), noTime(metricRows(refDir)));
      assert.equal(finalTensorsHash(held), finalTensorsHash(refDir));

      const st = await runCli(['sweep', 'status', '--queue', redis.url, '--sweep', 'q1'], dir);
      assert.equal(st.code, 0, st.stderr);
      assert.equal(
        (st.stdout.match(/^completed q1\/\S+ step 400\/400 final return -?\d+\.\d\d/gm) ?? [])
          .length,
        4,
        st.stdout,
      );
      assert.match(st.stdout, /4 runs: 4 done, 0 running, 0 waiting, 0 failed/);
      const again = await runCli(['sweep', gridPath, '--queue', redis.url], dir);
      assert.match(
        again.stdout,
        /0 runs enqueued, 0 failed runs retried, 4 already queued or done/,
      );
    });

    test('Ctrl-C on a worker puts its job back; Redis restarted mid-sweep: the workers reconnect; the sweep completes, each run trained once', async () => {
      const gridPath = writeFile(dir, 'q2.yaml', tinyGrid('q2', STEPS));
      while (live().length < 2) startWorker();
      const enq = await runCli(['sweep', gridPath, '--queue', redis.url], dir);
      assert.equal(enq.code, 0, enq.stderr);
      const sweepDir = join(dir, root, 'q2');
      // Ctrl-C on one worker: its run writes a checkpoint, its job goes back, and the worker exits.
      const quitter = live()[0];
      const stopped = await waitFor(
        () => runOf(sweepDir, quitter.child.pid!),
        60_000,
        'a run of the first worker to be under way',
      );
      quitter.child.kill('SIGINT');
      const q = await quitter.done;
      assert.equal(q.code, 130, q.stdout + q.stderr);
      assert.match(q.stdout, /stopped q2\/\S+ at step \d+ \(resumable\); putting the job back/);
      startWorker();
      await waitFor(
        () => runDirs(sweepDir).some((d) => d !== stopped && metricRows(d).length >= 2),
        60_000,
        'the sweep to go on',
      );
      await redis.restart();
      await waitFor(allCompleted('q2', 4), 120_000, 'all 4 runs to complete after the restart');
      const runs = runDirs(sweepDir);
      assert.equal(runs.length, 4);
      for (const run of runs) {
        assert.ok(existsSync(join(run, 'done.json')), run);
        assert.ok(stepsOk(run, STEPS), `${run}: steps ${metricRows(run).map((x) => x.step)}`);
        assert.equal(trainStarts(run).fresh, 1, run);
      }
      assert.ok(trainStarts(stopped).resumed >= 1, 'the stopped run was resumed');
    });

    test('a job that fails 3 times is failed with its error; the rest of the sweep goes on', async () => {
      const g = writeFile(dir, 'failing.yaml', FAILING_GRID);
      while (live().length < 2) startWorker();
      assert.equal((await runCli(['sweep', g, '--queue', redis.url], dir)).code, 0);
      const js = await waitFor(
        async () => {
          const all = await jobs('failing');
          return all.length === 2 &&
            all.every((j) => j.state === 'completed' || j.state === 'failed')
            ? all
            : null;
        },
        120_000,
        'both jobs to finish',
      );
      const failed = js.find((j) => j.state === 'failed')!;
      assert.ok(failed, JSON.stringify(js));
      assert.equal(failed.attempts, 3);
      assert.match(
        failed.error!,
        /^rfm train: loss\/\w+ is (Infinity|NaN) at step \d+.*\(exit code 1\)$/,
      );
      assert.equal(js.filter((j) => j.state === 'completed').length, 1);
      // --watch redraws until every run has finished: here, at once
      const st = await runCli(
        ['sweep', 'status', '--queue', redis.url, '--sweep', 'failing', '--watch', '1'],
        dir,
      );
      assert.equal(st.code, 0, st.stderr);
      assert.match(st.stdout, /^--- \d{4}-\d\d-\d\dT/);
      assert.match(st.stdout, /^failed +failing\/\S+ .*\(failed tries 3\) error: rfm train: loss/m);
      assert.match(st.stdout, /2 runs: 1 done, 0 running, 0 waiting, 1 failed/);
      // Enqueuing the grid again retries the failed run (and only it).
      const again = await runCli(['sweep', g, '--queue', redis.url], dir);
      assert.match(
        again.stdout,
        /0 runs enqueued, 1 failed runs retried, 1 already queued or done/,
      );
      assert.notEqual((await jobs('failing')).find((j) => j.id === failed.id)!.state, 'failed');
    });
  },
);
