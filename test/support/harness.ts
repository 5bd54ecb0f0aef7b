/**
 * Test harness for in-process runs against the real local S3 server: a fixture archive, a
 * fresh bucket, a resolved job (through the real config schema), and sync/plan helpers that
 * collect what the hooks reported.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, inject } from 'vitest';
import { stateFilePath, type RunOptions } from '@recsync/framework/internal';
import {
  createTestJob,
  createTree,
  type FixtureTree,
  type TestJobOverrides,
  type TestSyncResult,
  type TreeSpec,
  tempDirs,
} from '@recsync/framework/testing';
import { dateFolders, type DateFoldersOptions } from '@recsync/strategy-date';
import { startRecordingProxy, type ProxyOptions } from './recording-proxy.js';

export interface HarnessOptions {
  readonly files: TreeSpec;
  readonly strategy?: DateFoldersOptions;
  readonly job?: Record<string, unknown>;
  readonly target?: Record<string, unknown>;
  readonly bucket?: string | null;
  /** Another S3-compatible server than the suite's s3rver (e.g. fauxqs). */
  readonly endpoint?: string;
}

export interface SyncResult extends Omit<TestSyncResult, 'warnings'> {
  /** The warnings' messages. */
  readonly warnings: string[];
  uploadedKeys(): string[];
}

export async function harness(options: HarnessOptions) {
  const endpoint = options.endpoint ?? inject('s3Endpoint');
  const tree: FixtureTree = await createTree(options.files);
  const job = await createTestJob({
    endpoint,
    source: tree.root,
    strategy: dateFolders({
      layout: '{yyyy}-{MM}-{dd}',
      timezone: 'UTC',
      grace: '1h',
      lookback: 2,
      ...options.strategy,
    }),
    job: { upload: { concurrency: 8 }, ...options.job },
    target: options.target,
    // null: a bucket that does not exist
    bucket: options.bucket === null ? 'missing' : options.bucket,
  });
  const { client, bucket, stateDir } = job;

  const sync = async (
    runOptions: RunOptions = {},
    overrides: TestJobOverrides = {},
  ): Promise<SyncResult> => {
    const result = await job.sync(runOptions, overrides);
    return {
      ...result,
      warnings: result.warnings.map((w) => w.message),
      uploadedKeys: result.uploaded,
    };
  };

  return {
    endpoint,
    client,
    bucket,
    tree,
    stateDir,
    makeJob: job.makeJob,
    sync,
    plan: job.plan,
    /** Every key in the bucket, sorted. */
    keys: job.keys,
    /** True when every listed path is in the bucket with exactly the local bytes. */
    async byteExact(paths: string[]): Promise<boolean> {
      for (const p of paths) {
        const remote = await client.get(bucket, p);
        if (Buffer.compare(remote, tree.contentOf(p, options.files[p] ?? '')) !== 0) return false;
      }
      return true;
    },
    dispose: async () => {
      await job.dispose();
      await tree.cleanup();
    },
  };
}

/** `count` files in the folder of `day`, with mtimes inside that day. */
export function dayFiles(day: string, count: number, size = 2048, prefix = 'call'): TreeSpec {
  const spec: TreeSpec = {};
  for (let i = 0; i < count; i++) {
    spec[`${day}/${prefix}-${String(i).padStart(3, '0')}.wav`] = {
      size: size + i,
      mtime: `${day}T0${i % 10}:15:00Z`,
    };
  }
  return spec;
}

export function days(first: string, count: number): string[] {
  const out: string[] = [];
  const start = Date.parse(`${first}T00:00:00Z`);
  for (let i = 0; i < count; i++)
    out.push(new Date(start + i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

/**
 * Harnesses and other resources that live for one test: made through the returned helpers,
 * released after the test, last made first. Call at the top of a test file.
 */
export function harnessPerTest() {
  let cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });
  const defer = (...cleanup: (() => unknown)[]): void => void cleanups.push(...cleanup);
  return {
    async setup(options: HarnessOptions) {
      const h = await harness(options);
      defer(h.dispose);
      return h;
    },
    /** A harness whose target is a recording proxy in front of the suite's server. */
    async proxied(options: HarnessOptions, proxyOptions: ProxyOptions = {}) {
      const proxy = await startRecordingProxy(inject('s3Endpoint'), proxyOptions);
      defer(proxy.close);
      const h = await harness({
        ...options,
        target: { endpoint: proxy.endpoint, ...options.target },
      });
      defer(h.dispose);
      return { h, proxy };
    },
    /** A temporary folder, removed after the test. */
    async tempDir(prefix = 'recsync-test-'): Promise<string> {
      const temp = tempDirs(prefix);
      defer(temp.cleanup);
      return temp.make();
    },
    /** Any other clean-up. */
    defer,
  };
}

/** The saved state of the harness's job, as JSON on disk. */
export async function readJobState(stateDir: string) {
  return JSON.parse(await readFile(stateFilePath({ stateDir, name: 'rec' }), 'utf8'));
}
