/**
 * `verify --manifest RUN`: checks that everything one sync's audit manifest claims is still in
 * the bucket, unchanged — the evidence an auditor asks for. Each `uploaded` line is checked with
 * one HEAD (of its version, when the manifest recorded one): the object exists, has the size,
 * carries the checksum the manifest recorded, and is retained at least until the recorded date.
 * `--deep` downloads it and hashes the bytes against the manifest's checksum. `present` lines
 * (already there at that run) are checked for existence and size.
 *
 * RUN is a manifest file, a manifest's name under `<stateDir>/manifests/<job>/` (the run's
 * start time, with or without `.jsonl`), or `latest`. The file is streamed line by line.
 *
 * With `--shard I/N` only the lines whose key that shard owns are checked, and `latest` is this
 * shard's newest manifest (a sharded sync writes one per shard: `<startedAt>.shard-I-of-N.jsonl`).
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createHasher, type ChecksumName } from '../checksum.js';
import { mapUnordered } from '../concurrency.js';
import { describeError, RecsyncError } from '../errors.js';
import type { ResolvedJob } from '../config/resolve.js';
import { classifyS3Error, targetError } from '../s3/classify.js';
import { createS3Target, type S3Target } from '../s3/target.js';
import { emptyFindingCounts, failing, type Finding } from './findings.js';
import type { VerifyItem } from './folder.js';
import type { VerifyLevel } from './context.js';
import { sharded, type VerifyRun } from './run.js';
import { ownsKey, shardSuffix } from '../shard.js';
import { exitCodeOf } from '../engine/outcome.js';

interface ManifestLine {
  readonly type: string;
  readonly outcome?: string;
  readonly key?: string;
  readonly path?: string;
  readonly size?: number;
  readonly checksum?: { algorithm: ChecksumName; value: string };
  readonly retainUntil?: string;
  readonly versionId?: string;
}

/** The manifest file RUN names. */
export async function manifestFile(job: ResolvedJob, run: string): Promise<string> {
  const dir = path.join(job.stateDir, 'manifests', job.name);
  const candidates =
    run === 'latest'
      ? []
      : [run, path.join(dir, run), path.join(dir, `${run.replace(/:/g, '-')}.jsonl`)];
  if (run === 'latest') {
    const ending = `${shardSuffix(sharded(job))}.jsonl`;
    const names = (await readdir(dir).catch(() => [] as string[]))
      .filter((n) => n.endsWith(ending))
      .sort();
    if (names.length > 0) candidates.push(path.join(dir, names[names.length - 1]));
  }
  for (const c of candidates)
    if (
      await stat(c).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      return c;
  const shard = sharded(job);
  const which = shard && run === 'latest' ? ` of shard ${shard.index}/${shard.count}` : '';
  throw new RecsyncError('E_USAGE', {
    message: `no manifest ${JSON.stringify(run)}${which} for job "${job.name}" (looked in ${dir})`,
    hint: 'give a manifest file, a run start time as named in that folder, or "latest"',
  });
}

export async function openManifestCheck(
  job: ResolvedJob,
  options: {
    run: string;
    level?: VerifyLevel;
    concurrency?: number;
    target?: S3Target;
    signal?: AbortSignal;
  },
): Promise<VerifyRun> {
  const file = await manifestFile(job, options.run);
  const level = options.level === 'deep' ? 'deep' : 'head';
  const target =
    options.target ??
    (await createS3Target(job.target, { maxSockets: (options.concurrency ?? 32) + 8 }));
  const unit = path.basename(file);
  const counts = emptyFindingCounts();
  const totals = { files: 0, bytesRead: 0 };
  let complete = false;
  const lines = (async function* () {
    const reader = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const text of reader) {
      if (!text.trim()) continue;
      const line = JSON.parse(text) as ManifestLine;
      if (
        line.type === 'file' &&
        line.key &&
        ownsKey(job.shard, line.key) &&
        (line.outcome === 'uploaded' || line.outcome === 'present')
      )
        yield line;
    }
  })();
  const check = (line: ManifestLine) =>
    checkLine(target, line, { unit, deep: level === 'deep', signal: options.signal });
  const items = (async function* (): AsyncGenerator<VerifyItem> {
    for await (const { findings, bytesRead } of mapUnordered(
      lines,
      options.concurrency ?? 32,
      check,
    )) {
      totals.files++;
      totals.bytesRead += bytesRead;
      for (const finding of findings) {
        counts[finding.kind]++;
        yield { type: 'finding', finding };
      }
    }
    const found = failing(counts);
    yield {
      type: 'folder',
      folder: {
        unit,
        folder: unit,
        files: totals.files,
        skipped: 0,
        objects: totals.files,
        findings: found,
        bytesRead: totals.bytesRead,
        cachedHashes: 0,
        readHashes: 0,
      },
    };
    complete = !options.signal?.aborted;
  })();
  const shard = sharded(job);
  return {
    scope: `manifest ${file}`,
    ...(shard ? { shard } : {}),
    level,
    estimate: async () => ({
      objects: 0,
      bytes: 0,
      listRequests: 0,
      headRequests: 0,
      getRequests: 0,
      bytesToDownload: 0,
      seconds: 0,
    }),
    items,
    summary: () => ({
      job: job.name,
      ...(shard ? { shard } : {}),
      level,
      scope: `manifest ${file}`,
      folders: 1,
      files: totals.files,
      skipped: 0,
      objects: totals.files,
      bytesRead: totals.bytesRead,
      cachedHashes: 0,
      readHashes: 0,
      findings: counts,
      repairs: { uploaded: 0, notReplaced: 0, failed: 0 },
      interrupted: !complete,
      exitCode: exitCodeOf({ interrupted: !complete, owed: failing(counts) }),
    }),
    dispose: async () => {
      if (!options.target) target.destroy();
    },
  };
}

