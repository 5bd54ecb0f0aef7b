#!/usr/bin/env node
// The upload ceiling: a bare AWS SDK PutObject loop over one folder (files read into memory,
// `concurrency` in flight). Usage: sdk-loop.mjs DIR PREFIX BUCKET ENDPOINT CONCURRENCY
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const [dir, prefix, bucket, endpoint, concurrency = '64'] = process.argv.slice(2);
const client = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
  requestHandler: { httpAgent: { keepAlive: true, maxSockets: Number(concurrency) } },
});
const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
  .filter((d) => d.isFile())
  .map((d) => path.join(d.parentPath ?? d.path, d.name));
let next = 0;
async function worker() {
  while (next < files.length) {
    const file = files[next++];
    const key = `${prefix}${path.relative(dir, file).split(path.sep).join('/')}`;
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(file) }),
    );
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
console.log(`uploaded ${files.length}`);
client.destroy();
