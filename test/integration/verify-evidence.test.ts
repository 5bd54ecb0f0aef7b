/**
 * What the local S3 server cannot show, played by the recording proxy: Object Lock retention
 * on HEAD answers, archive storage classes and restore status in listings, InvalidObjectState on
 * GET, RestoreObject requests. And `verify --manifest` against a sync's audit manifest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  openManifestCheck,
  openRestore,
  openVerify,
  type Finding,
  type RestoreEvent,
  type VerifyRun,
} from '@recsync/framework/internal';
import { dayFiles, harnessPerTest } from '../support/harness.js';
import { faults } from '../support/faults.js';
import { s3Error, type ProxyOptions, type RecordedRequest } from '../support/recording-proxy.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const each = harnessPerTest();

async function setup(target: Record<string, unknown> = {}, options: ProxyOptions = {}) {
  const { h, proxy } = await each.proxied(
    {
      files: { ...dayFiles('2026-11-23', 3), ...dayFiles('2026-11-24', 3) },
      target: target,
    },
    options,
  );
  return { h, proxy };
}

async function findings(run: VerifyRun): Promise<Finding[]> {
  const out: Finding[] = [];
  try {
    for await (const item of run.items) if (item.type === 'finding') out.push(item.finding);
  } finally {
    await run.dispose();
  }
  return out;
}

const isLockConfig = (r: RecordedRequest) => r.method === 'GET' && r.query.has('object-lock');
const isList = (r: RecordedRequest) => r.method === 'GET' && r.query.has('list-type');

describe('verify: retention and manifests', () => {
  it('--head and --deep report retention shorter than configured, or none', async () => {
    const retained = new Map<string, string>();
    const { h, proxy } = await setup({
      objectLock: { mode: 'COMPLIANCE', retain: '7y', from: 'partition' },
    });
    proxy.options = {
      intercept: (r) =>
        isLockConfig(r)
          ? {
              status: 200,
              body:
                '<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled>' +
                '</ObjectLockConfiguration>',
            }
          : undefined,
      rewrite: (r, answer) => {
        const key = r.path.split('/').slice(2).join('/');
        if (r.method === 'PUT')
          retained.set(key, String(r.headers['x-amz-object-lock-retain-until-date']));
        // GET, not HEAD: the proxy's own answers carry a body (a HEAD answer would lose its
        // Content-Length).
        if (r.method !== 'GET' || !retained.has(key)) return undefined;
        const until =
          key === '2026-11-23/call-000.wav' ? '2030-01-01T00:00:00Z' : retained.get(key)!;
        const headers = Object.fromEntries(
          Object.entries(answer.headers).map(([k, v]) => [k, String(v)]),
        );
        return {
          status: answer.status,
          body: answer.body,
          headers:
            key === '2026-11-24/call-002.wav'
              ? headers
              : {
                  ...headers,
                  'x-amz-object-lock-mode': 'COMPLIANCE',
                  'x-amz-object-lock-retain-until-date': until,
                },
        };
      },
    };
    expect((await h.sync({ now: NOW })).stats.exitCode).toBe(0);
    const found = (
      await findings(await openVerify(await h.makeJob(), { now: NOW, all: true, level: 'deep' }))
    ).filter((f) => f.kind !== 'note');
    expect(found.map((f) => [f.kind, f.key, f.expected, f.actual]).sort()).toEqual([
      [
        'retention-short',
        '2026-11-23/call-000.wav',
        '2033-11-23T00:00:00.000Z',
        '2030-01-01T00:00:00.000Z',
      ],
      ['retention-short', '2026-11-24/call-002.wav', '2033-11-24T00:00:00.000Z', 'none'],
    ]);
  });

  it('--manifest: what a run recorded is still there and unchanged', async () => {
    const { h } = await setup({ manifest: { prefix: '_recsync/manifests/' } });
    expect((await h.sync({ now: NOW })).stats.exitCode).toBe(0);
    const job = await h.makeJob();
    expect(await findings(await openManifestCheck(job, { run: 'latest', level: 'deep' }))).toEqual(
      [],
    );
    await faults.deleteObject(h.bucket, '2026-11-23/call-000.wav');
    await h.client.put(h.bucket, '2026-11-23/call-001.wav', 'replaced by someone');
    await faults.flipByte(h.bucket, '2026-11-24/call-002.wav', 3);
    const found = await findings(await openManifestCheck(job, { run: 'latest', level: 'deep' }));
    expect(found.map((f) => [f.kind, f.key]).sort()).toEqual([
      ['missing', '2026-11-23/call-000.wav'],
      ['no-checksum', '2026-11-23/call-001.wav'],
      ['object-corrupt', '2026-11-24/call-002.wav'],
      ['size', '2026-11-23/call-001.wav'],
    ]);
    // The manifest objects in the bucket are recsync's own: never "extra".
    expect(
      (await findings(await openVerify(job, { now: NOW, all: true }))).map((f) => f.key).sort(),
    ).toEqual(['2026-11-23/call-000.wav', '2026-11-23/call-001.wav']);
    await expect(openManifestCheck(job, { run: '1999-01-01T00-00-00.000Z' })).rejects.toThrow(
      /no manifest/,
    );
  });
});

describe('restore: archive classes', () => {
  it(
    'lists what needs a restore request from ListObjectsV2 RestoreStatus, requests it, ' +
      'downloads what is ready',
    async () => {
      const classes: Record<string, string> = {
        '2026-11-23/call-000.wav': '<StorageClass>GLACIER</StorageClass>',
        '2026-11-23/call-001.wav':
          '<StorageClass>DEEP_ARCHIVE</StorageClass><RestoreStatus>' +
          '<IsRestoreInProgress>true</IsRestoreInProgress></RestoreStatus>',
        '2026-11-23/call-002.wav':
          '<StorageClass>GLACIER</StorageClass><RestoreStatus>' +
          '<IsRestoreInProgress>false</IsRestoreInProgress>' +
          '<RestoreExpiryDate>2026-12-01T00:00:00.000Z</RestoreExpiryDate></RestoreStatus>',
        '2026-11-24/call-000.wav': '<StorageClass>INTELLIGENT_TIERING</StorageClass>',
      };
      const { h, proxy } = await setup();
      expect((await h.sync({ now: NOW })).stats.exitCode).toBe(0);
      proxy.options = {
        intercept: (r) => {
          const key = r.path.split('/').slice(2).join('/');
          if (r.method === 'POST' && r.query.has('restore')) return { status: 202 };
          if (r.method === 'GET' && key === '2026-11-24/call-000.wav')
            return s3Error(
              403,
              'InvalidObjectState',
              "The operation is not valid for the object's access tier",
            );
          return undefined;
        },
        rewrite: (r, answer) => {
          if (!isList(r)) return undefined;
          let body = answer.body.toString();
          for (const [key, xml] of Object.entries(classes))
            body = body.replace(
              new RegExp(
                `(<Key>${key}</Key>(?:(?!</Contents>).)*)<StorageClass>STANDARD</StorageClass>`,
                's',
              ),
              `$1${xml}`,
            );
          return { status: 200, body };
        },
      };
      const to = await mkdtemp(path.join(os.tmpdir(), 'recsync-archive-'));
      each.defer(() => rm(to, { recursive: true, force: true }));
      const run = async (archiveRestore?: { tier: 'Bulk'; days: number }) => {
        const r = await openRestore(await h.makeJob(), {
          to,
          ...(archiveRestore ? { archiveRestore } : {}),
        });
        const events: RestoreEvent[] = [];
        for await (const e of r.events) events.push(e);
        r.dispose();
        return {
          events,
          summary: r.summary(),
          of: (key: string) => events.find((e) => e.key === key)!,
        };
      };
      const mark = proxy.requests.length;
      const first = await run();
      const listings = proxy.requests
        .slice(mark)
        .filter((r) => isList(r) && r.query.get('max-keys') !== '1'); // not the preflight
      expect(listings.length).toBeGreaterThan(0);
      expect(
        listings.every((r) => r.headers['x-amz-optional-object-attributes'] === 'RestoreStatus'),
      ).toBe(true);
      expect(first.of('2026-11-23/call-000.wav')).toMatchObject({
        outcome: 'archived',
        reason: expect.stringMatching(/GLACIER: needs a restore request first/),
      });
      expect(first.of('2026-11-23/call-001.wav')).toMatchObject({
        outcome: 'archived',
        reason: expect.stringMatching(/in progress/),
      });
      // a restored copy is readable
      expect(first.of('2026-11-23/call-002.wav').outcome).toBe('restored');
      expect(first.of('2026-11-24/call-000.wav')).toMatchObject({
        outcome: 'archived',
        reason: expect.stringMatching(/needs a restore request/),
      });
      expect(first.summary.counts.archived.objects).toBe(3);
      expect(first.summary.exitCode).toBe(1);
      // No GET for objects the listing showed as archived.
      expect(
        proxy.requests.filter(
          (r) => r.method === 'GET' && r.path.endsWith('2026-11-23/call-000.wav'),
        ),
      ).toEqual([]);

      const second = await run({ tier: 'Bulk', days: 3 });
      const requests = proxy.requests.filter((r) => r.method === 'POST' && r.query.has('restore'));
      expect(requests.map((r) => r.path.split('/').slice(2).join('/')).sort()).toEqual([
        '2026-11-23/call-000.wav',
        '2026-11-24/call-000.wav',
      ]);
      expect(second.of('2026-11-23/call-000.wav').reason).toMatch(
        /restore requested \(Bulk, 3 days\)/,
      );
      // no Days for Intelligent-Tiering
      expect(second.of('2026-11-24/call-000.wav').reason).toMatch(/restore requested \(Bulk\)/);
    },
  );
});
