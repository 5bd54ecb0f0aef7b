import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineStrategy, resolveConfig, useStrategy, type RecsyncConfig } from '../src/index.js';

const fakeStrategy = defineStrategy({
  name: 'fake',
  options: z.strictObject({ depth: z.number().int().min(1).default(1) }),
  cursor: z.strictObject({ n: z.number() }),
  create: () => ({ partitions: async function* () {}, advance: (c) => c }),
});

const fakePlugin = { name: 'fake-plugin', apply: () => undefined };

const importModule = async (spec: string) => {
  if (spec === 'fake-strategy') return { default: fakeStrategy };
  if (spec === 'not-a-strategy') return { default: 42 };
  if (spec === 'plugin-object') return { default: fakePlugin };
  if (spec === 'plugin-factory')
    return {
      default: (o: { tag?: unknown }) => {
        if (o.tag !== undefined && typeof o.tag !== 'string')
          throw new Error('tag must be a string');
        return fakePlugin;
      },
    };
  if (spec === 'returns-nothing') return { default: () => undefined };
  if (spec === 'async-factory') return { default: async () => fakePlugin };
  throw Object.assign(
    new Error(`Cannot find module '${spec}'\nRequire stack:\n- /somewhere/loader.js`),
    { code: 'MODULE_NOT_FOUND' },
  );
};

function valid(overrides: Record<string, unknown> = {}): RecsyncConfig {
  return {
    jobs: {
      rec: {
        source: '/archive',
        target: { bucket: 'backup' },
        strategy: useStrategy(fakeStrategy, {}),
        ...overrides,
      },
    },
  } as RecsyncConfig;
}

