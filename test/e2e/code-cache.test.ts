/**
 * The code cache the command line keeps on Node versions without `module.enableCompileCache`
 * (packages/cli/bin/code-cache.js): written by a first run, used by the next, rewritten when
 * corrupt, and never a reason for a command to fail; kept only in a folder this user alone may
 * write, and off when asked.
 */
import { execFile } from 'node:child_process';
import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestClient } from '@recsync/framework/testing';
import { runCli, writeConfig, writeProbeConfig } from '../support/cli.js';
import { asRoot } from '../support/users.js';

const run = promisify(execFile);
const CJS = fileURLToPath(new URL('../../packages/cli/dist/bundle/cjs/', import.meta.url));
const LOADER = fileURLToPath(new URL('../../packages/cli/bin/code-cache.js', import.meta.url));
const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());

/** `recsync status` with its own cache home; the loader's debug lines are in `cache`. */
async function status(cwd: string, cacheHome: string, env: Record<string, string> = {}) {
  const result = await runCli(['status'], {
    cwd,
    env: { XDG_CACHE_HOME: cacheHome, RECSYNC_COMPILE_CACHE_DEBUG: '1', ...env },
  });
  const cache = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('recsync compile cache: '))
    .map((line) => line.slice('recsync compile cache: '.length));
  const stderr = result.stderr
    .split('\n')
    .filter((line) => !line.startsWith('recsync compile cache: '))
    .join('\n');
  return { code: result.code, stdout: result.stdout, stderr, cache };
}