async function checkLine(
  target: S3Target,
  line: ManifestLine,
  o: { unit: string; deep: boolean; signal?: AbortSignal },
): Promise<{ findings: Finding[]; bytesRead: number }> {
  const key = line.key!;
  const findings: Finding[] = [];
  const add = (kind: Finding['kind'], detail: string, expected?: string, actual?: string) =>
    findings.push({
      kind,
      unit: o.unit,
      key,
      ...(line.path ? { path: line.path } : {}),
      detail,
      ...(expected !== undefined ? { expected } : {}),
      ...(actual !== undefined ? { actual } : {}),
    });
  try {
    const details = await target.headObject(key, {
      ...(line.versionId ? { versionId: line.versionId } : {}),
      signal: o.signal,
    });
    if (!details) {
      const version = line.versionId ? ` (version ${line.versionId})` : '';
      add('missing', `the manifest records it${version}; the bucket no longer has it`);
      return { findings, bytesRead: 0 };
    }
    if (line.size !== undefined && details.size !== line.size)
      add('size', 'not the size the manifest records', String(line.size), String(details.size));
    const recorded = line.checksum;
    const stored = recorded
      ? details.metadata[`checksum-${recorded.algorithm.toLowerCase()}`]
      : undefined;
    if (recorded && stored !== recorded.value)
      add(
        stored ? 'object-corrupt' : 'no-checksum',
        stored
          ? 'the stored checksum is not the one the manifest records (the object was replaced)'
          : 'the object no longer carries the checksum the manifest records',
        recorded.value,
        stored ?? 'none',
      );
    if (
      line.retainUntil &&
      (!details.retainUntil || details.retainUntil.getTime() < Date.parse(line.retainUntil) - 1000)
    ) {
      add(
        'retention-short',
        'retained for less long than the manifest records',
        line.retainUntil,
        details.retainUntil?.toISOString() ?? 'none',
      );
    }
    if (!o.deep || !recorded || findings.length > 0) return { findings, bytesRead: 0 };
    const got = await target.getObject(key, { signal: o.signal });
    if (!got) {
      add('missing', 'deleted while it was checked');
      return { findings, bytesRead: 0 };
    }
    const hasher = await createHasher(recorded.algorithm);
    for await (const chunk of got.body as AsyncIterable<Uint8Array>) hasher.update(chunk);
    const actual = hasher.digest().toString('base64');
    if (actual !== recorded.value)
      add(
        'object-corrupt',
        `the object's bytes do not hash to the ${recorded.algorithm} the manifest records`,
        recorded.value,
        actual,
      );
    return { findings, bytesRead: got.size };
  } catch (error) {
    if ((error as { $metadata?: unknown }).$metadata && classifyS3Error(error).kind === 'fatal')
      throw targetError(error, {
        bucket: target.bucket,
        endpoint: target.endpoint,
        action: `checking ${key}`,
      });
    add('error', `could not check: ${describeError(error)}`);
    return { findings, bytesRead: 0 };
  }
}
