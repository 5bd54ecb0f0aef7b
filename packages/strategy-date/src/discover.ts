/**
 * Discovery: the oldest period that has a folder, for a first run without `start`.
 *
 * Reads only the layout's folder levels: the source, then, oldest first, only folders whose
 * names fit the next level, and stops at the first partition folder found. It never reads a
 * partition folder's contents, so its cost is a handful of directory reads, not the archive.
 *
 * Along the way it counts what it saw at those levels and will never sync: folders whose names
 * do not fit the layout (or name no real date, like `2026-02-30`), files sitting at a folder
 * level (they belong to no partition), and symlinks it did not follow. Counts cover only the
 * folders it read, which always includes the whole top level.
 */
import { opendir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { followLink, IncompleteWalkError, toPosix } from '@recsync/framework';
import { matchSegment, type Layout } from './layout.js';
import { makePeriod, type Period, type PeriodFields } from './period.js';

export interface DiscoveryCounts {
  /** Folders at a layout level whose names do not fit it. */
  ignoredFolders: number;
  /**
   * Files (and special files) at a layout level above the partitions: they belong to no partition.
   */
  ignoredFiles: number;
  /**
   * Symlinks at a layout level that were not followed (following is off, or the target is outside
   * the source).
   */
  skippedSymlinks: number;
  /** A few ignored paths, relative to the source, for a warning. */
  examples: string[];
}

export interface DiscoveryResult {
  readonly earliest?: Period;
  readonly counts: DiscoveryCounts;
}

export interface DiscoverOptions {
  readonly source: string;
  readonly layout: Layout;
  readonly followSymlinks: boolean;
  readonly signal?: AbortSignal;
}

interface Match {
  readonly name: string;
  readonly fields: PeriodFields;
}

const MAX_EXAMPLES = 3;

/**
 * Finds the oldest period with a folder. An unreadable folder at a layout level throws
 * {@link IncompleteWalkError}: skipping it could start the archive after files it hides.
 */
export async function discoverEarliest(options: DiscoverOptions): Promise<DiscoveryResult> {
  const counts: DiscoveryCounts = {
    ignoredFolders: 0,
    ignoredFiles: 0,
    skippedSymlinks: 0,
    examples: [],
  };
  const rootReal = options.followSymlinks
    ? await realpath(options.source).catch(() => options.source)
    : options.source;
  const lastLevel = options.layout.segments.length - 1;

  const below = async (
    dir: string,
    level: number,
    fields: PeriodFields,
  ): Promise<Period | undefined> => {
    const matches = await readLevel({ ...options, rootReal, counts }, dir, level, fields);
    for (const match of matches) {
      if (options.signal?.aborted) return undefined;
      if (level === lastLevel) return makePeriod(options.layout.granularity, match.fields);
      const found = await below(path.join(dir, match.name), level + 1, match.fields);
      if (found) return found;
    }
    return undefined;
  };

  const earliest = await below(options.source, 0, {});
  return { earliest, counts };
}

interface LevelContext extends DiscoverOptions {
  readonly rootReal: string;
  readonly counts: DiscoveryCounts;
}

/** The entries of one folder that fit layout level `level`, oldest first; counts the rest. */
async function readLevel(
  ctx: LevelContext,
  dir: string,
  level: number,
  fields: PeriodFields,
): Promise<Match[]> {
  const matches: Match[] = [];
  let handle;
  try {
    handle = await opendir(dir, { bufferSize: 256 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return matches; // a missing source has no periods yet
    throw new IncompleteWalkError([{ dir, error: code ?? String(error) }]);
  }
  const ignore = (
    kind: 'ignoredFolders' | 'ignoredFiles' | 'skippedSymlinks',
    name: string,
  ): void => {
    ctx.counts[kind]++;
    if (ctx.counts.examples.length < MAX_EXAMPLES) {
      ctx.counts.examples.push(toPosix(path.relative(ctx.source, path.join(dir, name))));
    }
  };
  try {
    for await (const dirent of handle) {
      const isDir =
        dirent.isDirectory() ||
        (dirent.isSymbolicLink() && (await followableDir(ctx, path.join(dir, dirent.name))));
      if (dirent.isSymbolicLink() && !isDir) ignore('skippedSymlinks', dirent.name);
      else if (!isDir) ignore('ignoredFiles', dirent.name);
      else {
        const matched = matchSegment(ctx.layout, level, dirent.name, fields);
        if (matched) matches.push({ name: dirent.name, fields: matched });
        else ignore('ignoredFolders', dirent.name);
      }
    }
  } catch (error) {
    throw new IncompleteWalkError([
      { dir, error: (error as NodeJS.ErrnoException).code ?? String(error) },
    ]);
  }
  return matches.sort((a, b) => compareFields(a.fields, b.fields));
}

/**
 * A symlink discovery may descend through: following is on and it leads to a folder inside the
 * source.
 */
async function followableDir(ctx: LevelContext, abs: string): Promise<boolean> {
  if (!ctx.followSymlinks) return false;
  const target = await followLink(ctx.rootReal, abs);
  if (!target?.inside) return false; // dangling, or outside the source
  return (await stat(target.real).catch(() => undefined))?.isDirectory() ?? false;
}

function compareFields(a: PeriodFields, b: PeriodFields): number {
  return (
    (a.year ?? 0) - (b.year ?? 0) ||
    (a.month ?? 0) - (b.month ?? 0) ||
    (a.day ?? 0) - (b.day ?? 0) ||
    (a.hour ?? 0) - (b.hour ?? 0)
  );
}
