/**
 * Server-fault trials: recsync against the local S3 server through a fault-injecting proxy
 * (500, 503 SlowDown, 403, 400 BadDigest, resets before and after the server answered, stalls,
 * slow bodies). What lands is checked byte for byte; how recsync retried is read from the
 * requests the proxy recorded. `npm run trials -- --faults` runs many more.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestClient } from '@recsync/framework/testing';
import {
  startFaultProxy,
  type FaultProxy,
  type ProxyRequest,
} from '../support/fault-injecting-proxy.js';
import {
  createFaultJob,
  emptyFaultFigures,
  runFaultTrial,
  syncOnce,
  transientFaults,
} from '../support/fault-trial.js';
import { createTrialArchive, SMALL_ARCHIVE, type TrialArchive } from '../support/trial-archive.js';
import {
  checkBucket,
  checkState,
  writeJournal,
  TRIAL_STRATEGIES,
  type TrialJob,
} from '../support/trial-job.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
let archive: TrialArchive;
let journal: string;
let proxy: FaultProxy;

beforeAll(async () => {
  archive = await createTrialArchive(SMALL_ARCHIVE, 7);
  journal = await writeJournal(archive, endpoint);
  proxy = await startFaultProxy(endpoint, { seed: 42 });
});
afterAll(async () => {
  await proxy?.close();
  client.destroy();
  await archive?.cleanup();
});

const isWrite = (r: ProxyRequest) =>
  r.op === 'put' || r.op === 'part' || r.op === 'create' || r.op === 'complete';
const small = () =>
  archive.files.filter((f) => f.size > 0 && f.size < 1_000_000).map((f) => f.path);
const large = () => archive.files.filter((f) => f.size >= 5 * 1024 * 1024).map((f) => f.path);
/** Requests for one trial's bucket since `from` (an earlier test's stragglers never count). */
const sent = (trial: TrialJob, from: number) =>
  proxy.requests.slice(from).filter((r) => r.bucket === trial.bucket);
const putsOf = (trial: TrialJob, key: string, from: number) =>
  sent(trial, from).filter((r) => r.op === 'put' && r.key === key);

describe('transient faults: runs complete through retries', () => {
  for (const strategy of TRIAL_STRATEGIES) {
    it(
      `${strategy}: 10% of all requests fail, reset, stall or crawl; exit 0, every file ` +
        'byte-exact',
      async () => {
        const figures = emptyFaultFigures();
        const problems = await runFaultTrial(
          {
            strategy,
            archive,
            proxy,
            client,
            journal,
            rules: transientFaults(0.1),
            seed: 42,
            maxRuns: 1,
          },
          figures,
        );
        expect(problems).toEqual([]);
        expect(figures.runs).toBe(2); // the faulty run ended 0 by itself, then the clean run
        expect(figures.filesChecked).toBe(archive.files.length);
        const injected = Object.values(figures.injected).reduce((a, b) => a + b, 0);
        expect(injected).toBeGreaterThan(0);
      },
    );
  }
});

describe('permanent failures', () => {
  it(
    'end pending with exit 1 after exactly `attempts` tries, and the next clean run uploads ' +
      'them',
    async () => {
      const failing = [small()[3]!, small()[17]!, large()[0]!];
      const trial = await createFaultJob({
        strategy: 'date',
        archive,
        proxy,
        client,
        upload: { attempts: 3 },
      });
      const from = proxy.requests.length;
      proxy.rules = [
        {
          kind: 'error500',
          rate: 1,
          match: (r) => r.bucket === trial.bucket && isWrite(r) && failing.includes(r.key),
        },
      ];
      const first = await syncOnce(trial);
      expect(first.stats.exitCode).toBe(1);
      expect(
        first.events
          .filter((e) => e.outcome === 'failed')
          .map((e) => e.key)
          .sort(),
      ).toEqual([...failing].sort());
      expect((await checkState(trial.stateFile)).pending.sort()).toEqual([...failing].sort());
      // A single PUT is retried by recsync itself: one request per attempt, no more.
      expect(putsOf(trial, failing[0]!, from)).toHaveLength(3);
      expect((await checkBucket(client, trial.bucket, archive)).missing.sort()).toEqual(
        [...failing].sort(),
      );

      proxy.rules = [];
      const second = await syncOnce(trial);
      expect(second.stats.exitCode).toBe(0);
      expect(second.uploaded.sort()).toEqual([...failing].sort());
      expect((await checkState(trial.stateFile)).pending).toEqual([]);
      const bucket = await checkBucket(client, trial.bucket, archive);
      expect([bucket.missing, bucket.corrupt]).toEqual([[], []]);
    },
  );
});

