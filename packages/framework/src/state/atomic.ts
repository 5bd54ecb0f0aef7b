/**
 * Crash-safe file replacement: write a temp file in the same folder, fsync it, rename it over
 * the old one, fsync the folder. A reader sees the old content or the new, never a mix, even
 * if the process or the machine dies at any moment. Files are created 0600: state names the
 * archive's files and where they go.
 *
 * A kill between the temp write and the rename leaves `.<name>.<pid>.<time>.tmp` behind;
 * {@link removeLeftovers} deletes them (the next run does, once it holds the job's lease).
 */
import { open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;

export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(temp, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, file);
  // The rename is durable only once the folder entry is on disk.
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

/** The middle part of the temp names {@link writeFileAtomic} makes: `<pid>.<time>`. */
export const ATOMIC_TEMP = /^\d+\.\d+\.tmp$/;

/**
 * Deletes the private side files of `file` (`.<name>.<middle>`, where `<middle>` matches
 * `pattern`) left by a process killed mid-write. Only call it while holding the lease that
 * guards `file`: a live writer's temp file has the same shape. Returns the names removed.
 */
export async function removeLeftovers(
  file: string,
  pattern: RegExp = ATOMIC_TEMP,
): Promise<string[]> {
  const dir = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const leftovers = names.filter(
    (n) => n.startsWith(prefix) && pattern.test(n.slice(prefix.length)),
  );
  await Promise.all(leftovers.map((n) => rm(path.join(dir, n), { force: true })));
  return leftovers;
}
