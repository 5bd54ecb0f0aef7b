/**
 * "Is this file already in the bucket?", answered per partition:
 *
 * - `list`: one paginated ListObjectsV2 of the partition's prefix, started ahead of time (the
 *   engine prefetches a few partitions), held as key → size for that partition only. A file is
 *   present when an object with the same key and size exists. Keys outside the listed prefix
 *   (a `key` hook moved them) and partitions without a prefix fall back to HEAD.
 * - `head`: one HeadObject per file, same rule.
 * - `none`: never present; every candidate is uploaded.
 *
 * Size, not mtime, decides: in an append-mostly archive a file of the right size under the
 * right key is the file (`aws s3 sync --size-only`). A listing that fails with a transient
 * error falls back to HEAD for that partition rather than failing it.
 */
import type { Target } from '../s3/target.js';
import { classifyS3Error, targetError } from '../s3/classify.js';

export type RemoteCheckMode = 'list' | 'head' | 'none';

export interface PresenceCheck {
  isPresent(key: string, size: number): Promise<boolean>;
}

export interface RemoteChecker {
  /** Starts the work for a partition (the listing) and returns its check. */
  forPrefix(listPrefix: string | undefined, signal: AbortSignal): PresenceCheck;
  /** For files outside any partition (the pending pass). */
  single(signal: AbortSignal): PresenceCheck;
}

export function createRemoteChecker(mode: RemoteCheckMode, target: Target | undefined, warn: (m: string) => void): RemoteChecker {
  const absent: PresenceCheck = { isPresent: async () => false };
  if (mode === 'none' || !target) return { forPrefix: () => absent, single: () => absent };
  const byHead = (signal: AbortSignal): PresenceCheck => ({
    async isPresent(key, size) {
      try {
        return (await target.head(key, signal))?.size === size;
      } catch (error) {
        if (classifyS3Error(error).kind === 'fatal') throw targetError(error, { ...target, action: `HEAD ${key}` });
        return false; // unknown: uploading again is safe, skipping is not
      }
    },
  });
  if (mode === 'head') return { forPrefix: (_p, signal) => byHead(signal), single: byHead };
  return {
    single: byHead,
    forPrefix(listPrefix, signal) {
      if (listPrefix === undefined) return byHead(signal);
      const listing = listAll(target, listPrefix, signal);
      listing.catch(() => undefined); // observed below; avoids an unhandled rejection while prefetched
      const fallback = byHead(signal);
      let warned = false;
      return {
        async isPresent(key, size) {
          if (!key.startsWith(listPrefix)) return fallback.isPresent(key, size);
          let objects: Map<string, number>;
          try {
            objects = await listing;
          } catch (error) {
            if (classifyS3Error(error).kind === 'fatal') throw targetError(error, { ...target, action: `listing ${listPrefix}` });
            if (!warned) warn(`listing ${listPrefix} failed (${(error as Error).message}); checking files one by one instead`);
            warned = true;
            return fallback.isPresent(key, size);
          }
          return objects.get(key) === size;
        },
      };
    },
  };
}

async function listAll(target: Target, prefix: string, signal: AbortSignal): Promise<Map<string, number>> {
  const objects = new Map<string, number>();
  for await (const o of target.list(prefix, signal)) objects.set(o.key, o.size);
  return objects;
}
