// Loads the CommonJS build of the CLI (dist/bundle/cjs/cli.cjs) with a V8 code cache, for Node
// versions without `module.enableCompileCache` (Node 20): most of the command line's start-up
// there is V8 compiling the bundle, and a code cache from an earlier run skips that.
//
// Cached bytecode is code, so the cache lives where only this user can write:
// `$XDG_CACHE_HOME/recsync` or `~/.cache/recsync` (made 0700; not used if another user owns it
// or anyone else may write to it). A file is keyed by the bundle's path, size and mtime and by
// Node's version, architecture, V8 version and flags (V8 itself checks little more than the
// source's length and its flags), and written atomically. Anything that goes wrong means running without the cache.
// RECSYNC_COMPILE_CACHE=0 or NODE_DISABLE_COMPILE_CACHE turns it off;
// RECSYNC_COMPILE_CACHE_DEBUG=1 prints what it did to stderr.
import { createHash } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

const PARAMS = 'exports, require, module, __filename, __dirname, __recsyncImport';
const WRAPPER = `(function (${PARAMS}) { `;
/** Resolves as the bundle would: this file and the bundle are in the same package. */
const dynamicImport = (specifier) => import(specifier);

const debug = process.env.RECSYNC_COMPILE_CACHE_DEBUG
  ? (message) => process.stderr.write(`recsync compile cache: ${message}\n`)
  : () => {};

function disabled() {
  const own = process.env.RECSYNC_COMPILE_CACHE;
  return own === '0' || own === 'false' || Boolean(process.env.NODE_DISABLE_COMPILE_CACHE);
}

/** Whether a file or folder is ours alone to write: owned by this user, not group/world-writable. */
function private_(stat) {
  const uid = process.getuid?.();
  return (uid === undefined || stat.uid === uid) && (stat.mode & 0o022) === 0;
}

/** The per-user cache folder, made if missing; undefined when there is none fit to use. */
function cacheDir() {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
  const dir = path.join(base, 'recsync');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (stat.isDirectory() && private_(stat)) return dir;
    debug(`not using ${dir}: not a folder only this user can write`);
  } catch (error) {
    debug(`not using ${dir}: ${error.code ?? error.message}`);
  }
  return undefined;
}

function readCache(file) {
  let fd;
  try {
    fd = openSync(file, 'r');
    const stat = fstatSync(fd);
    if (!stat.isFile() || !private_(stat)) {
      debug(`not using ${file}: not a file only this user can write`);
      return undefined;
    }
    return readFileSync(fd);
  } catch (error) {
    if (error.code !== 'ENOENT') debug(`not using ${file}: ${error.code ?? error.message}`);
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Files of other builds or Node versions not read for this long are deleted when one is written. */
const STALE_MS = 30 * 24 * 3600_000;

function writeCache(file, data) {
  const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temp, data, { mode: 0o600, flag: 'wx' });
    renameSync(temp, file);
    debug(`wrote ${file}`);
  } catch (error) {
    debug(`could not write ${file}: ${error.code ?? error.message}`);
    try {
      unlinkSync(temp);
    } catch {
      // nothing was written
    }
    return;
  }
  try {
    const dir = path.dirname(file);
    for (const name of readdirSync(dir)) {
      const other = path.join(dir, name);
      if (!/^cli-[0-9a-f]+\.bin$/.test(name) || other === file) continue;
      if (Date.now() - statSync(other).atimeMs > STALE_MS) unlinkSync(other);
    }
  } catch {
    // left for the next time
  }
}

/** Runs a CommonJS file (with a code cache when one can be used); returns its exports. */
export function load(filename) {
  // ASCII (scripts/bundle.mjs makes it so): Latin-1 reads it without UTF-8 decoding.
  const source = readFileSync(filename, 'latin1');
  let cacheFile;
  let cachedData;
  if (disabled()) debug('off');
  else {
    const dir = cacheDir();
    if (dir) {
      const stat = statSync(filename);
      const key = createHash('sha256')
        .update(
          JSON.stringify([
            filename,
            stat.size,
            stat.mtimeMs,
            process.version,
            process.arch,
            process.versions.v8,
            // V8 flags given to Node: a cache made under others would be rejected
            process.execArgv,
          ]),
        )
        .digest('hex')
        .slice(0, 32);
      cacheFile = path.join(dir, `cli-${key}.bin`);
      cachedData = readCache(cacheFile);
    }
  }
  // The file's `import()`s call this module's (scripts/bundle.mjs): vm.Script's own would need
  // a callback, which Node 20 loses for functions restored from a code cache.
  const script = new vm.Script(`${WRAPPER}${source}\n});`, { filename, cachedData });
  const used = cachedData !== undefined && !script.cachedDataRejected;
  if (cachedData) debug(used ? `used ${cacheFile}` : `rejected ${cacheFile}`);
  if (cacheFile && !used)
    // Written when the command ends: by then V8 has compiled what the command ran, which the
    // cache then holds too.
    process.once('exit', () => {
      // V8 rejects a cache made under other flags, and the command sets one after start-up
      // (src/heap.ts): back to how the next run compiles (V8's default) for the moment it is
      // made — the process is ending.
      if (!process.execArgv.some((a) => /^--heap[-_]growing[-_]percent\b/.test(a)))
        v8.setFlagsFromString('--heap-growing-percent=0');
      writeCache(cacheFile, script.createCachedData());
    });
  const module = { exports: {}, filename, id: filename, loaded: false };
  const require = createRequire(filename);
  script
    .runInThisContext()
    .call(
      module.exports,
      module.exports,
      require,
      module,
      filename,
      path.dirname(filename),
      dynamicImport,
    );
  module.loaded = true;
  return module.exports;
}