async function problems(config: unknown): Promise<string> {
  try {
    await resolveConfig(config, { configPath: '/etc/recsync/recsync.config.ts', importModule });
  } catch (error) {
    expect((error as { code: string }).code).toBe('E_CONFIG_INVALID');
    expect((error as { exitCode: number }).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('config validation', () => {
  it('applies defaults and resolves paths against the config folder', async () => {
    const resolved = await resolveConfig(valid({ source: 'RECORDINGS' }), {
      configPath: '/etc/recsync/recsync.config.ts',
      importModule,
    });
    const job = resolved.jobs[0];
    expect(job.source).toBe('/etc/recsync/RECORDINGS');
    expect(job.stateDir).toBe('/etc/recsync/.recsync');
    expect(job.filters.settle).toBe(300_000);
    expect(job.upload).toEqual({
      concurrency: 32,
      multipartThreshold: 16 * 1024 * 1024,
      partSize: 8 * 1024 * 1024,
      attempts: 4,
      partConcurrency: 4,
      abandonedUploadAge: 2 * 86_400_000,
    });
    expect(job.remoteCheck).toBe('list');
    expect(job.target.prefix).toBe('');
    expect(job.target.checksum).toBe('CRC32C');
    expect(job.strategy.options).toEqual({ depth: 1 });
  });

  it('treats a non-empty prefix as a folder', async () => {
    const resolved = await resolveConfig(
      valid({ target: { bucket: 'b', prefix: 'backup/calls' } }),
      { importModule },
    );
    expect(resolved.jobs[0].target.prefix).toBe('backup/calls/');
  });

  it('names a misspelt key with its path', async () => {
    const message = await problems(valid({ target: { bukcet: 'x' } }));
    expect(message).toContain('in /etc/recsync/recsync.config.ts');
    expect(message).toContain('jobs.rec.target: unknown key "bukcet"');
    expect(message).toContain(
      'jobs.rec.target.bucket: Invalid input: expected string, received undefined; it is missing',
    );
  });

  it('shows the bad value and what would be valid', async () => {
    const message = await problems(
      valid({ remoteCheck: 'lst', filters: { settle: '5 minutes please' } }),
    );
    expect(message).toMatch(
      /jobs\.rec\.remoteCheck: Invalid option: expected one of "list"\|"head"\|"none"; got "lst"/,
    );
    expect(message).toContain(
      'jobs.rec.filters.settle: expected a duration with a unit such as "90s", "5m", "1h" ' +
        'or "2d" (or 0); got "5 minutes please"',
    );
  });

  it('shows a bad duration or size value once', async () => {
    const message = await problems(valid({ filters: { settle: 5, maxSize: '5 bananas' } }));
    expect(message).toContain(
      'jobs.rec.filters.settle: expected a duration with a unit such as "90s", "5m", "1h" ' +
        'or "2d" (or 0); got 5\n',
    );
    expect(message).toContain(
      'jobs.rec.filters.maxSize: expected a size such as "16MiB", "100MB" or a number of ' +
        'bytes; got "5 bananas"',
    );
    expect(message).not.toMatch(/got .*got /);
  });

  it('refuses a prefix with empty segments and an endpoint that is not http(s)', async () => {
    const message = await problems(
      valid({
        target: { bucket: 'b', prefix: 'calls//2026', endpoint: 'ftp://backup.example.com' },
      }),
    );
    expect(message).toContain(
      'jobs.rec.target.prefix: must not contain empty segments ("//"); got "calls//2026"',
    );
    expect(message).toContain(
      'jobs.rec.target.endpoint: expected an http:// or https:// URL such as ' +
        '"http://127.0.0.1:9000"; got "ftp://backup.example.com"',
    );
    const fine = await resolveConfig(
      valid({ target: { bucket: 'b', prefix: 'calls/2026/', endpoint: 'https://s3.example.com' } }),
      { importModule },
    );
    expect(fine.jobs[0].target.prefix).toBe('calls/2026/');
  });

  it(
    'takes the lease timing from the config, and refuses a heartbeat longer than half the ' +
      'timeout',
    async () => {
      const saved = {
        timeout: process.env.RECSYNC_LEASE_TIMEOUT,
        heartbeat: process.env.RECSYNC_LEASE_HEARTBEAT,
      };
      delete process.env.RECSYNC_LEASE_TIMEOUT;
      delete process.env.RECSYNC_LEASE_HEARTBEAT;
      try {
        const resolved = await resolveConfig(
          { ...valid(), lease: { timeout: '10m', heartbeat: '30s' } },
          { importModule },
        );
        expect(resolved.jobs[0].lease).toEqual({ timeoutMs: 600_000, heartbeatMs: 30_000 });
        await expect(
          resolveConfig(
            { ...valid(), lease: { timeout: '1m', heartbeat: '45s' } },
            { importModule },
          ),
        ).rejects.toThrow(/at most half the lease timeout/);
      } finally {
        if (saved.timeout !== undefined) process.env.RECSYNC_LEASE_TIMEOUT = saved.timeout;
        if (saved.heartbeat !== undefined) process.env.RECSYNC_LEASE_HEARTBEAT = saved.heartbeat;
      }
    },
  );

  it('refuses a bare number as a duration and a tiny part size', async () => {
    const message = await problems(
      valid({ filters: { settle: 300 }, upload: { partSize: '1MiB' } }),
    );
    expect(message).toContain('jobs.rec.filters.settle: expected a duration with a unit');
    expect(message).toContain('jobs.rec.upload.partSize: must be at least 5MiB (an S3 limit)');
  });

  it('checks strategy options with the strategy schema, under the strategy path', async () => {
    const message = await problems(
      valid({ strategy: useStrategy(fakeStrategy, { depth: 0 } as never) }),
    );
    expect(message).toContain(
      'jobs.rec.strategy.depth: Too small: expected number to be >=1; got 0',
    );
  });

  it('loads a strategy named by package in data-only configs', async () => {
    const resolved = await resolveConfig(
      valid({ strategy: { use: 'fake-strategy', with: { depth: 3 } } }),
      { importModule },
    );
    expect(resolved.jobs[0].strategy.definition.name).toBe('fake');
    expect(resolved.jobs[0].strategy.options).toEqual({ depth: 3 });
    const message = await problems(
      valid({ strategy: { use: 'fake-strategy', with: { deep: 3 } } }),
    );
    expect(message).toContain('jobs.rec.strategy.with: unknown key "deep"');
  });

  it('explains a strategy package that cannot be loaded or is not a strategy', async () => {
    const missing = await problems(valid({ strategy: { use: 'nope' } }));
    expect(missing).toContain(
      'jobs.rec.strategy.use: the package "nope" is not installed (looked from /etc/recsync)',
    );
    expect(missing).toContain('npm i nope');
    expect(missing).not.toContain('Require stack');
    expect(await problems(valid({ strategy: { use: 'not-a-strategy' } }))).toContain(
      '"not-a-strategy" is not a recsync strategy: it exports no strategy',
    );
    expect(await problems(valid({ strategy: { use: 'plugin-object' } }))).toContain(
      '"plugin-object" is not a recsync strategy: it exports a plugin, not a strategy',
    );
  });

  it('loads plugins by package, and explains one that is missing or is not a plugin', async () => {
    const resolved = await resolveConfig(
      valid({ plugins: [{ use: 'plugin-factory', with: { tag: 'x' } }, { use: 'plugin-object' }] }),
      { importModule },
    );
    expect(resolved.jobs[0].plugins.map((p) => p.name)).toEqual(['fake-plugin', 'fake-plugin']);
    const message = await problems(
      valid({
        plugins: [
          { use: './plugins/nope.js' },
          { use: 'fake-strategy' },
          { use: 'not-a-strategy' },
          { use: 'plugin-factory', with: { tag: 7 } },
          { use: 'returns-nothing' },
          { use: 'plugin-object', with: { tag: 'x' } },
          { use: 'async-factory' },
        ],
      }),
    );
    expect(message).toContain('jobs.rec.plugins.0.use: no module at /etc/recsync/plugins/nope.js');
    expect(message).toContain(
      'jobs.rec.plugins.1.use: "fake-strategy" is a recsync strategy, not a plugin',
    );
    expect(message).toContain(
      'jobs.rec.plugins.2.use: "not-a-strategy" is not a recsync plugin: it exports no ' +
        'plugin factory',
    );
    expect(message).toContain(
      'jobs.rec.plugins.3.with: the plugin factory of "plugin-factory" refused its ' +
        'options: tag must be a string',
    );
    expect(message).toContain(
      'jobs.rec.plugins.4.use: "returns-nothing" is not a recsync plugin: its default ' +
        'export returned undefined',
    );
    expect(message).toContain(
      'jobs.rec.plugins.5.use: "plugin-object" exports a plugin object, which takes no options',
    );
    expect(message).toContain(
      'jobs.rec.plugins.6.use: "async-factory" is not a recsync plugin: its default export ' +
        'returned a promise',
    );
  });

  it('lists the valid keys next to an unknown one', async () => {
    const message = await problems(valid({ upload: { concurency: 8 } }));
    expect(message).toContain('jobs.rec.upload: unknown key "concurency"');
    expect(message).toContain(
      'valid keys here: concurrency, multipartThreshold, partSize, attempts',
    );
    const strategy = await problems(
      valid({ strategy: useStrategy(fakeStrategy, { dept: 2 } as never) }),
    );
    expect(strategy).toContain('jobs.rec.strategy: unknown key "dept"');
    expect(strategy).toContain('valid keys here: depth');
  });

  it('refuses a strategy that is neither a factory result nor a use reference', async () => {
    expect(await problems(valid({ strategy: 'date' }))).toContain(
      'jobs.rec.strategy: expected a strategy, e.g. dateFolders({…})',
    );
  });

  it('refuses bad job names, empty job lists and unsafe prefixes', async () => {
    expect(await problems({ jobs: {} })).toContain('jobs: expected at least one job');
    const bad = { jobs: { '../x': valid().jobs.rec } };
    expect(await problems(bad)).toContain('job names use letters, digits');
    expect(await problems(valid({ target: { bucket: 'b', prefix: 'a/../b' } }))).toContain(
      'jobs.rec.target.prefix: must not contain "." or ".." segments',
    );
    expect(await problems(valid({ target: { bucket: 'b/c' } }))).toContain(
      'a bucket name has no "/"',
    );
  });

  it('does not mutate the config it is given', async () => {
    const config = valid({ target: { bucket: 'b', prefix: 'p' } });
    const before = JSON.stringify(config);
    await resolveConfig(config, { importModule });
    expect(JSON.stringify(config)).toBe(before);
  });
});
