import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineStrategy,
  JobState,
  resolveConfig,
  STATE_VERSION,
  useStrategy,
  type ResolvedJob,
} from '../src/internal.js';

const V1_FILE = fileURLToPath(new URL('./fixtures/state-v1.json', import.meta.url));

const strategy = defineStrategy({
  name: '@recsync/strategy-date',
  options: z.strictObject({ layout: z.string().default('{yyyy}-{MM}-{dd}') }),
  cursor: z.strictObject({ through: z.string() }),
  create: () => ({ partitions: async function* () {}, advance: (c) => c }),
});

/** A job matching the fingerprint of the v1 fixture (written by the first release's demo). */
async function fixtureJob(dir: string): Promise<ResolvedJob> {
  const v1 = JSON.parse(await readFile(V1_FILE, 'utf8'));
  const config = {
    stateDir: dir,
    jobs: {
      recordings: {
        source: v1.fingerprint.source,
        target: {
          bucket: v1.fingerprint.bucket,
          endpoint: v1.fingerprint.endpoint,
          forcePathStyle: true,
        },
        strategy: useStrategy(strategy, {}),
      },
    },
  };
  return (await resolveConfig(config, { importModule: async () => ({}) })).jobs[0];
}

async function stateDirWith(content: string | Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-format-'));
  await writeFile(
    path.join(dir, 'recordings.state.json'),
    typeof content === 'string' ? content : JSON.stringify(content),
  );
  return dir;
}

describe('state format', () => {
  it(
    'reads a version 1 state written by the first release, and writes it back as the current ' +
      'version',
    async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-format-'));
      await copyFile(V1_FILE, path.join(dir, 'recordings.state.json'));
      const state = await JobState.load(await fixtureJob(dir));
      expect(state.migratedFrom).toBe(1);
      expect(state.cursor).toEqual({ through: '2026-12-01' });
      expect([...state.pending.keys()]).toEqual(['2026-12-02/call-9998-being-recorded.wav']);
      expect(state.lastRun?.exitCode).toBe(0);
      expect(state.source).toBeUndefined();
      await state.save();
      const written = JSON.parse(await readFile(path.join(dir, 'recordings.state.json'), 'utf8'));
      expect(written.version).toBe(STATE_VERSION);
      expect(STATE_VERSION).toBe(2);
      expect(written.pending).toEqual(JSON.parse(await readFile(V1_FILE, 'utf8')).pending);
      const again = await JobState.load(await fixtureJob(dir));
      expect(again.migratedFrom).toBeUndefined();
    },
  );

  it('refuses a state written by a newer release, saying to upgrade, not reset', async () => {
    const v1 = JSON.parse(await readFile(V1_FILE, 'utf8'));
    const dir = await stateDirWith({ ...v1, version: STATE_VERSION + 1 });
    const error = await JobState.load(await fixtureJob(dir)).catch((e) => e);
    expect(error).toMatchObject({ code: 'E_STATE_NEWER', exitCode: 2 });
    expect(error.message).toContain(`state version ${STATE_VERSION + 1}`);
    expect(error.hint).toContain('upgrade recsync');
  });

  it(
    'keeps fields it does not know (added by a later release of the same version) on every ' +
      'rewrite',
    async () => {
      const v1 = JSON.parse(await readFile(V1_FILE, 'utf8'));
      const dir = await stateDirWith({
        ...v1,
        version: 2,
        runs: [{ exitCode: 0 }],
        shards: { n: 3 },
      });
      const state = await JobState.load(await fixtureJob(dir));
      state.cursor = { through: '2026-12-02' };
      await state.save();
      const written = JSON.parse(await readFile(path.join(dir, 'recordings.state.json'), 'utf8'));
      expect(written).toMatchObject({
        version: 2,
        runs: [{ exitCode: 0 }],
        shards: { n: 3 },
        cursor: { through: '2026-12-02' },
      });
      expect(written.extra).toBeUndefined();
    },
  );

  it.each([
    ['truncated by a full disk', '{"format":"recsync-state","version":2,"job":"recor'],
    ['empty', ''],
    ['another file', '{"name":"my-package"}'],
    ['a version that is not a number', '{"format":"recsync-state","version":"2"}'],
    ['no fingerprint', '{"format":"recsync-state","version":2,"pending":{}}'],
    ['no pending set', '{"format":"recsync-state","version":1,"fingerprint":{}}'],
  ])(
    'reports a corrupt state (%s) with the way out, never starting over silently',
    async (_what, text) => {
      const dir = await stateDirWith(text);
      const error = await JobState.load(await fixtureJob(dir)).catch((e) => e);
      expect(error).toMatchObject({ code: 'E_STATE_CORRUPT', exitCode: 2 });
      expect(error.message).toContain('recordings.state.json cannot be read');
      expect(error.hint).toContain('recsync state reset');
    },
  );
});
