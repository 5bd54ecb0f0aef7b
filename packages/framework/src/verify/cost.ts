/**
 * What a verify run will cost, shown before it runs: objects in scope, requests by kind, bytes
 * to download. Found by one paged listing of the scope (objects are counted, never held), so
 * the estimate itself costs about one LIST request per 1,000 objects. A `list` run needs no
 * estimate pass: its cost is those listings. A shard counts only the objects it owns (it still
 * lists the whole scope).
 */
import type { VerifyContext } from './context.js';

export interface VerifyCost {
  readonly objects: number;
  readonly bytes: number;
  /** ListObjectsV2 requests (about one per 1,000 objects, at least one per folder). */
  readonly listRequests: number;
  readonly headRequests: number;
  readonly getRequests: number;
  readonly bytesToDownload: number;
  /** Rough duration of the HEAD/GET part at the given rate (requests in flight), seconds. */
  readonly seconds: number;
}

/**
 * Requests per second a store answers per connection, for the rough duration (S3: ~20-50 ms a
 * HEAD).
 */
const PER_CONNECTION_PER_SECOND = 25;

export async function estimateCost(
  ctx: VerifyContext,
  roots: readonly string[],
): Promise<VerifyCost> {
  let listed = 0; // every key the listings return, whichever shard owns it
  let objects = 0;
  let bytes = 0;
  let selected = 0;
  let selectedBytes = 0;
  for (const rel of roots) {
    const prefix = ctx.job.target.prefix + (rel ? `${rel}/` : '');
    for await (const o of ctx.reader.listObjects(prefix, { signal: ctx.signal })) {
      listed++;
      if (ctx.ownKeys(o.key) || !ctx.owns(o.key)) continue; // recsync's own, or another shard's
      objects++;
      bytes += o.size;
      if (!ctx.subset || ctx.subset.has(o.key)) {
        selected++;
        selectedBytes += o.size;
      }
    }
  }
  const listRequests = Math.max(roots.length, Math.ceil(listed / 1000));
  const headRequests = ctx.level === 'head' ? objects : 0;
  const getRequests = ctx.level === 'deep' ? selected : 0;
  const bytesToDownload = ctx.level === 'deep' ? selectedBytes : 0;
  const seconds = (headRequests + getRequests) / (PER_CONNECTION_PER_SECOND * ctx.concurrency);
  return { objects, bytes, listRequests, headRequests, getRequests, bytesToDownload, seconds };
}