describe('one retry layer per request', () => {
  it('a multipart request the SDK already retried is not retried again by the engine', async () => {
    const key = large()[1]!;
    const trial = await createFaultJob({
      strategy: 'date',
      archive,
      proxy,
      client,
      upload: { attempts: 3 },
    });
    const from = proxy.requests.length;
    proxy.rules = [
      {
        kind: 'error500',
        rate: 1,
        match: (r) => r.bucket === trial.bucket && r.op === 'create' && r.key === key,
      },
    ];
    const run = await syncOnce(trial);
    proxy.rules = [];
    // The SDK tries the request REQUEST_ATTEMPTS (4) times; the file's 3 attempts do not
    // multiply that (3 x 4 = 12 before): the file fails for this run and stays pending.
    const creates = sent(trial, from).filter((r) => r.op === 'create' && r.key === key);
    expect(creates.map((r) => r.fault)).toEqual(['error500', 'error500', 'error500', 'error500']);
    expect(run.events.find((e) => e.key === key)).toMatchObject({
      outcome: 'failed',
      attempts: 1,
      error: { code: 'E_FILE_UPLOAD' },
    });
    expect(run.stats.exitCode).toBe(1);
    expect((await checkState(trial.stateFile)).pending).toEqual([key]);
  });
});

describe('throttling (503 SlowDown)', () => {
  it('backs off with growing pauses and does not spend the file’s attempts', async () => {
    const [throttled, failing] = [small()[5]!, small()[9]!];
    const trial = await createFaultJob({
      strategy: 'date',
      archive,
      proxy,
      client,
      upload: { attempts: 2 },
    });
    const from = proxy.requests.length;
    proxy.rules = [
      {
        kind: 'slowDown',
        rate: 1,
        limit: 3,
        match: (r) => r.bucket === trial.bucket && r.op === 'put' && r.key === throttled,
      },
      {
        kind: 'error500',
        rate: 1,
        limit: 4,
        match: (r) => r.bucket === trial.bucket && r.op === 'put' && r.key === failing,
      },
    ];
    const run = await syncOnce(trial);
    proxy.rules = [];
    // Three SlowDowns, then success: more requests than `attempts`, because throttling is not the
    // file's fault...
    const puts = putsOf(trial, throttled, from);
    expect(puts.map((r) => r.fault ?? r.status)).toEqual(['slowDown', 'slowDown', 'slowDown', 200]);
    expect(run.uploaded).toContain(throttled);
    // ...while errors do spend them: two attempts, then pending.
    expect(putsOf(trial, failing, from).map((r) => r.fault)).toEqual(['error500', 'error500']);
    expect(run.stats.exitCode).toBe(1);
    // The pauses double: the n-th is at least 125·2^(n-1) ms. Lower bounds only: timers never
    // fire early, but on a busy machine any pause may come late.
    const gaps = puts.slice(1).map((r, i) => r.at - puts[i]!.at);
    expect(gaps.map((gap, i) => gap >= 125 * 2 ** i - 5)).toEqual([true, true, true]);
  });

  it(
    'a throttling storm on a fifth of all writes slows the run down but loses nothing and ' +
      'trips no breaker',
    async () => {
      const trial = await createFaultJob({
        strategy: 'date',
        archive,
        proxy,
        client,
        upload: { attempts: 2 },
      });
      const from = proxy.requests.length;
      proxy.rules = [
        { kind: 'slowDown', rate: 0.2, match: (r) => r.bucket === trial.bucket && isWrite(r) },
      ];
      const run = await syncOnce(trial);
      proxy.rules = [];
      expect(run.stats.error).toBeUndefined();
      expect(run.stats.exitCode).toBe(0);
      expect(sent(trial, from).filter((r) => r.fault === 'slowDown').length).toBeGreaterThan(5);
      const bucket = await checkBucket(client, trial.bucket, archive);
      expect([bucket.missing, bucket.corrupt]).toEqual([[], []]);
    },
  );
});

