/**
 * Walker threads: the same result as the main thread, and never a reason for the process to
 * stay alive. The second check runs the built package (`dist`) in a child process, as the CLI does.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { run, subject, tempDir, writeFiles } from './helpers.js';

const OLD = new Date('2024-05-01T00:00:00Z');
const workspace = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function tree(folders: number, perFolder: number) {
  const root = await tempDir();
  const spec: Record<string, Date> = {};
  for (let f = 0; f < folders; f++)
    for (let i = 0; i < perFolder; i++) spec[`p${f % 3}/d${f}/f${i}`] = OLD;
  await writeFiles(root, spec);
  return root;
}

describe('walker threads', () => {
  it('give the same candidates as the main thread', async () => {
    const root = await tree(30, 40);
    const expected = (await run(subject({ threads: 0 }, root).instance, { now: Date.now() })).paths;
    expect(expected).toHaveLength(1200);
    for (const threads of [1, 4]) {
      const { instance } = subject({ threads }, root);
      // The walk starts its threads once the main thread has spent a while stat-ing files, so
      // the first runs may finish on the main thread; each must still give the same candidates.
      // Listen for 'online' as the thread is created: it may come online before the run ends.
      let online: Promise<unknown> | undefined;
      const onWorker = (worker: Worker) => void (online ??= once(worker, 'online'));
      process.on('worker', onWorker);
      try {
        while (!online) expect((await run(instance, { now: Date.now() })).paths).toEqual(expected);
      } finally {
        process.off('worker', onWorker);
      }
      await online;
      expect((await run(instance, { now: Date.now() })).paths).toEqual(expected);
      expect(instance.describe().dirsInThreads).toBeGreaterThan(0);
    }
  });

  it('never keep the process alive, used or not', async () => {
    const script = `
      import { mtimeStrategy } from '@recsync/strategy-mtime';
      const [source, writeOnce] = [process.argv[1], process.argv[2] === 'prune'];
      const instance = mtimeStrategy.create(mtimeStrategy.options.parse({ writeOnce }), {
        source,
        followSymlinks: false,
        warn() {},
      });
      let n = 0;
      const request = { cursor: undefined, now: new Date(), signal: new AbortController().signal };
      for await (const p of instance.partitions(request)) for await (const _ of p.files()) n++;
      console.log(n);`;
    for (const [root, count] of [
      [await tree(1, 3), 3],
      [await tree(40, 60), 2400],
    ] as const) {
      for (const mode of ['prune', 'full']) {
        const { stdout } = await promisify(execFile)(
          process.execPath,
          ['--input-type=module', '-e', script, root, mode],
          { cwd: workspace, timeout: 20_000 },
        );
        expect(Number(stdout.trim())).toBe(count);
      }
    }
  });
});
