/**
 * How work runs at once: the two primitives. How much runs at once (and how often things are
 * tried) is decided in ./limits.ts.
 *
 * recsync is a pipeline of async iterables: strategy → filter/check stage → upload pool.
 * Each stage pulls from the one before, so a slow stage stops the earlier ones from reading
 * ahead: nothing is queued without bound and nothing materialises the archive.
 *
 * - {@link mapUnordered} runs a function over an async iterable with at most `concurrency`
 *   calls in flight and yields results as they finish (a slow item never stalls the others).
 *   Used for per-file work whose order does not matter (stat, HEAD, filter hooks).
 * - {@link runPool} is the worker pool: `concurrency` workers pull from one shared iterator.
 *   A worker takes the next item only when it is free, which is the backpressure.
 *
 * Why not p-map: `pMap` keeps a results array as long as the input (millions of entries) and
 * `pMapIterable` yields in input order, so one large upload would stall every worker behind it.
 */

/** Runs `worker` over `items` with at most `concurrency` in flight; resolves when all are done. */
export async function runPool<T>(
  items: AsyncIterable<T>,
  concurrency: number,
  worker: (item: T) => Promise<void>,
): Promise<void> {
  const iterator = items[Symbol.asyncIterator]();
  let failure: { error: unknown } | undefined;
  const loop = async (): Promise<void> => {
    while (!failure) {
      // Async generators queue concurrent next() calls, so each item goes to exactly one worker.
      const next = await iterator.next();
      if (next.done) return;
      try {
        await worker(next.value);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, loop));
  if (failure) {
    await iterator.return?.();
    throw failure.error;
  }
}

/**
 * Maps `items` through `fn` with at most `concurrency` calls in flight and yields each result
 * as soon as it is ready. Reads at most `concurrency` items ahead of the consumer.
 * The first error thrown by `fn` is rethrown to the consumer. An error thrown by the source is
 * rethrown only after every item already taken from it has been yielded: those items exist,
 * and dropping them would lose files that were seen.
 */
export async function* mapUnordered<T, R>(
  items: AsyncIterable<T> | Iterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const iterator =
    Symbol.asyncIterator in items
      ? (items as AsyncIterable<T>)[Symbol.asyncIterator]()
      : toAsync((items as Iterable<T>)[Symbol.iterator]());
  const inFlight = new Map<number, Promise<{ id: number; value: R }>>();
  let nextId = 0;
  let sourceDone = false;
  let sourceError: { error: unknown } | undefined;
  try {
    for (;;) {
      while (!sourceDone && inFlight.size < concurrency) {
        let next: IteratorResult<T>;
        try {
          next = await iterator.next();
        } catch (error) {
          sourceError = { error };
          sourceDone = true;
          break;
        }
        if (next.done) {
          sourceDone = true;
          break;
        }
        const id = nextId++;
        inFlight.set(
          id,
          fn(next.value).then((value) => ({ id, value })),
        );
      }
      if (inFlight.size === 0) {
        if (sourceError) throw sourceError.error;
        return;
      }
      const settled = await Promise.race(inFlight.values());
      inFlight.delete(settled.id);
      yield settled.value;
    }
  } finally {
    if (!sourceDone) await iterator.return?.();
    // Let in-flight calls finish so no work outlives the consumer unobserved.
    await Promise.allSettled(inFlight.values());
  }
}

function toAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return { next: async () => iterator.next() };
}

/** A counting semaphore: at most `size` holders at once, waiters served in order. */
export class Semaphore {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {}

  /** Resolves once a slot is held; call the returned function exactly once to give it back. */
  async acquire(): Promise<() => void> {
    if (this.held < this.size) this.held++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes straight to the next waiter
      else this.held--;
    };
  }
}
