/**
 * Upload bandwidth limit (`upload.maxBandwidth`): one limiter per job, shared by every request
 * body it sends (single PUTs and multipart parts alike), so the sum over all concurrent
 * uploads stays at the rate, not each upload.
 *
 * Pacing: each chunk reserves its transmission slot on one timeline (`next`) and waits until
 * its slot starts. Over any window, bytes released ≤ rate × window + one chunk, so the
 * long-run rate is the set rate. Idle time earns credit up to one second's worth (`burst`):
 * when the network or the store stalls for a moment, the uploads catch up afterwards instead
 * of losing that time, and a quiet minute still does not allow a minute's worth at once.
 * Reservations are first come, first served. The clock and the sleep are injectable so the
 * arithmetic is tested without timing.
 */
import { Transform, type TransformCallback } from 'node:stream';

export interface RateLimiter {
  readonly bytesPerSecond: number;
  /** Resolves when `bytes` may be sent. */
  take(bytes: number): Promise<void>;
}

export interface RateLimiterOptions {
  readonly bytesPerSecond: number;
  /** Bytes that may go without waiting after an idle period or a stall (default: 1 s worth). */
  readonly burst?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Largest piece a body is cut into, so concurrent uploads interleave smoothly. */
export const RATE_CHUNK = 64 * 1024;

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { bytesPerSecond } = options;
  if (!(bytesPerSecond > 0))
    throw new RangeError(`bytesPerSecond must be positive, got ${bytesPerSecond}`);
  const now = options.now ?? (() => performance.now());
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const burstMs = ((options.burst ?? bytesPerSecond) / bytesPerSecond) * 1000;
  let next = -Infinity;
  return {
    bytesPerSecond,
    async take(bytes) {
      const t = now();
      // An idle timeline starts at most `burst` in the past: that much goes out at once.
      const start = Math.max(next, t - burstMs);
      next = start + (bytes / bytesPerSecond) * 1000;
      const wait = start - t;
      if (wait > 0) await sleep(wait);
    },
  };
}

/** A pass-through stream that releases its input at the limiter's pace, in ≤64 KiB pieces. */
export function throttleStream(limiter: RateLimiter): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      void (async () => {
        for (let offset = 0; offset < chunk.length; offset += RATE_CHUNK) {
          const piece = chunk.subarray(offset, offset + RATE_CHUNK);
          await limiter.take(piece.length);
          this.push(piece);
        }
      })().then(() => callback(), callback);
    },
  });
}
