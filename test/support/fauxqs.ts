/**
 * fauxqs, a second, stricter S3-compatible server: it stores and returns CRC32/SHA256
 * checksums, answers COMPOSITE checksum types for multipart uploads, gives AWS-style multipart
 * ETags and implements AbortMultipartUpload. It needs Node >= 22.5, so it runs as a child process
 * of the Node 22 binary from the npm package `node@22`, installed with fauxqs in
 * test/servers/fauxqs (apart from the workspace; `npm test` installs it when missing). Each call
 * gets its own free port (fauxqs binds 0.0.0.0; tests talk to 127.0.0.1). Request bodies over
 * 11 MiB are refused (413): keep parts small.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../servers/fauxqs/', import.meta.url));
const NODE = `${DIR}node_modules/node/bin/node`;

export const fauxqsInstalled =
  existsSync(NODE) && existsSync(`${DIR}node_modules/fauxqs/package.json`);

export interface Fauxqs {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startFauxqs(): Promise<Fauxqs> {
  if (!fauxqsInstalled) throw new Error(`fauxqs is not installed: npm ci --prefix ${DIR}`);
  const child = spawn(NODE, ['--no-warnings', `${DIR}child.mjs`], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) =>
      reject(new Error(`fauxqs exited with code ${code} before listening`)),
    );
  });
  const { port } = JSON.parse(line) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}
