/**
 * A real S3-compatible server (s3rver) on 127.0.0.1 for tests, demos and benchmarks, run as a
 * child process with the settings it needs (`--openssl-legacy-provider` for paged listings).
 * The child exits when its parent does. Requires the `s3rver` package (an optional peer).
 *
 * Clients must use `requestChecksumCalculation: 'WHEN_REQUIRED'` (recsync's default for a
 * custom endpoint): s3rver stores aws-chunked framing inside objects otherwise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { mapUnordered } from '../concurrency.js';

export interface SeedObject {
  readonly key: string;
  readonly body: Buffer;
}

export interface S3TestServer {
  readonly endpoint: string;
  readonly port: number;
  /** Folder holding the objects. */
  readonly directory: string;
  /** The server's process id (benchmarks read its CPU time). */
  readonly pid?: number;
  /**
   * Puts objects straight into the server's store (its own store code, no HTTP): fast pre-filling.
   */
  seed(bucket: string, objects: Iterable<SeedObject> | AsyncIterable<SeedObject>): Promise<number>;
  /** Stops the server and deletes its folder (unless `keep`). */
  stop(): Promise<void>;
}

export interface S3TestServerOptions {
  /** Buckets to create at start. */
  readonly buckets?: readonly string[];
  /** Where objects are stored (default: a new temp folder, deleted on stop). */
  readonly directory?: string;
  /** Fixed port (default: a free one). */
  readonly port?: number;
}

const CHILD = fileURLToPath(new URL('../../testing-bin/s3rver-child.mjs', import.meta.url));

export async function startS3Server(options: S3TestServerOptions = {}): Promise<S3TestServer> {
  const ownDirectory = !options.directory;
  const directory = options.directory ?? (await mkdtemp(path.join(os.tmpdir(), 'recsync-s3-')));
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', CHILD, directory, ...(options.buckets ?? [])],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '', S3RVER_PORT: String(options.port ?? 0) },
    },
  );
  const port = await readPort(child);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    port,
    directory,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    seed: (bucket, objects) => seedStore(directory, bucket, objects),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.stdin?.end();
        child.kill('SIGTERM');
        await exited;
      }
      if (ownDirectory) await rm(directory, { recursive: true, force: true });
    },
  };
}

function readPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const onExit = (code: number | null) =>
      reject(
        new Error(
          `s3rver exited (code ${code}) before listening; is the s3rver package installed?`,
        ),
      );
    child.once('exit', onExit);
    child.once('error', reject);
    lines.once('line', (line) => {
      child.off('exit', onExit);
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch {
        reject(new Error(`unexpected output from s3rver: ${line}`));
      }
    });
  });
}

/**
 * Writes objects with s3rver's own FilesystemStore into `directory` (the folder a running
 * server serves). The server reads its store on every request, so they are listed and served
 * like uploaded objects. Returns the number written.
 */
export async function seedStore(
  directory: string,
  bucket: string,
  objects: Iterable<SeedObject> | AsyncIterable<SeedObject>,
): Promise<number> {
  const require = createRequire(import.meta.url);
  const FilesystemStore = require('s3rver/lib/stores/filesystem.js') as new (
    dir: string,
  ) => { putObject(o: unknown): Promise<unknown> };
  const S3Object = require('s3rver/lib/models/object.js') as new (
    b: string,
    k: string,
    c: Buffer,
    m: Record<string, string>,
  ) => unknown;
  const store = new FilesystemStore(directory);
  let count = 0;
  const put = (o: SeedObject) =>
    store.putObject(new S3Object(bucket, o.key, o.body, { 'content-type': 'binary/octet-stream' }));
  for await (const _ of mapUnordered(objects, 32, put)) count++;
  return count;
}
