/**
 * The examples stay runnable: the custom strategy package passes the conformance suite and
 * backs up a real archive; the example configs load and validate.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import { EXIT_CODES, resolveConfig, syncJob } from '@recsync/framework';
import { createTestClient, createTree, strategyConformance } from '@recsync/framework/testing';
import { loadConfig } from '@recsync/cli';
import { manifestStrategy, manifestBatches } from '../../examples/custom-strategy/src/index.js';

const examples = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');

const archive = {
  'batches/2026-11-24T08.manifest': 'run1/a.dat\nrun1/b.dat\n',
  'batches/2026-11-25T08.manifest': 'run2/c.dat\n',
  'run1/a.dat': { size: 300, mtime: '2026-11-24T08:00:00Z' },
  'run1/b.dat': { size: 200, mtime: '2026-11-24T08:01:00Z' },
  'run2/c.dat': { size: 100, mtime: '2026-11-25T08:00:00Z' },
};

describe('example: custom strategy package', () => {
  const checks = strategyConformance({
    definition: manifestStrategy,
    options: { dir: 'batches' },
    async fixture() {
      const tree = await createTree(archive);
      return {
        source: tree.root,
        now: new Date('2026-11-25T12:00:00Z'),
        async addFiles() {
          await tree.write({
            'batches/2026-11-26T08.manifest': 'run3/d.dat\n',
            'run3/d.dat': { size: 5, mtime: '2026-11-26T08:00:00Z' },
          });
          return ['run3/d.dat'];
        },
        cleanup: tree.cleanup,
      };
    },
  });
  for (const check of checks) it(check.name, check.run);

  it('backs up the files its manifests name, and waits for a listed file not there', async () => {
    const endpoint = inject('s3Endpoint');
    const client = createTestClient(endpoint);
    const bucket = `ex-${randomBytes(4).toString('hex')}`;
    await client.createBucket(bucket);
    const tree = await createTree({
      ...archive,
      'batches/2026-11-25T09.manifest': 'run2/late.dat\n',
    });
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'recsync-ex-'));
    const config = {
      stateDir,
      jobs: {
        lab: {
          source: tree.root,
          target: { bucket, endpoint, forcePathStyle: true },
          strategy: manifestBatches({ dir: 'batches' }),
          remoteCheck: 'head',
        },
      },
    };
    const [job] = (await resolveConfig(config, { importModule: (s) => import(s) })).jobs;
    const stats = await syncJob(job, { now: new Date('2026-11-26T00:00:00Z') });
    expect(stats.counts.uploaded.files).toBe(3);
    expect(stats.counts.deferred.files).toBe(1);
    expect(stats.pending).toBe(1);
    expect(await client.keys(bucket)).toEqual(['run1/a.dat', 'run1/b.dat', 'run2/c.dat']);
    await tree.write({ 'run2/late.dat': { size: 9, mtime: '2026-11-25T09:30:00Z' } });
    const again = await syncJob(job, { now: new Date('2026-11-26T01:00:00Z') });
    expect(again.counts.uploaded.files).toBe(1);
    expect(again.pending).toBe(0);
    client.destroy();
    await tree.cleanup();
  });
});

describe('example configs', () => {
  it('loads the data-only YAML config with its strategy named by package', async () => {
    const config = await loadConfig({
      configPath: path.join(examples, 'data-only', 'recsync.config.yaml'),
      cwd: examples,
    });
    const job = config.jobs[0];
    expect(job.strategy.definition.name).toBe('@recsync/strategy-date');
    expect(job.target.prefix).toBe('site-a/');
    expect(job.upload.multipartThreshold).toBe(64 * 1024 * 1024);
  });

  it('loads the demo config (TypeScript)', async () => {
    const config = await loadConfig({
      configPath: path.join(examples, 'demo', 'recsync.config.ts'),
      cwd: examples,
    });
    expect(config.jobs.map((j) => j.name)).toEqual(['recordings']);
    expect(config.jobs[0].filters.settle).toBe(120_000);
  });

  it(
    'loads the compliance config (write-once, Object Lock from the partition date, SSE-KMS, ' +
      'manifest, mimeTypes)',
    async () => {
      const config = await loadConfig({
        configPath: path.join(examples, 'compliance', 'recsync.config.ts'),
        cwd: examples,
      });
      const { target, plugins } = config.jobs[0];
      expect(target.objectLock).toEqual({
        mode: 'COMPLIANCE',
        retain: { amount: 7, unit: 'years' },
        from: 'partition',
      });
      expect(target.noOverwrite).toBe(true);
      expect(target.sse).toEqual({
        type: 'aws:kms',
        keyId: 'alias/call-recordings',
        bucketKey: true,
      });
      expect(target.manifest).toEqual({ prefix: '_recsync/manifests/', keep: 400 });
      expect(plugins.map((p) => p.name)).toEqual(['recsync:mime-types']);
    },
  );
});

describe('scheduling examples', () => {
  const dir = path.join(examples, 'scheduling');
  it('map every exit code to what the scheduler does', async () => {
    for (const file of ['recsync.service', 'recsync.cron', 'kubernetes-cronjob.yaml']) {
      const text = await readFile(path.join(dir, file), 'utf8');
      for (const code of Object.values(EXIT_CODES))
        expect(text, `${file} explains exit ${code}`).toMatch(
          new RegExp(`^#\\s+${code}\\s+\\S`, 'm'),
        );
    }
    const service = await readFile(path.join(dir, 'recsync.service'), 'utf8');
    expect(service).toMatch(/^SuccessExitStatus=1$/m);
    expect(service).toMatch(/^RestartPreventExitStatus=2 3 130$/m);
    const k8s = await readFile(path.join(dir, 'kubernetes-cronjob.yaml'), 'utf8');
    expect(k8s).toContain('values: [1, 2, 3]');
    expect(k8s).toContain('values: [130]');
  });
});
