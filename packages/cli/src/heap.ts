/**
 * How fast the JavaScript heap may grow between full garbage collections.
 *
 * V8 lets a heap grow by a factor it derives from how fast it collects, up to 4× what survived
 * the last full collection. A sync holds little (about 25 MB live with dozens of requests in
 * flight) but allocates fast, so V8 let its heap reach ~100 MB and the process's peak RSS
 * ~165 MB. A fixed factor of 1.3 keeps the heap near what is live: the same sync peaks near
 * 140 MB. The price is more full collections; each is cheap while little is live.
 *
 * Measured on Node 20 (V8 11.3), where it is the default. Node 22 and 24 size their heaps
 * differently and the effect was not shown there: they keep V8's choice unless
 * `RECSYNC_HEAP_GROWING_PERCENT` asks. That variable sets a percentage (`0`: V8's own choice) on
 * any version; a `--heap-growing-percent` given to Node itself always wins.
 */
import v8 from 'node:v8';
import { RecsyncError } from '@recsync/framework/internal';

export const DEFAULT_HEAP_GROWING_PERCENT = 30;

/** The percentage to set, or undefined to leave V8's own. */
export function heapGrowingPercent(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
  nodeMajor = Number(process.versions.node.split('.')[0]),
): number | undefined {
  if (execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a))) return undefined;
  const raw = env.RECSYNC_HEAP_GROWING_PERCENT?.trim();
  if (raw === undefined || raw === '')
    return nodeMajor <= 20 ? DEFAULT_HEAP_GROWING_PERCENT : undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 1000)
    throw new RecsyncError('E_USAGE', {
      message:
        `RECSYNC_HEAP_GROWING_PERCENT=${JSON.stringify(raw)} is not a whole number ` +
        'from 0 to 1000',
      hint: 'set it to a percentage such as 30 (0: V8 chooses), or unset it',
    });
  return n === 0 ? undefined : n;
}

/** Applies {@link heapGrowingPercent} to this process (once; early, before the heap grows). */
export function tuneHeap(): number | undefined {
  const percent = heapGrowingPercent();
  if (percent !== undefined) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
