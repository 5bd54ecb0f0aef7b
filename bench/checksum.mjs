#!/usr/bin/env node
// Checksum speed: recsync's implementation of every `target.checksum` algorithm against the
// AWS SDK's own CRC32C (the reference it replaced), in MiB/s over 1 MiB chunks in memory; and
// the cost of the first read pass a multipart upload makes (the whole-file value goes into the
// metadata fixed at CreateMultipartUpload) on a file in the page cache.
//
//   node bench/checksum.mjs [--mib 256]
//
// Needs the packages built (`npm run build`).
import { randomBytes } from 'node:crypto';
import { open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createHasher, checksumOfFile } from '../packages/framework/dist/checksum.js';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' } } });
const MiB = 1 << 20;
const total = Number(values.mib);
const chunk = randomBytes(MiB);

async function rate(name, update) {
  await update(8);
  const start = process.hrtime.bigint();
  await update(total);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${name.padEnd(40)} ${(total / seconds).toFixed(0).padStart(6)} MiB/s`);
  return total / seconds;
}

const results = {};
for (const name of ['CRC32C', 'CRC32', 'CRC64NVME', 'SHA256', 'SHA1']) {
  results[name] = await rate(`recsync ${name}`, async (n) => {
    const h = await createHasher(name);
    for (let i = 0; i < n; i++) h.update(chunk);
    h.digest();
  });
}
try {
  const { Crc32c } = await import('@aws-sdk/checksums/crc');
  const sdk = await rate('AWS SDK Crc32c (@aws-sdk/checksums)', async (n) => {
    const c = new Crc32c();
    for (let i = 0; i < n; i++) c.update(chunk);
    await c.digest();
  });
  console.log(`recsync CRC32C is ${(results.CRC32C / sdk).toFixed(1)}x the SDK's`);
} catch {
  console.log("(the SDK's @aws-sdk/checksums is not installed: no reference figure)");
}

const file = path.join(os.tmpdir(), `recsync-checksum-bench-${process.pid}`);
await writeFile(file, Buffer.concat(Array.from({ length: total }, () => chunk)));
try {
  const handle = await open(file);
  for (let pass = 1; pass <= 2; pass++) {
    const start = process.hrtime.bigint();
    await checksumOfFile(handle, total * MiB, 'CRC32C');
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    console.log(
      `first read pass (CRC32C of a ${total} MiB file in the page cache), run ${pass}: ` +
        `${(seconds * 1000).toFixed(0)} ms = ${(total / seconds).toFixed(0)} MiB/s`,
    );
  }
  await handle.close();
} finally {
  await rm(file, { force: true });
}
