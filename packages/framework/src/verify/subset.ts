/**
 * `--subset K/N`: each run reads K of N stable slices of the objects, the next K slices on the
 * next run, so `--deep --subset 1/30` every night re-reads the whole backup once in 30 runs at a
 * thirtieth of the cost (restic's `check --read-data-subset` with the rotation kept for you).
 *
 * An object's slice is SHA-256("recsync-verify-subset\0" + key) mod N: stable across runs and
 * machines, and independent of the `--shard` hash, so a shard's objects are spread over every
 * slice. Where the rotation stands is kept per job in `<stateDir>/<job>.verify.json` (per shard:
 * `<job>.shard-I-of-N.verify.json`, so shards sharing a state dir rotate independently); it moves
 * on only after a run that checked its whole scope (an interrupted run reads the same slices
 * again). Changing N starts the rotation again at slice 0.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { RecsyncError } from '../errors.js';
import { writeFileAtomic } from '../state/atomic.js';

export interface SubsetSpec {
  readonly take: number;
  readonly of: number;
}

export function parseSubset(text: string): SubsetSpec {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const take = match ? Number(match[1]) : NaN;
  const of = match ? Number(match[2]) : NaN;
  if (!match || take < 1 || of < 1 || take > of || of > 100_000) {
    throw new RecsyncError('E_USAGE', {
      message: `--subset ${JSON.stringify(text)} is not K/N with 1 ≤ K ≤ N`,
      hint:
        'for example --subset 1/30: a thirtieth of the objects per run, ' +
        'a different one each run',
    });
  }
  return { take, of };
}

export function sliceOf(key: string, of: number): number {
  const digest = createHash('sha256').update('recsync-verify-subset\0').update(key).digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(of));
}

/** The slices one run reads, and whether a key is in them. */
export interface SubsetSelection {
  readonly spec: SubsetSpec;
  readonly slices: readonly number[];
  has(key: string): boolean;
}

export function selection(spec: SubsetSpec, first: number): SubsetSelection {
  const slices = Array.from({ length: spec.take }, (_, i) => (first + i) % spec.of);
  const set = new Set(slices);
  return { spec, slices, has: (key) => set.has(sliceOf(key, spec.of)) };
}

interface VerifyStateFile {
  readonly version: 1;
  subset?: { of: number; next: number; updatedAt: string };
}

export function verifyStatePath(stateDir: string, job: string): string {
  return path.join(stateDir, `${job}.verify.json`);
}

async function readVerifyState(file: string): Promise<VerifyStateFile> {
  try {
    const data = JSON.parse(await readFile(file, 'utf8')) as VerifyStateFile;
    return data && typeof data === 'object' ? data : { version: 1 };
  } catch {
    return { version: 1 };
  }
}

/** The slices for this run, from where the rotation stands. */
export async function currentSelection(
  stateDir: string,
  job: string,
  spec: SubsetSpec,
): Promise<SubsetSelection> {
  const saved = (await readVerifyState(verifyStatePath(stateDir, job))).subset;
  const first =
    saved && saved.of === spec.of && Number.isInteger(saved.next) ? saved.next % spec.of : 0;
  return selection(spec, first);
}

/** Moves the rotation past the slices a complete run read. */
export async function advanceRotation(
  stateDir: string,
  job: string,
  done: SubsetSelection,
): Promise<void> {
  const file = verifyStatePath(stateDir, job);
  const data = await readVerifyState(file);
  const last = done.slices[done.slices.length - 1];
  data.subset = {
    of: done.spec.of,
    next: (last + 1) % done.spec.of,
    updatedAt: new Date().toISOString(),
  };
  await writeFileAtomic(file, `${JSON.stringify(data, null, 2)}\n`);
}
