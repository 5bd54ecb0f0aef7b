/**
 * Errors at the command line that say what is wrong and exit with the documented code, and
 * credentials in an endpoint URL that never show up in output or state.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestClient, createTree } from '@recsync/framework/testing';
import { recentDays, runCli } from '../support/cli.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
afterAll(() => client.destroy());

async function jsonConfig(
  job: Record<string, unknown>,
  top: Record<string, unknown> = {},
): Promise<string> {
  const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-errors-'));
  const config = {
    ...top,
    jobs: {
      rec: { strategy: { use: '@recsync/strategy-date', with: { timezone: 'UTC' } }, ...job },
    },
  };
  await writeFile(path.join(cwd, 'recsync.config.json'), JSON.stringify(config));
  return cwd;
}

async function archive() {
  const day = recentDays(1)[0];
  return createTree({ [`${day}/a.wav`]: { size: 300, mtime: `${day}T10:00:00Z` } });
}

describe('errors that say the truth', () => {
  it('a stateDir that is a file: exit 2 naming stateDir, for sync and plan', async () => {
    const tree = await archive();
    const cwd = await jsonConfig(
      { source: tree.root, target: { bucket: 'b', endpoint, forcePathStyle: true } },
      { stateDir: 'state' },
    );
    await writeFile(path.join(cwd, 'state'), 'not a folder');
    for (const command of ['sync', 'plan']) {
      const result = await runCli([command], { cwd });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        `recsync: error E_STATE_DIR: the state folder ${path.join(cwd, 'state')} (config ` +
          'key stateDir) is not a folder',
      );
      expect(result.stderr).not.toContain('unexpected error');
    }
  });

  it('a source that is a file: exit 2 naming the job source', async () => {
    const tree = await archive();
    const file = tree.path(`${recentDays(1)[0]}/a.wav`);
    const cwd = await jsonConfig({
      source: file,
      target: { bucket: 'b', endpoint, forcePathStyle: true },
    });
    const result = await runCli(['sync'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `recsync: error E_SOURCE_MISSING: the source ${file} of job "rec" is not a folder`,
    );
  });

  it('an ftp:// endpoint: exit 2 with what is valid', async () => {
    const cwd = await jsonConfig({
      source: '.',
      target: { bucket: 'b', endpoint: 'ftp://backup.example.com' },
    });
    const result = await runCli(['plan'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'jobs.rec.target.endpoint: expected an http:// or https:// URL',
    );
  });

  it('a config importing a package that is not installed says which one', async () => {
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-errors-'));
    await writeFile(
      path.join(cwd, 'recsync.config.mjs'),
      "import { nas } from 'recsync-strategy-nas';\nexport default { jobs: { rec: { " +
        "source: '.', target: { bucket: 'b' }, strategy: nas() } } };\n",
    );
    const result = await runCli(['plan'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'the config imports "recsync-strategy-nas", which cannot be found',
    );
    expect(result.stderr).toContain('npm i recsync-strategy-nas');
    expect(result.stderr).not.toContain('syntax error');
  });
});

describe('JavaScript configs', () => {
  it("resolve @recsync/* imports to the CLI's own packages, like .ts configs", async () => {
    const tree = await archive();
    const cwd = await mkdtemp(path.join(os.tmpdir(), 'recsync-mjs-'));
    const config = `import { dateFolders } from '@recsync/strategy-date';
export default {
  jobs: {
    rec: {
      source: ${JSON.stringify(tree.root)},
      target: { bucket: 'b' },
      remoteCheck: 'none',
      strategy: dateFolders({ timezone: 'UTC' }),
    },
  },
};
`;
    await writeFile(path.join(cwd, 'recsync.config.mjs'), config);
    const result = await runCli(['plan', '--json'], { cwd });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).jobs[0].totals.upload.files).toBe(1);
  });
});

describe('credentials in the endpoint URL', () => {
  it('are never printed (header, --json, errors) nor stored in the state', async () => {
    const bucket = `sec-${randomBytes(5).toString('hex')}`;
    await client.createBucket(bucket);
    const tree = await archive();
    const secret = 'hunter2-S3CR3T';
    const withCredentials = endpoint.replace('http://', `http://backup-user:${secret}@`);
    const cwd = await jsonConfig({
      source: tree.root,
      target: { bucket, endpoint: withCredentials, forcePathStyle: true },
    });
    const human = await runCli(['plan'], { cwd });
    expect(human.stdout).toContain(`(${endpoint.replace('http://', 'http://***@')})`);
    const json = await runCli(['sync', '--json'], { cwd });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout.split('\n')[0])).toMatchObject({
      event: 'run',
      endpoint: endpoint.replace('http://', 'http://***@'),
    });
    const stateFile = path.join(cwd, '.recsync', 'rec.state.json');
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(state.fingerprint.endpoint).toBe(endpoint);
    const status = await runCli(['status', '--json'], { cwd });
    const missingBucket = await jsonConfig({
      source: tree.root,
      target: { bucket: 'no-such-bucket-x', endpoint: withCredentials, forcePathStyle: true },
    });
    const failed = await runCli(['sync'], { cwd: missingBucket });
    expect(failed.code).toBe(4);
    expect(failed.stderr).toContain('http://***@127.0.0.1');
    for (const output of [human, json, status, failed])
      expect(output.stdout + output.stderr).not.toContain(secret);
    expect(await readFile(stateFile, 'utf8')).not.toContain(secret);
  });

  it(
    'a state written with the credentials in its fingerprint is accepted once and rewritten ' +
      'without them',
    async () => {
      const bucket = `sec-${randomBytes(5).toString('hex')}`;
      await client.createBucket(bucket);
      const tree = await archive();
      const secret = 'old-pa55word';
      const withCredentials = endpoint.replace('http://', `http://backup-user:${secret}@`);
      const cwd = await jsonConfig({
        source: tree.root,
        target: { bucket, endpoint: withCredentials, forcePathStyle: true },
      });
      expect((await runCli(['sync'], { cwd })).code).toBe(0);
      const stateFile = path.join(cwd, '.recsync', 'rec.state.json');
      const state = JSON.parse(await readFile(stateFile, 'utf8'));
      // As an older recsync wrote it:
      await writeFile(
        stateFile,
        JSON.stringify({
          ...state,
          fingerprint: { ...state.fingerprint, endpoint: withCredentials },
        }),
      );
      const again = await runCli(['sync'], { cwd });
      expect(again.code).toBe(0);
      expect(again.stderr).not.toContain('E_STATE_MISMATCH');
      const rewritten = await readFile(stateFile, 'utf8');
      expect(rewritten).not.toContain(secret);
      expect(JSON.parse(rewritten).fingerprint.endpoint).toBe(endpoint);
    },
  );
});
