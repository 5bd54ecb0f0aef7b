/**
 * Where requests go, end to end through the built binary: endpoints and regions from AWS
 * profiles and the environment, a forward proxy, and a TLS endpoint signed by a private CA.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestClient, createTree, type FixtureTree } from '@recsync/framework/testing';
import { recentDays, runCli } from '../support/cli.js';
import {
  startForwardProxy,
  startTlsFront,
  type ForwardProxy,
  type TlsFront,
} from '../support/network.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
let proxy: ForwardProxy;
let front: TlsFront;
beforeAll(async () => {
  proxy = await startForwardProxy();
  front = await startTlsFront(endpoint);
});
afterAll(async () => {
  client.destroy();
  await proxy.close();
  await front.close();
});

/** No proxy, no CA bundle, no region, no endpoint from the machine: each test sets its own. */
const CLEAN_ENV = {
  HTTP_PROXY: '',
  HTTPS_PROXY: '',
  ALL_PROXY: '',
  NO_PROXY: '',
  http_proxy: '',
  https_proxy: '',
  all_proxy: '',
  no_proxy: '',
  AWS_CA_BUNDLE: '',
  AWS_REGION: '',
  AWS_DEFAULT_REGION: '',
  AWS_PROFILE: '',
  AWS_ENDPOINT_URL: '',
  AWS_ENDPOINT_URL_S3: '',
};

interface Fixture {
  bucket: string;
  tree: FixtureTree;
  cwd: string;
  awsConfig: string;
}

