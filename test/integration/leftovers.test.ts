/**
 * No multipart uploads left on the server: recorded in the state before the first part,
 * aborted by the next run, swept when abandoned, aborted on a hard stop. s3rver implements
 * neither ListMultipartUploads (501) nor AbortMultipartUpload (405), so the recording proxy
 * answers those calls where a test needs a store that has them.
 */
import { readFileSync } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { harnessPerTest } from '../support/harness.js';
import { s3Error, type ProxyOptions, type RecordedRequest } from '../support/recording-proxy.js';

const NOW = new Date('2026-11-25T12:00:00Z');
const MiB = 1024 * 1024;
const BIG = '2026-11-24/big.wav';
const files = {
  [BIG]: { size: 6 * MiB + 1234, mtime: '2026-11-24T10:00:00Z' },
  '2026-11-24/small.wav': { content: 'x', mtime: '2026-11-24T10:00:00Z' },
};
const MULTIPART = { upload: { multipartThreshold: '5MiB', partSize: '5MiB', attempts: 1 } };
const each = harnessPerTest();

async function setup(options: ProxyOptions = {}) {
  const { h, proxy } = await each.proxied({ files, job: MULTIPART }, options);
  const stateFile = `${h.stateDir}/rec.state.json`;
  return {
    h,
    proxy,
    stateFile,
    readState: async () => JSON.parse(await readFile(stateFile, 'utf8')),
  };
}

const isPart = (r: RecordedRequest) => r.method === 'PUT' && r.query.has('partNumber');
const isAbort = (r: RecordedRequest) => r.method === 'DELETE' && r.query.has('uploadId');
const isListUploads = (r: RecordedRequest) => r.method === 'GET' && r.query.has('uploads');
const aborted = { status: 204 };

