/**
 * The strategy conformance suite: the checks every strategy (built-in or third-party) must
 * pass, independent of any test runner. Each check throws an AssertionError on failure.
 *
 *   import { strategyConformance } from '@recsync/framework/testing';
 *   for (const check of strategyConformance(subject)) it(check.name, check.run);
 *
 * What it verifies: options and cursor schemas; unique partition ids; file paths that are
 * relative, inside the source and under the partition's key prefix; reported sizes and mtimes
 * that match the disk; a cursor that survives JSON and its own schema; `advance` that never
 * moves backwards; a second run that finds files added since, and re-reads unchanged files only
 * in re-check or open partitions; prompt stop on an aborted signal; candidates of a known kind;
 * optional capabilities declared in `features` under their documented names.
 */
import assert from 'node:assert/strict';
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { pathRefusal } from '../fs/containment.js';
import {
  isCandidateFile,
  type AnyStrategyDefinition,
  type Partition,
  type StrategyInstance,
} from '../strategy.js';
import { advanceCursor, runStrategy } from './drive.js';

const pathProblem = (relative: string): string | undefined => pathRefusal(relative)?.reason;

export interface ConformanceFixture {
  /** Absolute source root holding the fixture archive. */
  readonly source: string;
  /** The clock of the first run. */
  readonly now: Date;
  /**
   * Adds files after the first run; returns their relative paths, which the second run must yield.
   */
  addFiles?(): Promise<string[]>;
  /** Clock of the second run (default: first + 1 day). */
  readonly later?: Date;
  cleanup(): Promise<void>;
}

export interface ConformanceSubject {
  readonly definition: AnyStrategyDefinition;
  /** Options as a user writes them. */
  readonly options: unknown;
  /** Builds a fresh fixture archive for one check. */
  fixture(): Promise<ConformanceFixture>;
}

export interface ConformanceCheck {
  readonly name: string;
  run(): Promise<void>;
}

const CANDIDATE_KINDS = new Set(['file', 'missing', 'refused', 'unreadable']);
const DEFINITION_MEMBERS = new Set(['name', 'options', 'cursor', 'create', 'features']);
const DEFINITION_FEATURES = new Set([
  'identity',
  'range',
  'describeCursor',
  'defaultRemoteCheck',
  'defaultSettleMs',
]);
const INSTANCE_MEMBERS = new Set(['partitions', 'advance', 'features']);
const INSTANCE_FEATURES = new Set([
  'describe',
  'committed',
  'compareCursors',
  'missingTimeoutMs',
  'partitionStart',
  'futureCursor',
  'partitionsMayShrink',
]);

/**
 * Names in `keys` that `known` does not have: a misspelt feature, or one declared outside
 * `features`.
 */
function unknownNames(keys: Iterable<string>, known: ReadonlySet<string>): string[] {
  return [...keys].filter((k) => !known.has(k));
}

interface Collected {
  partition: Partition;
  files: { path: string; size: number; mtimeMs: number }[];
}

async function collect(
  instance: StrategyInstance<unknown>,
  cursor: unknown,
  now: Date,
): Promise<Collected[]> {
  const run = await runStrategy(instance, { cursor, now });
  return run.partitions.map(({ partition, files }) => ({
    partition,
    files: files.map((f) => {
      assert.ok(
        CANDIDATE_KINDS.has(f.kind ?? 'file'),
        `${f.path}: unknown candidate kind ${JSON.stringify(f.kind)} (file, ` +
          'missing, refused, unreadable)',
      );
      return isCandidateFile(f)
        ? { path: f.path, size: f.size, mtimeMs: f.mtimeMs }
        : { path: f.path, size: 0, mtimeMs: 0 };
    }),
  }));
}

const advanceAll = (instance: StrategyInstance<unknown>, cursor: unknown, runs: Collected[]) =>
  advanceCursor(
    instance,
    cursor,
    runs.map((r) => r.partition),
  );