/** A one-day archive, an empty bucket, and a config whose `target` is the given TS literal. */
async function fixture(target: (bucket: string) => string, awsConfig = ''): Promise<Fixture> {
  const bucket = `net-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  const day = recentDays(1)[0]!;
  const tree = await createTree({
    [`${day}/a.wav`]: { size: 3000, mtime: `${day}T10:00:00Z` },
    [`${day}/b.wav`]: { size: 5000, mtime: `${day}T11:00:00Z` },
  });
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-net-'));
  await writeFile(
    path.join(cwd, 'recsync.config.ts'),
    `import { defineConfig } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';
export default defineConfig({
  jobs: {
    rec: {
      source: ${JSON.stringify(tree.root)},
      target: ${target(bucket)},
      strategy: dateFolders({ timezone: 'UTC' }),
    },
  },
});
`,
  );
  await writeFile(path.join(cwd, 'aws-config'), awsConfig);
  return { bucket, tree, cwd, awsConfig: path.join(cwd, 'aws-config') };
}

const run = (f: Fixture, args: string[], env: Record<string, string> = {}) =>
  runCli(args, { cwd: f.cwd, env: { ...CLEAN_ENV, AWS_CONFIG_FILE: f.awsConfig, ...env } });

/** Credentials come from the profile: keys in the environment would win over it. */
const NO_ENV_KEYS = { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
const S3RVER_KEYS = 'aws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n';

describe('endpoints and profiles', () => {
  it(
    "uses AWS_PROFILE's endpoint_url with AWS_DEFAULT_REGION, shows both sources, and " +
      'records the endpoint in the state',
    async () => {
      const f = await fixture(
        (b) => `{ bucket: ${JSON.stringify(b)}, forcePathStyle: true }`,
        `[profile store]\nendpoint_url = ${endpoint}\n${S3RVER_KEYS}`,
      );
      const env = { AWS_PROFILE: 'store', AWS_DEFAULT_REGION: 'eu-west-3', ...NO_ENV_KEYS };
      const plan = await run(f, ['plan'], env);
      expect(plan.stderr).toBe('');
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain(
        `via endpoint ${endpoint} (profile "store"), region eu-west-3 (AWS_DEFAULT_REGION), ` +
          'profile store (AWS_PROFILE)',
      );
      const sync = await run(f, ['sync'], env);
      expect(sync.code).toBe(0);
      expect(await client.keys(f.bucket)).toHaveLength(2);
      const state = JSON.parse(
        await readFile(path.join(f.cwd, '.recsync', 'rec.state.json'), 'utf8'),
      );
      expect(state.fingerprint.endpoint).toBe(endpoint);
      // The same store named through AWS_ENDPOINT_URL later is no change of target.
      const again = await run(f, ['plan', '--json'], {
        AWS_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
      });
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout).jobs[0].run.connection.endpoint).toEqual({
        value: endpoint,
        from: 'AWS_ENDPOINT_URL',
      });
    },
  );

  it(
    "uses target.profile's endpoint_url and addressing style; a missing profile is reported " +
      'as such (exit 2)',
    async () => {
      const f = await fixture(
        (b) => `{ bucket: ${JSON.stringify(b)}, profile: 'minio' }`,
        `[profile minio]\nendpoint_url = ${endpoint}\ns3 =\n  addressing_style = ` +
          `path\n${S3RVER_KEYS}`,
      );
      const sync = await run(f, ['sync'], NO_ENV_KEYS);
      expect(sync.stderr).toBe('');
      expect(sync.code).toBe(0);
      expect(sync.stdout).toContain(
        `via endpoint ${endpoint} (profile "minio"), region us-east-1 (default for a custom ` +
          'endpoint), profile minio (target.profile)',
      );
      expect(await client.keys(f.bucket)).toHaveLength(2);

      await writeFile(f.awsConfig, '[profile other]\nregion = eu-west-1\n');
      const missing = await run(f, ['plan']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(
        'the AWS profile "minio" (from target.profile) is in neither',
      );
      expect(missing.stderr).not.toMatch(/Region is missing/i);
    },
  );
});

describe('company networks', () => {
  it('sends requests through HTTP_PROXY, and past it for hosts in NO_PROXY', async () => {
    const f = await fixture(
      (b) =>
        `{ bucket: ${JSON.stringify(b)}, endpoint: ${JSON.stringify(endpoint)}, ` +
        'forcePathStyle: true }',
    );
    const env = { AWS_REGION: 'us-east-1', HTTP_PROXY: proxy.url };
    const before = proxy.seen.requests.length;
    const sync = await run(f, ['sync'], env);
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    expect(await client.keys(f.bucket)).toHaveLength(2);
    const through = proxy.seen.requests.slice(before);
    expect(
      through.filter((url) => url.startsWith(`${endpoint}/${f.bucket}/`) && url.includes('.wav')),
    ).toHaveLength(2);

    const direct = proxy.seen.requests.length;
    const plan = await run(f, ['plan'], { ...env, NO_PROXY: 'example.org,127.0.0.1' });
    expect(plan.code).toBe(0);
    expect(proxy.seen.requests.length).toBe(direct);
  });

  it(
    'trusts a private CA from target.caBundle or AWS_CA_BUNDLE, also through an HTTPS_PROXY ' +
      'tunnel',
    async () => {
      const target = (b: string) =>
        `{ bucket: ${JSON.stringify(b)}, endpoint: ${JSON.stringify(front.endpoint)}, ` +
        'forcePathStyle: true, caBundle: process.env.TEST_CA || undefined }';
      const f = await fixture(target);
      const env = { AWS_REGION: 'us-east-1' };

      const untrusted = await run(f, ['plan'], env);
      expect(untrusted.code).toBe(4);
      expect(untrusted.stderr).toMatch(/E_TARGET_UNREACHABLE|self.signed|unable to (get|verify)/i);

      const viaConfig = await run(f, ['plan'], { ...env, TEST_CA: front.caFile });
      expect(viaConfig.stderr).toBe('');
      expect(viaConfig.code).toBe(0);
      expect(viaConfig.stdout).toContain(`CA bundle ${front.caFile} (target.caBundle)`);

      const tunnels = proxy.seen.tunnels.length;
      const sync = await run(f, ['sync'], {
        ...env,
        AWS_CA_BUNDLE: front.caFile,
        HTTPS_PROXY: proxy.url,
      });
      expect(sync.stderr).toBe('');
      expect(sync.code).toBe(0);
      expect(sync.stdout).toContain(`CA bundle ${front.caFile} (AWS_CA_BUNDLE)`);
      expect(await client.keys(f.bucket)).toHaveLength(2);
      expect(proxy.seen.tunnels.slice(tunnels).length).toBeGreaterThan(0);
      expect(
        proxy.seen.tunnels.slice(tunnels).every((t) => t === new URL(front.endpoint).host),
      ).toBe(true);
    },
  );

  it('refuses a CA bundle that cannot be read, naming where it was set (exit 2)', async () => {
    const f = await fixture(
      (b) =>
        `{ bucket: ${JSON.stringify(b)}, endpoint: ${JSON.stringify(front.endpoint)}, ` +
        'forcePathStyle: true }',
    );
    const result = await run(f, ['plan'], {
      AWS_REGION: 'us-east-1',
      AWS_CA_BUNDLE: '/nonexistent/ca.pem',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'cannot read the CA bundle /nonexistent/ca.pem (from AWS_CA_BUNDLE)',
    );
  });
});
