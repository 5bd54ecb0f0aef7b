/**
 * Deleting or moving segment files the saved cursor has passed (`committedSegments`).
 *
 * Runs from `committed(cursor)`, after the cursor's move is durable, and only when the cursor
 * entered another segment. A segment is removed when its name sorts before the cursor's
 * segment: every line of it was committed. A segment this run read that has grown since is
 * kept with a warning: a producer appended after a later segment existed, which the segment
 * contract forbids, and those lines were not read.
 */
import { mkdir, opendir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { byName, statFile } from './locate.js';
import type { JournalCursor } from './options.js';

export type CleanupMode = 'delete' | { readonly moveTo: string };

export class SegmentCleanup {
  private cleanedBefore?: string;

  constructor(
    private readonly dir: string,
    private readonly mode: CleanupMode,
    /** Segments read to their end in the current run: name → inode and end of the lines read. */
    private readonly read: ReadonlyMap<string, { ino: string; end: number }>,
  ) {}

  async run(cursor: JournalCursor): Promise<void> {
    if (cursor.file === this.cleanedBefore) return;
    const kept: string[] = [];
    for (const name of await this.committedNames(cursor.file)) {
      const abs = path.join(this.dir, name);
      const seen = this.read.get(name);
      const now = seen && (await statFile(abs));
      if (seen && now && (now.ino !== seen.ino || now.size > seen.end)) {
        kept.push(`${abs} (read up to byte ${seen.end}, now ${now.size} bytes)`);
        continue;
      }
      await this.remove(abs, name);
    }
    this.cleanedBefore = cursor.file;
    if (kept.length > 0) {
      throw new Error(
        'kept segment(s) written after a later segment existed; their new lines were not ' +
          `read: ${kept.join(', ')}`,
      );
    }
  }

  private async committedNames(before: string): Promise<string[]> {
    const names: string[] = [];
    for await (const entry of await opendir(this.dir, { bufferSize: 256 })) {
      if (entry.isFile() && !entry.name.startsWith('.') && entry.name < before)
        names.push(entry.name);
    }
    return names.sort(byName);
  }

  private async remove(abs: string, name: string): Promise<void> {
    if (this.mode === 'delete') {
      await rm(abs, { force: true });
      return;
    }
    const folder = path.resolve(this.dir, this.mode.moveTo);
    await mkdir(folder, { recursive: true });
    await rename(abs, path.join(folder, name));
  }
}