export function strategyConformance(subject: ConformanceSubject): ConformanceCheck[] {
  const { definition } = subject;
  const create = (source: string) => {
    const options = definition.options.parse(subject.options);
    return definition.create(options as never, {
      source,
      followSymlinks: false,
      warn: () => undefined,
    });
  };
  const withFixture = (
    name: string,
    body: (f: ConformanceFixture, instance: StrategyInstance<unknown>) => Promise<void>,
  ): ConformanceCheck => ({
    name: `${definition.name}: ${name}`,
    async run() {
      const fixture = await subject.fixture();
      try {
        await body(fixture, create(fixture.source));
      } finally {
        await fixture.cleanup();
      }
    },
  });

  return [
    {
      name:
        `${definition.name}: declares a name, an options schema that accepts the options, ` +
        'and a cursor schema',
      async run() {
        assert.ok(definition.name.length > 0, 'name is empty');
        const parsed = definition.options.safeParse(subject.options);
        assert.ok(
          parsed.success,
          `options schema refuses the subject's options: ${parsed.error?.message}`,
        );
        assert.equal(typeof definition.cursor.safeParse, 'function', 'cursor must be a zod schema');
        if (definition.features?.identity)
          JSON.stringify(definition.features.identity(parsed.data as never));
      },
    },
    withFixture(
      'yields partitions with unique ids and files that are inside the source, relative ' +
        'and correctly described',
      async (f, instance) => {
        const runs = await collect(instance, undefined, f.now);
        assert.ok(
          runs.some((r) => r.files.length > 0),
          'the fixture yields no file at all: the check would prove nothing',
        );
        const ids = runs.map((r) => r.partition.id);
        assert.equal(new Set(ids).size, ids.length, `duplicate partition ids: ${ids.join(', ')}`);
        for (const { partition, files } of runs) {
          assert.ok(
            path.isAbsolute(partition.dir),
            `partition ${partition.id}: dir must be absolute`,
          );
          if (partition.prefix !== undefined) {
            assert.ok(
              partition.prefix === '' || partition.prefix.endsWith('/'),
              `partition ${partition.id}: prefix must end with "/"`,
            );
            assert.equal(
              pathProblem(`${partition.prefix}x`),
              undefined,
              `partition ${partition.id}: unsafe prefix ${partition.prefix}`,
            );
          }
          for (const file of files) {
            assert.equal(
              pathProblem(file.path),
              undefined,
              `${file.path}: ${pathProblem(file.path)}`,
            );
            if (partition.prefix)
              assert.ok(
                file.path.startsWith(partition.prefix),
                `${file.path} is not under its partition's prefix ${partition.prefix}: the ` +
                  'list check would never find it',
              );
            const stats = await lstat(path.join(f.source, ...file.path.split('/')));
            assert.ok(stats.isFile(), `${file.path} is not a regular file`);
            assert.equal(
              file.size,
              stats.size,
              `${file.path}: reported size ${file.size}, disk says ${stats.size}`,
            );
            assert.equal(
              Math.floor(file.mtimeMs),
              Math.floor(stats.mtimeMs),
              `${file.path}: reported mtime differs from the disk`,
            );
          }
        }
      },
    ),
    withFixture(
      'keeps a cursor that survives JSON and its own schema, and never moves it backwards',
      async (f, instance) => {
        const runs = await collect(instance, undefined, f.now);
        const cursor = advanceAll(instance, undefined, runs);
        const roundTrip = JSON.parse(JSON.stringify(cursor ?? null));
        if (cursor !== undefined) {
          assert.deepEqual(roundTrip, cursor, 'the cursor does not survive JSON');
          assert.ok(
            definition.cursor.safeParse(roundTrip).success,
            `the cursor ${JSON.stringify(cursor)} fails the cursor schema`,
          );
        }
        assert.deepEqual(
          advanceAll(instance, cursor, runs),
          cursor,
          'advancing over the same partitions again moved the cursor',
        );
      },
    ),
    withFixture(
      'finds files added since the last run, and re-reads unchanged files only in re-check ' +
        'or open partitions',
      async (f, instance) => {
        const first = await collect(instance, undefined, f.now);
        const cursor =
          JSON.parse(JSON.stringify(advanceAll(instance, undefined, first) ?? null)) ?? undefined;
        const added = (await f.addFiles?.()) ?? [];
        const later = f.later ?? new Date(f.now.getTime() + 86_400_000);
        const second = await collect(create(f.source), cursor, later);
        const seen = new Set(second.flatMap((r) => r.files.map((x) => x.path)));
        for (const p of added)
          assert.ok(seen.has(p), `the second run does not yield ${p}, added after the first`);
        const doneBefore = new Set(
          first.filter((r) => r.partition.closed).flatMap((r) => r.files.map((x) => x.path)),
        );
        for (const { partition, files } of second) {
          if (partition.recheck || !partition.closed) continue;
          for (const file of files) {
            assert.ok(
              !doneBefore.has(file.path) || added.includes(file.path),
              `${file.path} was done in a closed partition and is yielded again by ` +
                `${partition.id}, which is not a re-check`,
            );
          }
        }
      },
    ),
    withFixture('stops promptly when its signal is aborted', async (f, instance) => {
      const controller = new AbortController();
      controller.abort();
      let count = 0;
      for await (const _ of instance.partitions({
        cursor: undefined,
        now: f.now,
        signal: controller.signal,
      }))
        if (++count > 1) break;
      assert.ok(count <= 1, 'partitions() went on after its signal was aborted');
    }),
    withFixture(
      'declares its optional capabilities in features, by their documented names',
      async (_f, instance) => {
        const problems: string[] = [];
        const report = (what: string, names: string[]) => {
          if (names.length > 0) problems.push(`${what}: ${names.map((n) => `'${n}'`).join(', ')}`);
        };
        report(
          'the definition has members the framework ignores',
          unknownNames(Object.keys(definition), DEFINITION_MEMBERS),
        );
        report(
          'unknown definition features',
          unknownNames(Object.keys(definition.features ?? {}), DEFINITION_FEATURES),
        );
        if (Object.getPrototypeOf(instance) === Object.prototype)
          report(
            'the instance has members the framework ignores',
            unknownNames(Object.keys(instance), INSTANCE_MEMBERS),
          );
        report(
          'unknown instance features',
          unknownNames(Object.keys(instance.features ?? {}), INSTANCE_FEATURES),
        );
        assert.ok(
          problems.length === 0,
          `${problems.join('; ')} (optional capabilities belong in features: see "The ` +
            'contract" in docs/plugins.md)',
        );
      },
    ),
    withFixture('describes itself with plain JSON values', async (f, instance) => {
      await collect(instance, undefined, f.now);
      const facts = instance.features?.describe?.() ?? {};
      for (const [k, v] of Object.entries(facts))
        assert.ok(
          ['string', 'number', 'boolean'].includes(typeof v),
          `describe().${k} is ${typeof v}`,
        );
    }),
  ];
}
