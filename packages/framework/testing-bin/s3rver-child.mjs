#!/usr/bin/env node
// Runs s3rver for tests and demos: prints {"port":N} on stdout once listening, and exits when
// stdin closes (the parent died or stopped it) or on SIGTERM/SIGINT.
// Needs --openssl-legacy-provider: s3rver encrypts continuation tokens with DES.
import S3rver from 's3rver';

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
