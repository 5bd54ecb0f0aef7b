/**
 * Running the binary as an unprivileged user. Tests run as root in CI, where `chmod 000` stops
 * nothing: as root, the child runs as `nobody` (uid 65534); otherwise as the current user.
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const asRoot = process.getuid?.() === 0;
export const unprivileged = asRoot ? { uid: 65534, gid: 65534 } : undefined;

const cli = path.resolve(import.meta.dirname, '../../packages/cli/bin/run.js');

/**
 * Whether that user can start this Node binary and the built CLI at all: a Node installed under
 * root's home (npm's in ~/.cache), or a checkout in a folder only root may enter (`mktemp -d`),
 * is out of its reach. Tests that need the user run only when it can.
 */
export const canRunUnprivileged =
  !unprivileged ||
  spawnSync(process.execPath, [cli, '--version'], { ...unprivileged, stdio: 'ignore' }).status ===
    0;

/**
 * Opens `root`'s tree to other users (read-only files, traversable folders) and `writable` folders
 * fully.
 */
export async function shareTree(root: string, writable: string[] = []): Promise<void> {
  for (const dir of [root, ...writable]) await chmod(dir, 0o777);
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      await chmod(abs, entry.isDirectory() ? 0o755 : 0o644);
      if (entry.isDirectory()) await walk(abs);
    }
  };
  await walk(root);
}

/** A HOME folder the unprivileged user can write. */
export async function sharedHome(): Promise<string> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'recsync-home-'));
  await chmod(home, 0o777);
  return home;
}