describe('multipart uploads left on the server', () => {
  it('records (key, uploadId) in the state before the first part is sent', async () => {
    let seen: Record<string, { key: string }> | undefined;
    const { h, proxy, readState } = await setup({
      intercept(req) {
        if (isPart(req) && !seen)
          seen = JSON.parse(readFileSync(`${h.stateDir}/rec.state.json`, 'utf8')).openUploads;
        return undefined;
      },
    });
    expect((await h.sync({ now: NOW })).stats.exitCode).toBe(0);
    const uploadId = proxy.requests
      .find((r) => r.method === 'POST' && r.query.has('uploadId'))!
      .query.get('uploadId')!;
    expect(seen).toEqual({ [uploadId]: expect.objectContaining({ key: BIG, path: BIG }) });
    expect((await readState()).openUploads).toBeUndefined(); // completed: no longer recorded
  });

  it('the next run aborts an upload an earlier run could not, and reports the count', async () => {
    // first run: every part fails and the store refuses the abort (as s3rver does)
    const { h, proxy, readState } = await setup({
      intercept: (req) => (isPart(req) ? s3Error(500, 'InternalError') : undefined),
    });
    const first = await h.sync({ now: NOW });
    expect(first.stats.exitCode).toBe(1);
    const [uploadId] = Object.keys((await readState()).openUploads);
    expect(uploadId).toBeTruthy();
    // second run: the store can abort
    proxy.options = { intercept: (req) => (isAbort(req) ? aborted : undefined) };
    proxy.requests.length = 0;
    const second = await h.sync({ now: NOW });
    expect(proxy.requests.filter(isAbort).map((r) => r.query.get('uploadId'))).toEqual([uploadId]);
    expect(second.stats.multipart?.earlierAborted).toBe(1);
    expect(second.warnings.join('\n')).toContain(
      'aborted 1 multipart upload(s) left unfinished by an earlier run',
    );
    expect(second.uploadedKeys()).toEqual([BIG]);
    expect((await readState()).openUploads).toBeUndefined();
  });

  it('a store without AbortMultipartUpload gets a warning, never a failure', async () => {
    const { h, proxy, readState } = await setup({
      intercept: (req) => (isPart(req) ? s3Error(500, 'InternalError') : undefined),
    });
    await h.sync({ now: NOW });
    expect(Object.keys((await readState()).openUploads)).toHaveLength(1);
    proxy.options = {}; // s3rver itself answers the abort with 405
    const second = await h.sync({ now: NOW });
    expect(second.stats.exitCode).toBe(0);
    expect(second.warnings.join('\n')).toMatch(
      new RegExp(
        String.raw`could not abort the multipart upload of 2026-11-24\/big\.wav ` +
          '.*does not implement AbortMultipartUpload',
      ),
    );
    expect((await readState()).openUploads).toBeUndefined();
  });

  it(
    'sweeps uploads under the prefix older than the safety age, once a day, starting a day ' +
      'after the first run',
    async () => {
      const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
      const young = new Date(Date.now() - 3_600_000).toISOString();
      const listing = (bucket: string) =>
        '<?xml version="1.0" ' +
        `encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${bucket}</Bucket>` +
        '<IsTruncated>false</IsTruncated>' +
        '<Upload><Key>2026-11-20/lost.wav</Key><UploadId>old-1</UploadId>' +
        `<Initiated>${old}</Initiated></Upload>` +
        '<Upload><Key>2026-11-25/now.wav</Key><UploadId>young-1</UploadId>' +
        `<Initiated>${young}</Initiated></Upload></ListMultipartUploadsResult>`;
      const { h, proxy, stateFile, readState } = await setup();
      proxy.options = {
        intercept: (req) =>
          isListUploads(req)
            ? { status: 200, body: listing(h.bucket) }
            : isAbort(req)
              ? aborted
              : undefined,
      };
      await h.sync({ now: NOW });
      // a job that never ran has nothing left
      expect(proxy.requests.filter(isListUploads)).toHaveLength(0);
      // the clock starts
      expect(Date.parse((await readState()).multipartSweptAt)).toBeGreaterThan(Date.now() - 60_000);
      const dayAgo = new Date(Date.now() - 86_400_000 - 1000).toISOString();
      await writeFile(
        stateFile,
        JSON.stringify({ ...(await readState()), multipartSweptAt: dayAgo }),
      );
      const second = await h.sync({ now: NOW });
      expect(proxy.requests.filter(isListUploads)[0].query.get('prefix')).toBe('');
      expect(proxy.requests.filter(isAbort).map((r) => r.query.get('uploadId'))).toEqual(['old-1']);
      expect(second.stats.multipart?.swept).toBe(1);
      proxy.requests.length = 0;
      await h.sync({ now: NOW });
      expect(proxy.requests.filter(isListUploads)).toHaveLength(0); // at most once a day
    },
  );

  it("a shard sweeps only the uploads of keys it owns, never a sibling's", async () => {
    const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
    // By the shard hash with 2 shards: 2026-11-20/lost.wav → 0, 2026-11-19/lost.wav → 1.
    const listing = (bucket: string) =>
      '<?xml version="1.0" ' +
      `encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>${bucket}</Bucket>` +
      '<IsTruncated>false</IsTruncated>' +
      '<Upload><Key>2026-11-20/lost.wav</Key><UploadId>mine-1</UploadId>' +
      `<Initiated>${old}</Initiated></Upload>` +
      '<Upload><Key>2026-11-19/lost.wav</Key><UploadId>sibling-1</UploadId>' +
      `<Initiated>${old}</Initiated></Upload></ListMultipartUploadsResult>`;
    const { h, proxy } = await setup();
    proxy.options = {
      intercept: (req) =>
        isListUploads(req)
          ? { status: 200, body: listing(h.bucket) }
          : isAbort(req)
            ? aborted
            : undefined,
    };
    const shard = { index: 0, count: 2 };
    await h.sync({ now: NOW }, { shard });
    const stateFile = `${h.stateDir}/rec.shard-0-of-2.state.json`;
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    await writeFile(
      stateFile,
      JSON.stringify({
        ...state,
        multipartSweptAt: new Date(Date.now() - 86_400_000 - 1000).toISOString(),
      }),
    );
    const second = await h.sync({ now: NOW }, { shard });
    expect(proxy.requests.filter(isListUploads)).toHaveLength(1);
    expect(proxy.requests.filter(isAbort).map((r) => r.query.get('uploadId'))).toEqual(['mine-1']);
    expect(second.stats.multipart?.swept).toBe(1);
  });

  it('a store without ListMultipartUploads (s3rver: 501): a warning, the run goes on', async () => {
    const { h, stateFile, readState } = await setup();
    await h.sync({ now: NOW });
    const dayAgo = new Date(Date.now() - 86_400_000 - 1000).toISOString();
    await writeFile(
      stateFile,
      JSON.stringify({ ...(await readState()), multipartSweptAt: dayAgo }),
    );
    const second = await h.sync({ now: NOW });
    expect(second.stats.exitCode).toBe(0);
    expect(second.warnings.join('\n')).toMatch(
      /could not sweep abandoned multipart uploads under "": the store does not implement/,
    );
  });

  it('a hard stop aborts the in-flight multipart upload and the stats name it', async () => {
    const stop = new AbortController();
    const hard = new AbortController();
    const { h, proxy, readState } = await setup({
      intercept(req) {
        if (isPart(req)) {
          stop.abort();
          hard.abort();
        }
        return isAbort(req) ? aborted : undefined;
      },
    });
    const run = await h.sync({ now: NOW, signal: stop.signal, abortSignal: hard.signal });
    expect(run.stats.exitCode).toBe(130);
    const uploadId =
      proxy.requests.find((r) => r.method === 'POST' && r.query.has('uploads')) &&
      proxy.requests.find(isAbort)?.query.get('uploadId');
    expect(run.stats.multipart?.interrupted).toEqual([{ key: BIG, uploadId, aborted: true }]);
    expect((await readState()).openUploads).toBeUndefined();
    expect((await readState()).cursor).toBeNull();
  });

  it(
    "a read error in the middle of a multipart upload is the file's error (E_FILE_READ), and " +
      'the upload is aborted',
    async () => {
      const { h, proxy, readState } = await setup({
        intercept: (req) => (isAbort(req) ? aborted : undefined),
      });
      const created = () =>
        proxy.requests.some((r) => r.method === 'POST' && r.query.has('uploads'));
      const openFile = async (p: string | Buffer, flags: number) => {
        const handle = await open(p, flags);
        if (!String(p).endsWith('big.wav')) return handle;
        const read = handle.read.bind(handle) as (...args: unknown[]) => Promise<unknown>;
        // reads after CreateMultipartUpload are part reads: they fail
        (handle as unknown as { read: unknown }).read = (...args: unknown[]) =>
          created()
            ? Promise.reject(
                Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read' }),
              )
            : read(...args);
        return handle;
      };
      const run = await h.sync({ now: NOW, openFile: openFile as never });
      const event = run.events.find((e) => e.path === BIG);
      expect(event?.error?.code).toBe('E_FILE_READ');
      expect(event?.error?.message).toContain('EIO');
      expect(proxy.requests.filter(isAbort).length).toBeGreaterThan(0);
      expect((await readState()).openUploads).toBeUndefined();
    },
  );
});
