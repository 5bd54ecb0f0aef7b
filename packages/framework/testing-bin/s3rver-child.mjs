#!/usr/bin/env node
// Runs s3rver for tests and demos: prints {"port":N} on stdout once listening, and exits when
// stdin closes (the parent died or stopped it) or on SIGTERM/SIGINT.
// Needs --openssl-legacy-provider: s3rver encrypts continuation tokens with DES.
import S3rver from 's3rver';

// s3rver's file store removes a folder left empty by a DELETE while a PUT into the same folder
// may be opening its file there: the write stream's ENOENT is unhandled and would end the whole
// server (and every test using it). Keep serving: that one request fails, its client retries.
process.on('uncaughtException', (error) => {
  if (error?.code !== 'ENOENT') throw error;
  process.stderr.write(`s3rver (test server): ${error.message}; still serving\n`);
});

const [directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: Number(process.env.S3RVER_PORT ?? 0),
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);

let closing = false;
const stop = async () => {
  if (closing) return;
  closing = true;
  await server.close().catch(() => undefined);
  process.exit(0);
};
process.stdin.on('end', stop).on('close', stop).resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