describe('the target fails as a whole: exit 4, nothing poured into the pending set', () => {
  it('403 InvalidAccessKeyId on every request: E_TARGET_AUTH before any file is read', async () => {
    const trial = await createFaultJob({ strategy: 'date', archive, proxy, client });
    const from = proxy.requests.length;
    proxy.rules = [
      {
        kind: 'auth',
        rate: 1,
        code: 'InvalidAccessKeyId',
        match: (r) => r.bucket === trial.bucket,
      },
    ];
    const error = await syncOnce(trial).catch((e: { code?: string; exitCode?: number }) => e);
    proxy.rules = [];
    expect(error).toMatchObject({ code: 'E_TARGET_AUTH', exitCode: 4 });
    expect(sent(trial, from).filter(isWrite)).toEqual([]);
    expect((await checkState(trial.stateFile)).pending).toEqual([]);
  });

  it(
    '403 SignatureDoesNotMatch on writes only: E_TARGET_AUTH at the first upload, nothing ' +
      'pending',
    async () => {
      const trial = await createFaultJob({ strategy: 'date', archive, proxy, client });
      const from = proxy.requests.length;
      proxy.rules = [
        {
          kind: 'auth',
          rate: 1,
          code: 'SignatureDoesNotMatch',
          match: (r) => r.bucket === trial.bucket && isWrite(r),
        },
      ];
      const run = await syncOnce(trial);
      proxy.rules = [];
      expect(run.stats.exitCode).toBe(4);
      expect(run.stats.error?.code).toBe('E_TARGET_AUTH');
      expect(run.events.filter((e) => e.outcome === 'failed')).toEqual([]);
      expect((await checkState(trial.stateFile)).pending).toEqual([]);
      // Not retried: an auth error will not go away by asking again.
      expect(sent(trial, from).filter(isWrite).length).toBeLessThanOrEqual(
        trial.job.upload.concurrency + 4,
      );
    },
  );

  it('every write answered 500: E_TARGET_FAILING early, not the whole archive tried', async () => {
    const trial = await createFaultJob({
      strategy: 'date',
      archive,
      proxy,
      client,
      upload: { attempts: 2 },
    });
    const from = proxy.requests.length;
    proxy.rules = [
      { kind: 'error500', rate: 1, match: (r) => r.bucket === trial.bucket && isWrite(r) },
    ];
    const run = await syncOnce(trial);
    proxy.rules = [];
    expect(run.stats.exitCode).toBe(4);
    expect(run.stats.error?.code).toBe('E_TARGET_FAILING');
    const keysTried = new Set(
      sent(trial, from)
        .filter(isWrite)
        .map((r) => r.key),
    );
    expect(keysTried.size).toBeLessThan(archive.files.length / 2);
    expect(run.uploaded).toEqual([]);
    // Nothing is lost: the pending files and the rest are uploaded by the next run.
    const next = await syncOnce(trial);
    expect(next.stats.exitCode).toBe(0);
    const bucket = await checkBucket(client, trial.bucket, archive);
    expect([bucket.missing, bucket.corrupt]).toEqual([[], []]);
  });

  it('every write answered 500: files that tripped the breaker are not pending', async () => {
    const trial = await createFaultJob({
      strategy: 'date',
      archive,
      proxy,
      client,
      upload: { attempts: 1 },
    });
    proxy.rules = [
      { kind: 'error500', rate: 1, match: (r) => r.bucket === trial.bucket && isWrite(r) },
    ];
    const run = await syncOnce(trial);
    proxy.rules = [];
    expect(run.stats.error?.code).toBe('E_TARGET_FAILING');
    expect((await checkState(trial.stateFile)).pending).toEqual([]);
  });
});

