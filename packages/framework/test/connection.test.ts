import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  configSchema,
  connectionOf,
  resolveConnection,
  type SharedFiles,
  type TargetConfig,
} from '../src/internal.js';
import { loadCaBundle } from '../src/s3/ca-bundle.js';

const target = (extra: Record<string, unknown> = {}): TargetConfig =>
  configSchema.parse({
    jobs: { j: { source: '/s', target: { bucket: 'b', ...extra }, strategy: { use: 'x' } } },
  }).jobs.j!.target;

const files = (
  configFile: SharedFiles['configFile'] = {},
  credentialsFile: SharedFiles['credentialsFile'] = {},
): SharedFiles => ({ configFile, credentialsFile });

describe('endpoint and region resolution', () => {
  it("takes the endpoint from target.profile's endpoint_url, and says so", () => {
    const c = resolveConnection(
      target({ profile: 'minio' }),
      {},
      files({ minio: { endpoint_url: 'http://127.0.0.1:9000', region: 'eu-1' } }),
    );
    expect(c.endpoint).toEqual({ value: 'http://127.0.0.1:9000', from: 'profile "minio"' });
    expect(c.region).toEqual({ value: 'eu-1', from: 'profile "minio"' });
    expect(c.profile).toEqual({ value: 'minio', from: 'target.profile' });
  });

  it(
    "takes AWS_PROFILE's endpoint_url and services section, the " + 'service-specific one first',
    () => {
      const config = {
        dev: { endpoint_url: 'http://general:1', services: 'local' },
        'services.local': { 's3.endpoint_url': 'http://s3-only:2' },
      };
      const c = resolveConnection(target(), { AWS_PROFILE: 'dev' }, files(config));
      expect(c.endpoint).toEqual({
        value: 'http://s3-only:2',
        from: 'profile "dev" (services "local")',
      });
      expect(c.region).toEqual({ value: 'us-east-1', from: 'default for a custom endpoint' });
    },
  );

  it('orders config, environment and profile like the SDK', () => {
    const shared = files({
      default: { endpoint_url: 'http://profile:1', region: 'profile-region' },
    });
    const env = {
      AWS_ENDPOINT_URL: 'http://any:2',
      AWS_ENDPOINT_URL_S3: 'http://s3:3',
      AWS_DEFAULT_REGION: 'default-region',
    };
    expect(
      resolveConnection(target({ endpoint: 'http://config:4' }), env, shared).endpoint?.from,
    ).toBe('target.endpoint');
    expect(resolveConnection(target(), env, shared).endpoint).toEqual({
      value: 'http://s3:3',
      from: 'AWS_ENDPOINT_URL_S3',
    });
    expect(
      resolveConnection(target(), { AWS_ENDPOINT_URL: 'http://any:2' }, shared).endpoint?.from,
    ).toBe('AWS_ENDPOINT_URL');
    expect(resolveConnection(target(), {}, shared).endpoint?.from).toBe('profile "default"');
    expect(
      resolveConnection(
        target(),
        { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_REGION: 'r' },
        shared,
      ).endpoint,
    ).toBeUndefined();
    expect(resolveConnection(target(), env, shared).region).toEqual({
      value: 'default-region',
      from: 'AWS_DEFAULT_REGION',
    });
    expect(resolveConnection(target(), { ...env, AWS_REGION: 'r' }, shared).region.from).toBe(
      'AWS_REGION',
    );
    expect(
      resolveConnection(target({ region: 'x' }), { ...env, AWS_REGION: 'r' }, shared).region.from,
    ).toBe('target.region');
    expect(resolveConnection(target(), {}, shared).region.from).toBe('profile "default"');
  });

  it(
    'with an endpoint and AWS_DEFAULT_REGION only, uses that region (the SDK alone would ' +
      'find none)',
    () => {
      const c = resolveConnection(
        target({ endpoint: 'http://127.0.0.1:9000' }),
        { AWS_DEFAULT_REGION: 'eu-west-3' },
        files(),
      );
      expect(c.region).toEqual({ value: 'eu-west-3', from: 'AWS_DEFAULT_REGION' });
    },
  );

  it('reports a named profile that does not exist as such, not as a missing region', () => {
    expect(() => resolveConnection(target({ profile: 'nope' }), {}, files({ other: {} }))).toThrow(
      /AWS profile "nope" \(from target.profile\) is in neither/,
    );
    expect(() => resolveConnection(target(), { AWS_PROFILE: 'gone' }, files())).toThrow(
      /"gone" \(from AWS_PROFILE\)/,
    );
    // a profile only in the credentials file exists
    expect(
      resolveConnection(
        target({ profile: 'keys', region: 'r' }),
        {},
        files({}, { keys: { aws_access_key_id: 'k' } }),
      ).profile?.value,
    ).toBe('keys');
  });

  it('without any region for AWS, says where it looked (exit 2)', () => {
    const error = (() => {
      try {
        resolveConnection(target(), {}, files());
      } catch (e) {
        return e as { code: string; exitCode: number; message: string };
      }
    })();
    expect(error).toMatchObject({ code: 'E_CONFIG_INVALID', exitCode: 2 });
    expect(error!.message).toContain(
      'target.region, AWS_REGION, AWS_DEFAULT_REGION or profile "default"',
    );
  });

  it('refuses an endpoint from the environment that is not a URL, naming the variable', () => {
    expect(() =>
      resolveConnection(target(), { AWS_ENDPOINT_URL_S3: 'minio:9000' }, files()),
    ).toThrow(/"minio:9000" from AWS_ENDPOINT_URL_S3 is not an http\(s\) URL/);
  });

  it('takes the CA bundle and path-style addressing from config, env or profile', () => {
    const shared = files({
      default: { ca_bundle: '/p.pem', 's3.addressing_style': 'path', region: 'r' },
    });
    expect(
      resolveConnection(target({ caBundle: '/t.pem' }), { AWS_CA_BUNDLE: '/e.pem' }, shared)
        .caBundle,
    ).toEqual({ value: '/t.pem', from: 'target.caBundle' });
    expect(resolveConnection(target(), { AWS_CA_BUNDLE: '/e.pem' }, shared).caBundle?.from).toBe(
      'AWS_CA_BUNDLE',
    );
    expect(resolveConnection(target(), {}, shared).caBundle?.value).toBe('/p.pem');
    expect(resolveConnection(target(), {}, shared).forcePathStyle).toEqual({
      value: true,
      from: 'profile "default" (s3 addressing_style)',
    });
    expect(
      resolveConnection(target({ forcePathStyle: false }), {}, shared).forcePathStyle?.value,
    ).toBe(false);
  });

  it('reads the shared files named by AWS_CONFIG_FILE, once per target', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-aws-'));
    const file = path.join(dir, 'config');
    await writeFile(
      file,
      '[profile store]\nendpoint_url = http://127.0.0.1:9999\n\n[services s]\ns3 =\n  endpoint_url = http://x:1\n',
    );
    const saved = {
      AWS_CONFIG_FILE: process.env.AWS_CONFIG_FILE,
      AWS_PROFILE: process.env.AWS_PROFILE,
    };
    process.env.AWS_CONFIG_FILE = file;
    try {
      const t = target({ profile: 'store' });
      const first = connectionOf(t);
      expect(connectionOf(t)).toBe(first);
      expect((await first).endpoint).toEqual({
        value: 'http://127.0.0.1:9999',
        from: 'profile "store"',
      });
    } finally {
      if (saved.AWS_CONFIG_FILE === undefined) delete process.env.AWS_CONFIG_FILE;
      else process.env.AWS_CONFIG_FILE = saved.AWS_CONFIG_FILE;
    }
  });

  it(
    'checks the CA bundle when the connection is resolved: not PEM is exit 2; plain http ' +
      'never reads it',
    async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-ca-'));
      const der = path.join(dir, 'ca.cer');
      await writeFile(der, Buffer.from([0x30, 0x82, 0x01, 0x0a]));
      const region = { value: 'r', from: 'target.region' };
      const https = {
        region,
        endpoint: { value: 'https://s3.example', from: 'target.endpoint' },
        caBundle: { value: der, from: 'AWS_CA_BUNDLE' },
      };
      await expect(loadCaBundle(https)).rejects.toMatchObject({
        code: 'E_CONFIG_INVALID',
        message: expect.stringContaining(`${der} (from AWS_CA_BUNDLE) holds no PEM certificate`),
      });
      const http = {
        ...https,
        endpoint: { value: 'http://127.0.0.1:9000', from: 'target.endpoint' },
        caBundle: { value: '/nonexistent.pem', from: 'AWS_CA_BUNDLE' },
      };
      await expect(loadCaBundle(http)).resolves.toBeUndefined();
    },
  );
});
