/**
 * Temporary folders that are removed together: make as many as a test needs, clean up once.
 * Runner-independent; with vitest:
 *
 *   const temp = tempDirs();
 *   afterEach(temp.cleanup);
 *   const root = await temp.make('recsync-mine-');
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TempDirs {
  /** A new empty folder under the system's temp folder, named `prefix` + random letters. */
  make(prefix?: string): Promise<string>;
  /** Removes every folder made so far (with its contents); later `make` calls still work. */
  cleanup(): Promise<void>;
}

export function tempDirs(defaultPrefix = 'recsync-test-'): TempDirs {
  const made: string[] = [];
  return {
    async make(prefix = defaultPrefix) {
      const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
      made.push(dir);
      return dir;
    },
    async cleanup() {
      await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}
