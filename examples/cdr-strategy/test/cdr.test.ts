/**
 * The CDR strategy under the framework's conformance suite, then in real syncs against a local
 * S3 server started here (as any strategy package would test itself).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  resolveConfig,
  syncJob,
  type Hooks,
  type ResolvedJob,
  type WarningEvent,
} from '@recsync/framework';
import {
  createTestClient,
  createTree,
  startS3Server,
  strategyConformance,
  type S3TestServer,
  type TestBucketClient,
} from '@recsync/framework/testing';
import { cdrRows, cdrStrategy } from 'recsync-strategy-cdr';
import { writeCdrDatabase, type CdrRow } from './helpers.js';

const recordings = {
  'rec/2026/11/24/call-1.wav': { size: 300, mtime: '2026-11-24T08:00:00Z' },
  'rec/2026/11/24/call-2.wav': { size: 200, mtime: '2026-11-24T09:00:00Z' },
  'rec/2026/11/25/call-3.wav': { size: 100, mtime: '2026-11-25T08:00:00Z' },
};
const rows: CdrRow[] = Object.keys(recordings).map((p) => ({ path: p }));

describe('CDR strategy: conformance', () => {
  const checks = strategyConformance({
    definition: cdrStrategy,
    options: { database: 'cdr.sqlite', batch: 2 },
    async fixture() {
      const tree = await createTree(recordings);
      await writeCdrDatabase(tree.path('cdr.sqlite'), rows);
      return {
        source: tree.root,
        now: new Date('2026-11-25T12:00:00Z'),
        async addFiles() {
          await tree.write({
            'rec/2026/11/26/call-4.wav': { size: 5, mtime: '2026-11-26T08:00:00Z' },
          });
          await writeCdrDatabase(tree.path('cdr.sqlite'), [
            ...rows,
            { path: 'rec/2026/11/26/call-4.wav' },
          ]);
          return ['rec/2026/11/26/call-4.wav'];
        },
        cleanup: tree.cleanup,
      };
    },
  });
  for (const check of checks) it(check.name, check.run);
});

describe('CDR strategy: syncs against a local S3 server', () => {
  let server: S3TestServer;
  let client: TestBucketClient;
  let stateDir: string;
  beforeAll(async () => {
    server = await startS3Server();
    client = createTestClient(server.endpoint);
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'recsync-cdr-'));
  });
  afterAll(async () => {
    client.destroy();
    await server.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function job(source: string, options: Record<string, unknown> = {}): Promise<ResolvedJob> {
    const bucket = `cdr-${randomBytes(4).toString('hex')}`;
    await client.createBucket(bucket);
    const config = {
      stateDir: path.join(stateDir, bucket),
      jobs: {
        calls: {
          source,
          target: { bucket, endpoint: server.endpoint, forcePathStyle: true },
          strategy: cdrRows({ database: 'cdr.sqlite', batch: 2, ...options }),
          filters: { settle: '0s' },
        },
      },
    };
    const [resolved] = (await resolveConfig(config, { importModule: (s) => import(s) })).jobs;
    return resolved!;
  }

  it(
    'backs up the recordings of new rows only, waits for one not there yet, and refuses a ' +
      'path outside the source',
    async () => {
      const tree = await createTree(recordings);
      const database = tree.path('cdr.sqlite');
      await writeCdrDatabase(database, [
        ...rows,
        { path: 'rec/2026/11/25/late.wav' },
        { path: '../../etc/passwd' },
        { path: null },
      ]);
      const calls = await job(tree.root);
      const warnings: WarningEvent[] = [];
      const collect = {
        name: 'collect',
        apply: (hooks: Hooks) => hooks.warning.tap('collect', (w) => void warnings.push(w)),
      };
      const first = await syncJob(calls, {
        now: new Date('2026-11-25T12:00:00Z'),
        plugins: [collect],
      });
      expect(
        warnings
          .filter((w) => w.code.startsWith('E_FILE'))
          .map((w) => w.code)
          .sort(),
      ).toEqual(['E_FILE_BAD_PATH', 'E_FILE_OUTSIDE_ROOT']);
      expect(first.counts.uploaded.files).toBe(3);
      expect(first.counts.deferred.files).toBe(1); // late.wav: in the table, not on disk yet
      expect(first.exitCode).toBe(1); // two rows were refused
      expect(first.cursor).toEqual({ lastId: 6 });
      expect(await client.keys(calls.target.bucket)).toEqual(Object.keys(recordings));
      const bytes = await client.get(calls.target.bucket, 'rec/2026/11/24/call-1.wav');
      expect(
        bytes.equals(
          tree.contentOf('rec/2026/11/24/call-1.wav', recordings['rec/2026/11/24/call-1.wav']),
        ),
      ).toBe(true);

      // The late recording arrives and a new call is recorded: only those two are read and
      // uploaded.
      await tree.write({
        'rec/2026/11/25/late.wav': { size: 9 },
        'rec/2026/11/26/call-7.wav': { size: 7 },
      });
      await writeCdrDatabase(database, [
        ...rows,
        { path: 'rec/2026/11/25/late.wav' },
        { path: '../../etc/passwd' },
        { path: null },
        { path: `${tree.root}/rec/2026/11/26/call-7.wav` },
      ]);
      const second = await syncJob(calls, { now: new Date('2026-11-26T12:00:00Z') });
      expect(second.counts.uploaded.files).toBe(2);
      expect(second.counts.present.files).toBe(0);
      expect(second.exitCode).toBe(0);
      expect(second.pending).toBe(0);
      expect(second.cursor).toEqual({ lastId: 7 });
      expect(await client.keys(calls.target.bucket, 'rec/2026/11/2')).toContain(
        'rec/2026/11/26/call-7.wav',
      );
      await tree.cleanup();
    },
  );

  it('refuses a cursor beyond the table (recreated) instead of selecting nothing', async () => {
    const tree = await createTree(recordings);
    await writeCdrDatabase(tree.path('cdr.sqlite'), rows);
    const calls = await job(tree.root);
    expect((await syncJob(calls, { now: new Date('2026-11-25T12:00:00Z') })).cursor).toEqual({
      lastId: 3,
    });
    await writeCdrDatabase(tree.path('cdr.sqlite'), rows.slice(0, 1)); // rebuilt: ids start again
    const stats = await syncJob(calls, { now: new Date('2026-11-26T12:00:00Z') });
    expect(stats.exitCode).toBe(2);
    expect(stats.error?.code).toBe('E_CURSOR_FUTURE');
    expect(stats.cursor).toEqual({ lastId: 3 });
    await tree.cleanup();
  });

  it('says which option is wrong when the database or the table is not there', async () => {
    const tree = await createTree(recordings);
    const missing = await syncJob(await job(tree.root, { database: 'nope.sqlite' }), {
      now: new Date('2026-11-25T12:00:00Z'),
    });
    expect(missing.exitCode).toBe(2);
    expect(missing.error?.message).toContain('cannot read the CDR database');
    await writeCdrDatabase(tree.path('cdr.sqlite'), rows);
    const table = await syncJob(await job(tree.root, { table: 'calls' }), {
      now: new Date('2026-11-25T12:00:00Z'),
    });
    expect(table.exitCode).toBe(2);
    expect(table.error?.message).toContain('no such table: calls');
    await tree.cleanup();
  });

  it('refuses options that would not be plain SQL identifiers', async () => {
    await expect(job('/tmp', { table: 'cdr; DROP TABLE cdr' })).rejects.toThrow(
      /strategy\.table: expected a plain SQL identifier/,
    );
  });
});
