/**
 * The call-metadata plugin: names parsed into metadata that lands on the objects of a real sync
 * (local S3 server), and a webhook (a local HTTP server started here) called when a run fails.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createHooks,
  emptyCounts,
  RecsyncError,
  resolveConfig,
  syncJob,
  type RunInfo,
  type RunStats,
  type WarningEvent,
} from '@recsync/framework';
import {
  createTestClient,
  createTree,
  startS3Server,
  type S3TestServer,
  type TestBucketClient,
} from '@recsync/framework/testing';
import { dateFolders } from '@recsync/strategy-date';
import { callMetadata, parseCallName } from 'recsync-plugin-call-metadata';

describe('parseCallName', () => {
  it.each([
    ['20261125_000123_agent042.wav', { date: '2026-11-25', callId: '000123', agent: 'agent042' }],
    ['20240229_9_ops7.mp3', { date: '2024-02-29', callId: '9', agent: 'ops7' }],
    ['20261131_000123_agent042.wav', undefined], // no 31 November
    ['20261125_000123.wav', undefined],
    ['notes.txt', undefined],
    ['20261125_000123_agent042', undefined],
  ])('%s', (name, expected) => expect(parseCallName(name)).toEqual(expected));

  it('refuses options it does not know', () => {
    expect(() => callMetadata({ webhook: 'not a url' })).toThrow(/expected a URL/);
    expect(() => callMetadata({ webhok: 'http://x' } as never)).toThrow(/webhok/);
  });
});

interface Received {
  readonly body: Record<string, unknown>;
}

/** A webhook receiver on 127.0.0.1 answering `status`. */
async function startWebhook(
  status = 204,
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      received.push({ body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    server,
  };
}

const archive = {
  '2026/11/25/20261125_000123_agent042.wav': { size: 2048, mtime: '2026-11-25T10:00:00Z' },
  '2026/11/25/20261125_000124_agent007.wav': { size: 1024, mtime: '2026-11-25T10:05:00Z' },
  '2026/11/25/notes.txt': { size: 10, mtime: '2026-11-25T11:00:00Z' },
};

describe('call-metadata plugin in a sync', () => {
  let s3: S3TestServer;
  let client: TestBucketClient;
  let stateDir: string;
  beforeAll(async () => {
    s3 = await startS3Server();
    client = createTestClient(s3.endpoint);
    stateDir = await mkdtemp(path.join(os.tmpdir(), 'recsync-callmeta-'));
  });
  afterAll(async () => {
    client.destroy();
    await s3.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function setup(webhook: string) {
    const tree = await createTree(archive);
    const bucket = `calls-${randomBytes(4).toString('hex')}`;
    await client.createBucket(bucket);
    const config = {
      stateDir: path.join(stateDir, bucket),
      jobs: {
        calls: {
          source: tree.root,
          target: { bucket, endpoint: s3.endpoint, forcePathStyle: true },
          strategy: dateFolders({
            layout: '{yyyy}/{MM}/{dd}',
            timezone: 'UTC',
            start: '2026-11-25',
          }),
          upload: { attempts: 1 },
          plugins: [callMetadata({ webhook })],
        },
      },
    };
    const [job] = (await resolveConfig(config, { importModule: (s) => import(s) })).jobs;
    return { tree, bucket, job: job! };
  }

  it(
    'writes date, call id and agent as metadata, leaves other names alone, and stays quiet ' +
      'when the run succeeds',
    async () => {
      const hook = await startWebhook();
      const { tree, bucket, job } = await setup(hook.url);
      const stats = await syncJob(job, { now: new Date('2026-11-27T00:00:00Z') });
      expect(stats.exitCode).toBe(0);
      expect(stats.counts.uploaded.files).toBe(3);
      const call = await client.head(bucket, '2026/11/25/20261125_000123_agent042.wav');
      expect(call.metadata).toMatchObject({
        'call-date': '2026-11-25',
        'call-id': '000123',
        agent: 'agent042',
      });
      const notes = await client.head(bucket, '2026/11/25/notes.txt');
      expect(notes.metadata['call-id']).toBeUndefined();
      expect(hook.received).toEqual([]);
      hook.server.close();
      await tree.cleanup();
    },
  );

  it('posts a summary to the webhook when files fail', async () => {
    const hook = await startWebhook();
    const { tree, job } = await setup(hook.url);
    const unreadable = tree.path('2026/11/25/20261125_000124_agent007.wav');
    const openFile = async (p: string | Buffer, flags: number) => {
      if (p === unreadable) throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      return open(p, flags);
    };
    const stats = await syncJob(job, { now: new Date('2026-11-27T00:00:00Z'), openFile });
    expect(stats.exitCode).toBe(1);
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.body).toMatchObject({
      job: 'calls',
      exitCode: 1,
      failed: 1,
      uploaded: 2,
      pending: 1,
    });
    expect(hook.received[0]!.body.text).toBe(
      'recsync job calls exited 1: 1 file(s) failed and are pending',
    );
    hook.server.close();
    await tree.cleanup();
  });
});

describe('call-metadata plugin on a fatal error', () => {
  const info: RunInfo = {
    job: 'calls',
    mode: 'sync',
    source: '/archive',
    bucket: 'b',
    prefix: '',
    strategy: 'test',
    facts: {},
    startedAt: '2026-11-27T00:00:00.000Z',
  };
  const stats = (exitCode: number): RunStats => ({
    job: 'calls',
    mode: 'sync',
    startedAt: info.startedAt,
    finishedAt: '2026-11-27T00:01:00.000Z',
    counts: emptyCounts(),
    partitions: { total: 1, complete: 0 },
    cursor: null,
    pending: 0,
    exitCode,
    interrupted: false,
  });

  it('posts the error that runFailed reported, once', async () => {
    const hook = await startWebhook();
    const hooks = createHooks();
    callMetadata({ webhook: hook.url }).apply(hooks, {
      job: 'calls',
      source: '/archive',
      mode: 'sync',
    });
    hooks.runFailed.call(
      new RecsyncError('E_TARGET_AUTH', { message: 'the credentials were refused' }),
      info,
    );
    await hooks.done.promise(stats(4));
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.body).toMatchObject({
      exitCode: 4,
      error: { code: 'E_TARGET_AUTH', message: 'the credentials were refused' },
    });
    hook.server.close();
  });

  it('turns an unreachable or failing webhook into a warning', async () => {
    const hook = await startWebhook(500);
    const hooks = createHooks();
    const warnings: WarningEvent[] = [];
    hooks.warning.tap('test', (w) => warnings.push(w));
    callMetadata({ webhook: hook.url }).apply(hooks, {
      job: 'calls',
      source: '/archive',
      mode: 'sync',
    });
    await hooks.done.promise(stats(1));
    expect(warnings.map((w) => w.code)).toEqual(['W_WEBHOOK']);
    expect(warnings[0]!.message).toContain('HTTP 500');
    hook.server.close();
  });
});