async function files(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

// Node 22.1+ uses Node's own compile cache (bin/run.js): this one is for the versions before it.
const nodeCompileCache = 'enableCompileCache' in module;
describe.skipIf(nodeCompileCache)('the code cache (Node 20)', () => {
  let cwd: string;
  /** What `recsync status` prints without any cache. */
  let expected: { code: number | null; stdout: string };

  beforeAll(async () => {
    const source = await mkdtemp(path.join(os.tmpdir(), 'recsync-cc-src-'));
    cwd = await writeConfig({ source, bucket: 'code-cache', endpoint });
    const off = await status(cwd, await mkdtemp(path.join(os.tmpdir(), 'recsync-cc-')), {
      RECSYNC_COMPILE_CACHE: '0',
    });
    expect(off.code).toBe(0);
    expect(off.stdout).toContain('rec');
    expected = { code: off.code, stdout: off.stdout };
  });

  it('is written by a first run, in a folder of this user alone; the next uses it', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'recsync-cc-'));
    const dir = path.join(home, 'recsync');
    // files of other builds: one not read for 60 days (deleted), one read now (kept)
    await mkdir(dir, { mode: 0o700 });
    const old = path.join(dir, `cli-${'0'.repeat(32)}.bin`);
    const recent = path.join(dir, `cli-${'1'.repeat(32)}.bin`);
    await writeFile(old, 'x', { mode: 0o600 });
    await writeFile(recent, 'x', { mode: 0o600 });
    const sixtyDaysAgo = new Date(Date.now() - 60 * 24 * 3600_000);
    await utimes(old, sixtyDaysAgo, sixtyDaysAgo);
    const first = await status(cwd, home);
    expect({ code: first.code, stdout: first.stdout }).toEqual(expected);
    expect(await files(dir)).toContain(path.basename(recent));
    await rm(recent);
    const written = await files(dir);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^cli-[0-9a-f]{32}\.bin$/);
    expect(first.cache).toEqual([`wrote ${path.join(dir, written[0]!)}`]);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, written[0]!))).mode & 0o777).toBe(0o600);

    const second = await status(cwd, home);
    expect({ code: second.code, stdout: second.stdout }).toEqual(expected);
    // used (V8 accepted it: a rejected cache says "rejected" and is written again)
    expect(second.cache).toEqual([`used ${path.join(dir, written[0]!)}`]);
    expect(await files(dir)).toEqual(written);
  });

  it('a corrupt or truncated cache file: the command as usual, the file rewritten', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'recsync-cc-'));
    const dir = path.join(home, 'recsync');
    await status(cwd, home);
    const [name] = await files(dir);
    const file = path.join(dir, name!);
    const good = await readFile(file);

    for (const bad of [good.subarray(0, 1000), Buffer.alloc(good.length, 7)]) {
      await writeFile(file, bad);
      const result = await status(cwd, home);
      expect({ code: result.code, stdout: result.stdout }).toEqual(expected);
      expect(result.stderr).toBe('');
      expect(result.cache).toEqual([`rejected ${file}`, `wrote ${file}`]);
      expect((await readFile(file)).equals(bad)).toBe(false);
      expect((await status(cwd, home)).cache).toEqual([`used ${file}`]);
    }
  });

  it('runs the command as usual, writing nothing, where no cache folder can be made', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'recsync-cc-'));
    // the cache home is a file: no folder can be made in it (also as root)
    const notADir = path.join(home, 'file');
    await writeFile(notADir, '');
    const result = await status(cwd, notADir);
    expect({ code: result.code, stdout: result.stdout }).toEqual(expected);
    expect(result.stderr).toBe('');
    expect(result.cache).toEqual([`not using ${path.join(notADir, 'recsync')}: ENOTDIR`]);
    expect(await files(home)).toEqual(['file']);
  });

  it('does not use a folder others may write to, or another user owns', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'recsync-cc-'));
    const dir = path.join(home, 'recsync');
    await mkdir(dir);
    await chmod(dir, 0o777);
    const open = await status(cwd, home);
    expect({ code: open.code, stdout: open.stdout }).toEqual(expected);
    expect(open.cache).toEqual([`not using ${dir}: not a folder only this user can write`]);
    expect(await files(dir)).toEqual([]);

    await chmod(dir, 0o720); // group-writable
    expect((await status(cwd, home)).cache).toEqual([
      `not using ${dir}: not a folder only this user can write`,
    ]);
    expect(await files(dir)).toEqual([]);

    if (asRoot) {
      await chmod(dir, 0o700);
      await chown(dir, 65534, 65534);
      expect((await status(cwd, home)).cache).toEqual([
        `not using ${dir}: not a folder only this user can write`,
      ]);
      expect(await files(dir)).toEqual([]);
    }
    await chmod(dir, 0o700);
    if (asRoot) await chown(dir, 0, 0);
    expect((await status(cwd, home)).cache[0]).toMatch(/^wrote /);
  });

  it('is off with RECSYNC_COMPILE_CACHE=0 or NODE_DISABLE_COMPILE_CACHE', async () => {
    const envs: Record<string, string>[] = [
      { RECSYNC_COMPILE_CACHE: '0' },
      { NODE_DISABLE_COMPILE_CACHE: '1' },
    ];
    for (const env of envs) {
      const home = await mkdtemp(path.join(os.tmpdir(), 'recsync-cc-'));
      const result = await status(cwd, home, env);
      expect({ code: result.code, stdout: result.stdout }).toEqual(expected);
      expect(result.cache).toEqual(['off']);
      expect(await files(home)).toEqual([]);
    }
  });

  it("gives a config's @recsync/* imports the instance the commands use", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-cc-'));
    await writeProbeConfig(dir);
    // loaded as bin/run.js loads it, in a real Node process
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { load } = await import(${JSON.stringify(LOADER)});
         const cli = load(${JSON.stringify(path.join(CJS, 'cli.cjs'))});
         globalThis[Symbol.for('recsync.cli')] = cli;
         const config = await cli.commands.loadConfig({ cwd: process.cwd() });
         const plugin = config.jobs[0].plugins.find((p) => p.name === 'probe');
         console.log(plugin.errorClass === cli.framework.RecsyncError);`,
      ],
      { cwd: dir, env: { ...process.env, RECSYNC_COMPILE_CACHE: '0' } },
    );
    expect(stdout.trim()).toBe('true');
  });

  it("starts the mtime walker thread from where the CommonJS build's walker looks", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-cc-'));
    await writeFile(path.join(dir, 'a.txt'), 'a');
    // what strategy-mtime's runner does: new Worker(new URL('./scan.js', import.meta.url)), whose
    // import.meta.url is the CommonJS file's
    const task = {
      dir,
      files: true,
      subdirs: true,
      subdirLimit: 1e9,
      all: true,
      cutoff: 0,
      until: 1e15,
      ctime: false,
      statDirs: false,
      follow: false,
      rootReal: dir,
      small: true,
    };
    const code = `import { Worker } from 'node:worker_threads';
      const [base, task] = process.argv.slice(1);
      const url = new URL('./scan.js', base);
      const worker = new Worker(url, { workerData: 'recsync-mtime-walker', execArgv: [] });
      worker.on('message', (m) => {
        console.log(JSON.stringify(m.chunk.names));
        worker.terminate();
      });
      worker.postMessage({ type: 'start', id: 1, task: JSON.parse(task) });`;
    const base = pathToFileURL(path.join(CJS, 'cli.cjs')).href;
    const { stdout } = await run(
      process.execPath,
      ['--input-type=module', '-e', code, base, JSON.stringify(task)],
      { cwd: dir },
    );
    expect(JSON.parse(stdout)).toContain('a.txt');
  });
});
