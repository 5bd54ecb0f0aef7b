/**
 * A journal entry checked against the disk: a candidate file, a file that is not there (yet),
 * or a problem to report.
 *
 * Symlinks obey `followSymlinks` like the folder walk does: unless it is on, an entry that is a
 * symlink, or is reached through a symlinked folder, is skipped with a warning; when it is on,
 * the link must resolve inside the source's real path, or the entry is refused. Real paths of
 * folders are cached for the run (one `realpath` per folder, not per entry).
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { followLink, isInside, type FileCandidate } from '@recsync/framework';
import type { Wanted } from './entries.js';

/** An entry that yields no candidate: `refused` for containment, otherwise skipped. */
export interface Problem {
  readonly problem: 'refused' | 'skipped';
  readonly why: string;
  /** For `refused`: the cause as the engine reports it. */
  readonly code?: 'E_FILE_SYMLINK_OUT';
}

export type Checked = FileCandidate | Problem;

type DirState = { kind: 'ok' } | { kind: 'missing' } | { kind: 'unreadable' } | Problem;

const NOT_THERE = new Set(['ENOENT', 'ENOTDIR']);

export class EntryChecker {
  private root?: Promise<string | undefined>;
  private readonly dirs = new Map<string, Promise<DirState>>();

  constructor(
    private readonly source: string,
    private readonly followSymlinks: boolean,
  ) {}

  /** The source's real path, or undefined while it does not exist. */
  realRoot(): Promise<string | undefined> {
    this.root ??= realpath(this.source).catch(() => undefined);
    return this.root;
  }

  async check(entry: Wanted, origin: string): Promise<Checked> {
    const missing = (waiting?: string): FileCandidate => ({
      kind: 'missing',
      path: entry.path,
      origin,
      ...(waiting ? { waiting } : {}),
    });
    // Unknown state (EACCES, EIO): handed to the engine, whose upload reports it and keeps it
    // pending.
    const unreadable: FileCandidate = { path: entry.path, size: 0, mtimeMs: 0, origin };
    const dir = await this.dirState(path.posix.dirname(entry.path));
    if ('problem' in dir) return dir;
    if (dir.kind === 'missing') return missing();
    if (dir.kind === 'unreadable') return unreadable;
    const abs = path.join(this.source, ...entry.path.split('/'));
    let stats: Stats;
    try {
      stats = await lstat(abs);
      if (stats.isSymbolicLink()) {
        const followed = await this.followLink(abs);
        if (!('isFile' in followed)) return 'problem' in followed ? followed : missing();
        stats = followed;
      }
    } catch (error) {
      return NOT_THERE.has((error as NodeJS.ErrnoException).code ?? '') ? missing() : unreadable;
    }
    if (!stats.isFile()) return { problem: 'skipped', why: 'is not a regular file' };
    if (entry.size !== undefined && stats.size < entry.size)
      return missing(
        `shorter than the journal says (${stats.size} of ${entry.size} bytes written)`,
      );
    return { path: entry.path, size: stats.size, mtimeMs: stats.mtimeMs, origin };
  }

  /** A symlinked entry: its target's stats when it may be followed. */
  private async followLink(abs: string): Promise<Stats | Problem | { missing: true }> {
    if (!this.followSymlinks)
      return { problem: 'skipped', why: 'is a symlink and followSymlinks is off' };
    // The root exists here: an entry below a missing root is reported missing before this.
    const root = await this.realRoot();
    const target = root === undefined ? undefined : await followLink(root, abs);
    if (!target) return { missing: true }; // dangling: its target may appear later
    if (!target.inside)
      return {
        problem: 'refused',
        why: `is a symlink to ${target.real}, outside the source`,
        code: 'E_FILE_SYMLINK_OUT',
      };
    return stat(target.real);
  }

  private dirState(relativeDir: string): Promise<DirState> {
    const key = relativeDir === '.' ? '' : relativeDir;
    let state = this.dirs.get(key);
    if (!state) {
      state = this.resolveDir(key);
      this.dirs.set(key, state);
    }
    return state;
  }

  /** Whether the folder exists, and whether reaching it crosses a symlink. */
  private async resolveDir(relativeDir: string): Promise<DirState> {
    const root = await this.realRoot();
    if (!root) return { kind: 'missing' };
    let real: string;
    try {
      real = await realpath(path.join(this.source, ...relativeDir.split('/').filter(Boolean)));
    } catch (error) {
      return NOT_THERE.has((error as NodeJS.ErrnoException).code ?? '')
        ? { kind: 'missing' }
        : { kind: 'unreadable' };
    }
    if (real === path.join(root, ...relativeDir.split('/').filter(Boolean))) return { kind: 'ok' };
    if (!this.followSymlinks)
      return {
        problem: 'skipped',
        why: 'is reached through a symlinked folder and followSymlinks is off',
      };
    if (!isInside(root, real))
      return {
        problem: 'refused',
        why: `is reached through a symlink to ${real}, outside the source`,
        code: 'E_FILE_SYMLINK_OUT',
      };
    return { kind: 'ok' };
  }
}
