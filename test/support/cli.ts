/**
 * Runs the built `recsync` binary as a user would: a temporary archive, a config file written
 * next to it (no node_modules there: `@recsync/*` imports resolve to the CLI's own packages),
 * and the real local S3 server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TreeSpec } from '@recsync/framework/testing';

export const BIN = fileURLToPath(new URL('../../packages/cli/bin/run.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Run as this user and group (tests run as root, where permissions stop nothing). */
  user?: { uid: number; gid: number };
}

export function startCli(
  args: string[],
  options: CliOptions,
): { child: ChildProcess; done: Promise<CliResult>; stdout: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
    env: { ...process.env, NO_COLOR: '1', OCLIF_COLUMNS: '200', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    // A binary that cannot be started (permissions, a missing file) fails the test at once.
    child.on('error', (error) =>
      resolve({
        code: null,
        signal: null,
        stdout,
        stderr: `${stderr}spawn failed: ${error.message}`,
      }),
    );
  });
  return { child, done, stdout: () => stdout };
}

export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Writes `recsync.config.ts` for one date-folder job, with an optional gate plugin for tests. */
export async function writeConfig(options: {
  source: string;
  bucket: string;
  endpoint: string;
  extra?: string;
}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-cli-'));
  const file = path.join(dir, 'recsync.config.ts');
  await writeFile(
    file,
    `import { existsSync } from 'node:fs';
import { defineConfig, definePlugin } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';

// Test gate: lets GATE_PASS uploads through, then holds the rest until the file GATE exists.
const gate = process.env.GATE;
let passed = 0;
const gatePlugin = definePlugin({
  name: 'test-gate',
  apply(hooks) {
    hooks.beforeUpload.tapPromise('test-gate', async (input) => {
      if (!gate || passed++ < Number(process.env.GATE_PASS ?? 0)) return input;
      while (!existsSync(gate)) await new Promise((r) => setTimeout(r, 20));
      return input;
    });
  },
});

export default defineConfig({
  jobs: {
    rec: {
      source: ${JSON.stringify(options.source)},
      target: {
        bucket: ${JSON.stringify(options.bucket)},
        endpoint: ${JSON.stringify(options.endpoint)},
        forcePathStyle: true,
      },
      strategy: dateFolders({ layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC', lookback: 1 }),
      upload: { concurrency: 2 },
      plugins: [gatePlugin],
      ${options.extra ?? ''}
    },
  },
});
`,
  );
  return dir;
}

/** Polls until `check` is true (bounded: fails after `limit` ms). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  limit = 30_000,
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > limit) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The last `count` UTC dates before today, oldest first. */
export function recentDays(count: number): string[] {
  const today = Date.UTC(
    new Date().getUTCFullYear(),
    new Date().getUTCMonth(),
    new Date().getUTCDate(),
  );
  return Array.from({ length: count }, (_, i) =>
    new Date(today - (count - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

/**
 * A `recsync.config.ts` in `dir` whose plugin `probe` carries the `RecsyncError` class the config
 * imported: a test compares it with the commands' own to see that both share one framework.
 */
export async function writeProbeConfig(dir: string): Promise<void> {
  await writeFile(
    path.join(dir, 'recsync.config.ts'),
    `import { RecsyncError, defineConfig, definePlugin } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';
const probe = definePlugin({ name: 'probe', apply() {} });
export default defineConfig({
  jobs: { rec: {
    source: '.', target: { bucket: 'b' }, strategy: dateFolders({ timezone: 'UTC' }),
    plugins: [Object.assign(probe, { errorClass: RecsyncError })],
  } },
});
`,
  );
}

/**
 * `perDay` recordings in each of `days` (`DAY/call-NN.wav`), sizes 300 + n, mtimes on the hour
 * (`fraction`: sub-second digits such as `.123456`, for tests of exact mtimes).
 */
export function callsPerDay(days: readonly string[], perDay: number, fraction = ''): TreeSpec {
  return Object.fromEntries(
    days.flatMap((day) =>
      Array.from({ length: perDay }, (_, i) => [
        `${day}/call-${String(i).padStart(2, '0')}.wav`,
        { size: 300 + i, mtime: `${day}T0${i % 10}:00:00${fraction}Z` },
      ]),
    ),
  );
}
