import { describe, expect, it } from 'vitest';
import { createTree, strategyConformance } from '../src/testing/index.js';
import { defineStrategy, z, type FileCandidate } from '../src/index.js';

/** A one-partition strategy whose files come from a list, so each test can break one rule. */
function listStrategy(
  yieldFiles: (root: string) => FileCandidate[],
  options: { cursorBackwards?: boolean } = {},
) {
  return defineStrategy({
    name: 'list',
    options: z.strictObject({}),
    cursor: z.strictObject({ runs: z.number() }),
    create: (_o, ctx) => ({
      async *partitions(request) {
        if (request.signal.aborted) return;
        if (request.cursor) return;
        yield {
          id: 'all',
          dir: ctx.source,
          prefix: 'd/',
          closed: true,
          files: async function* () {
            yield* yieldFiles(ctx.source);
          },
        };
      },
      advance: (cursor) =>
        options.cursorBackwards && cursor ? { runs: cursor.runs - 1 } : { runs: 1 },
    }),
  });
}

async function failures(definition: ReturnType<typeof listStrategy>): Promise<string[]> {
  const checks = strategyConformance({
    definition,
    options: {},
    async fixture() {
      const tree = await createTree({
        'd/a.wav': { size: 5, mtime: '2026-01-01T00:00:00Z' },
        'e/b.wav': 'x',
      });
      return { source: tree.root, now: new Date('2026-01-02T00:00:00Z'), cleanup: tree.cleanup };
    },
  });
  const failed: string[] = [];
  for (const check of checks) await check.run().catch((e: Error) => failed.push(e.message));
  return failed;
}

describe('strategy conformance suite', () => {
  it('passes a strategy that keeps the contract', async () => {
    expect(
      await failures(
        listStrategy(() => [
          { path: 'd/a.wav', size: 5, mtimeMs: Date.parse('2026-01-01T00:00:00Z') },
        ]),
      ),
    ).toEqual([]);
  });

  it('catches a path that leaves the root', async () => {
    const f = await failures(
      listStrategy(() => [{ path: 'd/../../etc/passwd', size: 1, mtimeMs: 0 }]),
    );
    expect(f.join('\n')).toContain('path leaves the source root');
  });

  it('catches a file outside its partition prefix and a wrong size', async () => {
    expect(
      (await failures(listStrategy(() => [{ path: 'e/b.wav', size: 1, mtimeMs: 0 }]))).join('\n'),
    ).toContain("is not under its partition's prefix d/");
    expect(
      (
        await failures(
          listStrategy(() => [
            { path: 'd/a.wav', size: 99, mtimeMs: Date.parse('2026-01-01T00:00:00Z') },
          ]),
        )
      ).join('\n'),
    ).toContain('reported size 99, disk says 5');
  });

  it('catches a cursor that moves backwards', async () => {
    const f = await failures(
      listStrategy(
        () => [{ path: 'd/a.wav', size: 5, mtimeMs: Date.parse('2026-01-01T00:00:00Z') }],
        { cursorBackwards: true },
      ),
    );
    expect(f.join('\n')).toContain('advancing over the same partitions again moved the cursor');
  });

  it('catches capabilities outside features, and a candidate of an unknown kind', async () => {
    const good = listStrategy(() => [
      { path: 'd/a.wav', size: 5, mtimeMs: Date.parse('2026-01-01T00:00:00Z') },
    ]);
    // A 0.1-style strategy: capabilities at the top level are ignored by the framework.
    const old = {
      ...good,
      defaultRemoteCheck: 'head',
      create: (o: never, ctx: never) => ({ ...good.create(o, ctx), missingTimeoutMs: 1000 }),
    } as unknown as typeof good;
    const f = (await failures(old)).join('\n');
    expect(f).toContain('the definition has members the framework ignores');
    expect(f).toContain("'defaultRemoteCheck'");
    expect(f).toContain('the instance has members the framework ignores');
    expect(f).toContain("'missingTimeoutMs'");
    const oddKind = listStrategy(() => [
      { kind: 'gone', path: 'd/a.wav' } as unknown as FileCandidate,
    ]);
    expect((await failures(oddKind)).join('\n')).toContain(
      'd/a.wav: unknown candidate kind "gone"',
    );
  });
});