describe('400 BadDigest', () => {
  it('is retried, and an object the store refused is never counted as uploaded', async () => {
    const [once, always] = [small()[2]!, small()[11]!];
    const trial = await createFaultJob({
      strategy: 'date',
      archive,
      proxy,
      client,
      upload: { attempts: 3 },
    });
    const from = proxy.requests.length;
    proxy.rules = [
      {
        kind: 'badDigest',
        rate: 1,
        limit: 1,
        match: (r) => r.bucket === trial.bucket && r.op === 'put' && r.key === once,
      },
      {
        kind: 'badDigest',
        rate: 1,
        match: (r) => r.bucket === trial.bucket && r.op === 'put' && r.key === always,
      },
      {
        kind: 'badDigest',
        rate: 1,
        limit: 1,
        match: (r) => r.bucket === trial.bucket && r.op === 'part' && r.key === large()[1],
      },
    ];
    const run = await syncOnce(trial);
    proxy.rules = [];
    expect(putsOf(trial, once, from).map((r) => r.fault ?? r.status)).toEqual(['badDigest', 200]);
    expect(run.events.find((e) => e.key === once)).toMatchObject({
      outcome: 'uploaded',
      attempts: 2,
    });
    expect(putsOf(trial, always, from)).toHaveLength(3);
    expect(
      run.uploaded,
      JSON.stringify([
        run.events.filter((e) => e.key === always),
        sent(trial, from).filter((r) => r.key === always),
      ]),
    ).not.toContain(always);
    expect(run.events.find((e) => e.key === always)).toMatchObject({
      outcome: 'failed',
      error: { code: 'E_FILE_UPLOAD' },
    });
    expect(
      run.events.find((e) => e.key === large()[1]),
      JSON.stringify(run.events.find((e) => e.key === large()[1])),
    ).toMatchObject({ outcome: 'uploaded' });
    expect(run.stats.exitCode).toBe(1);
    const bucket = await checkBucket(client, trial.bucket, archive);
    expect(bucket.missing).toEqual([always]);
    expect(bucket.corrupt).toEqual([]);
  });
});

describe('resets after the server answered', () => {
  it('a multipart upload whose Complete answer was lost is sent again', async () => {
    const key = large()[2]!;
    const trial = await createFaultJob({
      strategy: 'date',
      archive,
      proxy,
      client,
      upload: { attempts: 2 },
    });
    const from = proxy.requests.length;
    const complete = (r: ProxyRequest) =>
      r.bucket === trial.bucket && r.op === 'complete' && r.key === key;
    // The server completes the upload but the answer is lost; the SDK retries the Complete and
    // S3 answers NoSuchUpload (the upload is gone: it was completed). recsync starts the file
    // over.
    proxy.rules = [
      { kind: 'resetAfter', rate: 1, limit: 1, match: complete },
      { kind: 'noSuchUpload', rate: 1, limit: 1, match: complete },
    ];
    const run = await syncOnce(trial);
    proxy.rules = [];
    const requests = sent(trial, from).filter((r) => r.key === key);
    expect(requests.filter((r) => r.op === 'complete').map((r) => r.fault ?? r.status)).toEqual([
      'resetAfter',
      'noSuchUpload',
      200,
    ]);
    expect(requests.filter((r) => r.op === 'create')).toHaveLength(2);
    expect(run.events.find((e) => e.key === key)).toMatchObject({
      outcome: 'uploaded',
      attempts: 2,
    });
    expect(run.stats.exitCode).toBe(0);
    const bucket = await checkBucket(client, trial.bucket, archive);
    expect([bucket.missing, bucket.corrupt]).toEqual([[], []]);
  });
});
