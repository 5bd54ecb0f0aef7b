/**
 * "Is this file already in the bucket?", answered per partition:
 *
 * - `list`: one paginated ListObjectsV2 of the partition's prefix, started ahead of time (the
 *   engine prefetches a few partitions), held as key → size for that partition only. A file is
 *   present when an object with the same key and size exists. Keys outside the listed prefix
 *   (a `key` hook moved them) and partitions without a prefix fall back to HEAD.
 * - `head`: one HeadObject per file: present when the size matches and, if the object carries
 *   `mtime` metadata (recsync's or rclone's), that matches the local mtime at the precision it
 *   was stored with (a file modified in place with the same size is uploaded again). Objects
 *   written by other tools are judged by size.
 * - `none`: never present; every candidate is uploaded.
 *
 * Size, not mtime, decides: in an append-mostly archive a file of the right size under the
 * right key is the file (`aws s3 sync --size-only`). A listing that fails with a transient
 * error falls back to HEAD for that partition rather than failing it.
 */
import type { RemoteCheckMode } from '../strategy.js';
import type { Target } from '../s3/target.js';
import { classifyS3Error, targetError } from '../s3/classify.js';
import { sameMtime } from '../s3/mtime.js';
import type { PlanFile } from './plan.js';

export interface PresenceCheck {
  isPresent(key: string, size: number, mtimeMs: number): Promise<boolean>;
}

export interface RemoteChecker {
  /**
   * The check for a partition; `mode` overrides the job's. With `eager`, the listing starts now
   * (prefetch); otherwise on the first file, so an empty partition costs no request.
   */
  forPrefix(
    listPrefix: string | undefined,
    signal: AbortSignal,
    options?: { mode?: RemoteCheckMode; eager?: boolean },
  ): PresenceCheck;
  /** For files outside any partition (the pending pass). */
  single(signal: AbortSignal): PresenceCheck;
}

/**
 * `headFrom`: with `none`, files of at least this size are still checked with HEAD. Write-once
 * jobs use it: the store checks `If-None-Match` only on Complete, so without it a multipart
 * file already in the bucket would be sent whole to learn it was there.
 */
export function createRemoteChecker(
  jobMode: RemoteCheckMode,
  target: Target | undefined,
  warn: (m: string) => void,
  options: { headFrom?: number } = {},
): RemoteChecker {
  const never: PresenceCheck = { isPresent: async () => false };
  if (!target) return { forPrefix: () => never, single: () => never };
  const byHead = (signal: AbortSignal): PresenceCheck => ({
    async isPresent(key, size, mtimeMs) {
      try {
        const remote = await target.head(key, signal);
        return (
          remote !== undefined && remote.size === size && sameMtime(remote.mtime, { ms: mtimeMs })
        );
      } catch (error) {
        if (classifyS3Error(error).kind === 'fatal')
          throw targetError(error, { ...target, action: `HEAD ${key}` });
        return false; // unknown: uploading again is safe, skipping is not
      }
    },
  });
  const { headFrom } = options;
  const absent = (signal: AbortSignal): PresenceCheck =>
    headFrom === undefined
      ? never
      : {
          isPresent: (key, size, mtimeMs) =>
            size >= headFrom
              ? byHead(signal).isPresent(key, size, mtimeMs)
              : Promise.resolve(false),
        };
  return {
    single: (signal) => (jobMode === 'none' ? absent(signal) : byHead(signal)),
    forPrefix(listPrefix, signal, options = {}) {
      const mode = options.mode ?? jobMode;
      if (mode === 'none') return absent(signal);
      if (mode === 'head' || listPrefix === undefined) return byHead(signal);
      let listing: Promise<Map<string, number>> | undefined;
      const start = () => {
        listing ??= listAll(target, listPrefix, signal);
        // observed below; avoids an unhandled rejection while prefetched
        listing.catch(() => undefined);
        return listing;
      };
      if (options.eager) void start();
      const fallback = byHead(signal);
      let warned = false;
      return {
        async isPresent(key, size, mtimeMs) {
          if (!key.startsWith(listPrefix)) return fallback.isPresent(key, size, mtimeMs);
          let objects: Map<string, number>;
          try {
            objects = await start();
          } catch (error) {
            if (classifyS3Error(error).kind === 'fatal')
              throw targetError(error, { ...target, action: `listing ${listPrefix}` });
            if (!warned)
              warn(
                `listing ${listPrefix} failed (${(error as Error).message}); checking ` +
                  'files one by one instead',
              );
            warned = true;
            return fallback.isPresent(key, size, mtimeMs);
          }
          return objects.get(key) === size;
        },
      };
    },
  };
}

async function listAll(
  target: Target,
  prefix: string,
  signal: AbortSignal,
): Promise<Map<string, number>> {
  const objects = new Map<string, number>();
  for await (const o of target.list(prefix, signal)) objects.set(o.key, o.size);
  return objects;
}

/**
 * The remote check stage of the plan: a file the filter planned as `upload` is `present` when
 * the bucket already holds it. `forced`: never forgiven by a listing (see `mustUpload` in
 * ./pending.ts).
 */
export async function checkRemote(
  item: PlanFile,
  check: PresenceCheck,
  forced: boolean,
): Promise<PlanFile> {
  if (item.action !== 'upload' || forced) return item;
  return (await check.isPresent(item.key, item.size, item.mtimeMs))
    ? { ...item, action: 'present' }
    : item;
}
