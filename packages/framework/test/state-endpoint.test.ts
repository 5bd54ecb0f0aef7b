import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineStrategy,
  JobState,
  resolveConfig,
  stateFilePath,
  useStrategy,
  type Connection,
  type ResolvedJob,
} from '../src/internal.js';

const strategy = defineStrategy({
  name: 'fake',
  options: z.strictObject({}),
  cursor: z.strictObject({ through: z.string() }),
  create: () => ({ partitions: async function* () {}, advance: (c) => c }),
});

async function job(dir: string): Promise<ResolvedJob> {
  const config = {
    stateDir: dir,
    jobs: { rec: { source: '/src', target: { bucket: 'a' }, strategy: useStrategy(strategy, {}) } },
  };
  return (await resolveConfig(config, { importModule: async () => ({}) })).jobs[0]!;
}

const region = { value: 'us-east-1', from: 'AWS_REGION' };
const viaProfile: Connection = {
  endpoint: { value: 'http://127.0.0.1:9000', from: 'profile "minio"' },
  region,
};
const viaEnv: Connection = {
  endpoint: { value: 'http://127.0.0.1:9000', from: 'AWS_ENDPOINT_URL' },
  region,
};
const aws: Connection = { region };

async function stateWithNullEndpoint(): Promise<ResolvedJob> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-state-'));
  const j = await job(dir);
  const state = await JobState.load(j, aws);
  state.cursor = { through: '2026-11-24' };
  await state.save();
  return j;
}

describe('the endpoint in the state fingerprint', () => {
  it('records the resolved endpoint, including one from a profile', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-state-'));
    const j = await job(dir);
    const state = await JobState.load(j, viaProfile);
    await state.save();
    expect(JSON.parse(await readFile(stateFilePath(j), 'utf8')).fingerprint.endpoint).toBe(
      'http://127.0.0.1:9000',
    );
    await expect(JobState.load(j, aws)).rejects.toMatchObject({ code: 'E_STATE_MISMATCH' });
  });

  it(
    'accepts a state saved with endpoint null once when the endpoint comes from a profile, ' +
      'and rewrites it',
    async () => {
      const j = await stateWithNullEndpoint();
      const state = await JobState.load(j, viaProfile);
      expect(state.cursor).toEqual({ through: '2026-11-24' });
      await state.save();
      expect(JSON.parse(await readFile(stateFilePath(j), 'utf8')).fingerprint.endpoint).toBe(
        'http://127.0.0.1:9000',
      );
      // from now on the endpoint is part of the fingerprint: switching back to AWS is refused
      await expect(JobState.load(j, aws)).rejects.toMatchObject({ code: 'E_STATE_MISMATCH' });
      // switching to the same endpoint through the environment is no change
      await expect(JobState.load(j, viaEnv)).resolves.toBeInstanceOf(JobState);
    },
  );

  it(
    'still refuses endpoint null against an endpoint from the environment or config (null ' +
      'meant AWS)',
    async () => {
      const j = await stateWithNullEndpoint();
      await expect(JobState.load(j, viaEnv)).rejects.toMatchObject({ code: 'E_STATE_MISMATCH' });
    },
  );
});
