/**
 * The audit manifest: what each sync did, as JSON lines, written by a plugin that only
 * observes the run's hooks.
 *
 * File: `<stateDir>/manifests/<job>/<startedAt>[.shard-I-of-N].jsonl` (one per sync and shard,
 * streamed as the run goes,
 * so a crash leaves the lines written so far). Lines:
 *   {"type":"run",…RunInfo}
 *   {"type":"file","outcome":"uploaded","key",…,"size","mtime","checksum":{"algorithm","value",
 *     "verifiedBy"},"etag","versionId","storageClass","retainUntil"}   (one per file outcome)
 *   {"type":"done",…RunStats}
 * Retention: the newest `keep` manifests of a job are kept (default 90), older ones deleted at
 * the end of a run.
 *
 * With `target.manifest.prefix`, the finished manifest is also stored in the bucket as one
 * object, `<prefix><job>/<startedAt>.jsonl`, with a checksum. The key is from the bucket root
 * (not under `target.prefix`), so it is never listed as part of a partition; a failure to store
 * it is a warning, never a failed run.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { CHECKSUM_FIELD, checksumOfFile } from '../checksum.js';
import { describeError } from '../errors.js';
import type { RunStats } from '../events.js';
import type { FileEvent, Hooks } from '../hooks.js';
import { definePlugin, type Plugin } from '../plugin.js';
import type { Target } from '../s3/target.js';
import type { TargetConfig } from '../config/schema.js';
import { sseFields } from '../s3/object-settings.js';
import { shardSuffix } from '../shard.js';

export interface ManifestOptions {
  readonly stateDir: string;
  readonly job: string;
  readonly target: TargetConfig;
  /** The run's target, once it exists (for the bucket copy). */
  readonly targetOf: () => Target | undefined;
}

const NAME = 'recsync:manifest';

export function manifestPlugin(options: ManifestOptions): Plugin {
  const dir = path.join(options.stateDir, 'manifests', options.job);
  return definePlugin({
    name: NAME,
    apply(hooks, context) {
      if (context.mode !== 'sync') return;
      let stream: WriteStream | undefined;
      let file = '';
      const line = (data: object) => stream?.write(`${JSON.stringify(data)}\n`);
      hooks.run.tapPromise(NAME, async (info) => {
        await mkdir(dir, { recursive: true });
        // Shards started at once would otherwise share a name (and append to one file).
        file = path.join(
          dir,
          `${info.startedAt.replace(/:/g, '-')}${shardSuffix(info.shard)}.jsonl`,
        );
        stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
        line({ type: 'run', ...info });
      });
      const onFile = (e: FileEvent) => line(fileLine(e));
      for (const hook of [hooks.uploaded, hooks.skipped, hooks.uploadFailed])
        hook.tap(NAME, onFile);
      hooks.done.tapPromise(NAME, async (stats) => {
        if (!stream) return;
        line({ type: 'done', ...stats });
        await new Promise<void>((resolve, reject) =>
          stream!.end((error?: Error | null) => (error ? reject(error) : resolve())),
        );
        stream = undefined;
        await prune(dir, options.target.manifest?.keep ?? 90, hooks, options.job);
        await storeInBucket(options, file, stats, hooks);
      });
    },
  });
}

function fileLine(e: FileEvent): object {
  const { stored } = e;
  return {
    type: 'file',
    outcome: e.outcome,
    key: e.key,
    path: e.path,
    size: e.size,
    ...(stored?.mtime ? { mtime: stored.mtime } : {}),
    ...(stored?.checksum ? { checksum: stored.checksum } : {}),
    ...(stored?.etag ? { etag: stored.etag } : {}),
    ...(stored?.versionId ? { versionId: stored.versionId } : {}),
    ...(stored?.storageClass ? { storageClass: stored.storageClass } : {}),
    ...(stored?.retainUntil ? { retainUntil: stored.retainUntil } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
    ...(e.error ? { error: e.error } : {}),
  };
}

/** Keeps the newest `keep` manifests (names sort by start time). */
async function prune(dir: string, keep: number, hooks: Hooks, job: string): Promise<void> {
  try {
    const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort();
    for (const name of names.slice(0, Math.max(0, names.length - keep)))
      await rm(path.join(dir, name), { force: true });
  } catch (error) {
    hooks.warning.call({
      job,
      code: 'W_MANIFEST',
      message: `could not prune old manifests in ${dir}: ${describeError(error)}`,
    });
  }
}

async function storeInBucket(
  options: ManifestOptions,
  file: string,
  stats: RunStats,
  hooks: Hooks,
): Promise<void> {
  const prefix = options.target.manifest?.prefix;
  const target = options.targetOf();
  if (prefix === undefined || !target || stats.error) return;
  const key = `${prefix}${options.job}/${path.basename(file)}`;
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const algorithm = options.target.checksum === 'none' ? undefined : options.target.checksum;
      const value = algorithm ? await checksumOfFile(handle, size, algorithm) : undefined;
      const body =
        size > 0 ? handle.createReadStream({ start: 0, end: size - 1, autoClose: false }) : '';
      await target.put({
        input: {
          Bucket: options.target.bucket,
          Key: key,
          Body: body,
          ContentLength: size,
          ContentType: 'application/x-ndjson',
          ...(algorithm && value
            ? { ChecksumAlgorithm: algorithm, [CHECKSUM_FIELD[algorithm]]: value }
            : {}),
          ...(options.target.sse ? sseFields(options.target.sse) : {}),
        },
        ...(algorithm ? { algorithm } : {}),
      });
    } finally {
      await handle.close();
    }
  } catch (error) {
    hooks.warning.call({
      job: options.job,
      code: 'W_MANIFEST',
      message:
        `could not store the manifest as ${key}: ${describeError(error)} (it is kept in ` +
        `${file})`,
    });
  }
}
