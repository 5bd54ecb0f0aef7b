/**
 * The store examples load through the CLI's loader and validate, and each resolves to the
 * endpoint, region and addressing its store needs; the IAM policies are well-formed and the
 * sync policy allows every S3 action a real sync sends (recorded through a proxy), and nothing
 * that deletes.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { resolveConfig, resolveConnection, syncJob } from '@recsync/framework/internal';
import { createTestClient, createTree } from '@recsync/framework/testing';
import { dateFolders } from '@recsync/strategy-date';
import { loadConfig } from '@recsync/cli';
import { startRecordingProxy, type RecordedRequest } from '../support/recording-proxy.js';

const examples = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const noSharedFiles = {
  configFile: {},
  credentialsFile: { minio: {}, ceph: {}, r2: {}, b2: {}, wasabi: {} },
};

const stores: [string, { endpoint: RegExp; region: string; storageClass?: string }][] = [
  ['minio.config.ts', { endpoint: /^https:\/\/minio\./, region: 'us-east-1' }],
  ['ceph-rgw.config.ts', { endpoint: /^https:\/\/rgw\./, region: 'default' }],
  [
    'cloudflare-r2.config.ts',
    {
      endpoint: /^https:\/\/ACCOUNT_ID\.r2\.cloudflarestorage\.com$/,
      region: 'auto',
      storageClass: 'STANDARD_IA',
    },
  ],
  [
    'backblaze-b2.config.ts',
    { endpoint: /^https:\/\/s3\.us-west-004\.backblazeb2\.com$/, region: 'us-west-004' },
  ],
  [
    'wasabi.config.ts',
    { endpoint: /^https:\/\/s3\.eu-central-1\.wasabisys\.com$/, region: 'eu-central-1' },
  ],
];

describe('example configs for S3-compatible stores', () => {
  it.each(stores)(
    '%s loads, validates and resolves its endpoint and region',
    async (file, expected) => {
      const config = await loadConfig({
        configPath: path.join(examples, 'stores', file),
        cwd: examples,
      });
      expect(config.jobs).toHaveLength(1);
      const { target } = config.jobs[0]!;
      const connection = resolveConnection(target, {}, noSharedFiles);
      expect(connection.endpoint).toMatchObject({ from: 'target.endpoint' });
      expect(connection.endpoint!.value).toMatch(expected.endpoint);
      expect(connection.region).toEqual({ value: expected.region, from: 'target.region' });
      expect(connection.forcePathStyle?.value).toBe(true);
      expect(target.profile).toBeTruthy();
      expect(target.storageClass).toBe(expected.storageClass);
    },
  );
});

const IAM = path.join(examples, 'iam');
type Statement = {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
};
const policy = async (name: string) =>
  JSON.parse(await readFile(path.join(IAM, name), 'utf8')) as {
    Version: string;
    Statement: Statement[];
  };
const allowed = (p: { Statement: Statement[] }) =>
  new Set(p.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat()));

/** The IAM action S3 checks for a request (the subset recsync can send). */
function iamAction(r: RecordedRequest, bucket: string): string {
  const objectPath = r.path.length > bucket.length + 2;
  if (!objectPath) return 's3:ListBucket'; // ListObjectsV2, HeadBucket
  if (r.method === 'DELETE' && r.query.has('uploadId')) return 's3:AbortMultipartUpload';
  if (r.method === 'GET' || r.method === 'HEAD') return 's3:GetObject';
  // PUT, multipart create/part/complete
  if (r.method === 'PUT' || r.method === 'POST') return 's3:PutObject';
  return `${r.method} ${r.path}`;
}

describe('least-privilege IAM policies', () => {
  const endpoint = inject('s3Endpoint');
  const client = createTestClient(endpoint);
  afterAll(() => client.destroy());

  it.each(['sync-policy.json', 'verify-policy.json', 'restore-policy.json'])(
    '%s is a valid policy that deletes nothing',
    async (name) => {
      const p = await policy(name);
      expect(p.Version).toBe('2012-10-17');
      for (const s of p.Statement) {
        expect(s.Effect).toBe('Allow');
        for (const resource of [s.Resource].flat())
          expect(resource).toMatch(/^arn:aws:s3:::recordings-backup(\/backup\/\*)?$/);
      }
      expect([...allowed(p)].filter((a) => /Delete|PutBucket|\*/.test(a))).toEqual([]);
    },
  );

  it('verify and restore only read', async () => {
    for (const name of ['verify-policy.json', 'restore-policy.json'])
      expect([...allowed(await policy(name))].filter((a) => /Put|Abort/.test(a))).toEqual([]);
  });

  it('the sync policy allows every action a sync sends, multipart and HEAD included', async () => {
    const bucket = `iam-${randomBytes(4).toString('hex')}`;
    await client.createBucket(bucket);
    const proxy = await startRecordingProxy(endpoint);
    try {
      const tree = await createTree({
        '2026-11-24/small.wav': { size: 1000, mtime: '2026-11-24T10:00:00Z' },
        '2026-11-24/large.wav': { size: 6 * 1024 * 1024, mtime: '2026-11-24T11:00:00Z' },
      });
      const stateDir = await mkdtemp(path.join(os.tmpdir(), 'recsync-iam-'));
      const job = (remoteCheck: 'list' | 'head') => ({
        source: tree.root,
        target: { bucket, prefix: 'backup', endpoint: proxy.endpoint, forcePathStyle: true },
        strategy: dateFolders({ layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC' }),
        remoteCheck,
        upload: { multipartThreshold: '5MiB', partSize: '5MiB' },
      });
      const config = { stateDir, jobs: { listed: job('list'), headed: job('head') } };
      const { jobs } = await resolveConfig(config, { importModule: (s) => import(s) });
      const range = { since: '2026-11-24', until: '2026-11-24' };
      const now = new Date('2026-11-26T00:00:00Z');
      expect((await syncJob(jobs[0]!, { now, range })).counts.uploaded.files).toBe(2);
      expect((await syncJob(jobs[1]!, { now, range })).counts.present.files).toBe(2);

      const used = new Set(proxy.requests.map((r) => iamAction(r, bucket)));
      expect(used).toEqual(new Set(['s3:ListBucket', 's3:PutObject', 's3:GetObject']));
      const sync = await policy('sync-policy.json');
      for (const action of used) expect(allowed(sync)).toContain(action);
      // every listing stays inside the prefix the policy's condition allows
      const prefixes = proxy.requests
        .filter((r) => r.query.get('list-type') === '2')
        .map((r) => r.query.get('prefix') ?? '');
      expect(prefixes.length).toBeGreaterThan(0);
      expect(prefixes.every((p) => p === 'backup/' || p.startsWith('backup/'))).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});
