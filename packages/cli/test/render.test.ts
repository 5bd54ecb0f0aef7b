/**
 * The renderers fed events directly: the progress line's text, the progress display on a fake
 * terminal stream, per-file lines kept in partition order, timestamps off a terminal.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  createHooks,
  createProgressTracker,
  emptyCounts,
  type FileEvent,
  type ProgressSnapshot,
  type RunStats,
} from '@recsync/framework/internal';
import { timestamped } from '../src/render/lines.js';
import { OrderedLines } from '../src/render/ordered.js';
import { formatEta, progressLine, rateOf } from '../src/render/progress-line.js';
import { startProgress } from '../src/render/progress.js';
import { humanReporter, summary } from '../src/render/sync.js';

const snapshot = (over: Partial<ProgressSnapshot>): ProgressSnapshot => ({
  partition: '2026-11-25',
  discovering: false,
  partitionsListed: 1,
  found: 0,
  toUpload: { files: 0, bytes: 0 },
  processed: { files: 0, bytes: 0 },
  uploaded: { files: 0, bytes: 0 },
  present: 0,
  excluded: 0,
  deferred: 0,
  failed: 0,
  finished: false,
  ...over,
});

describe('progress line', () => {
  it('shows counts while the partition is listed', () => {
    const line = progressLine(
      snapshot({
        discovering: true,
        found: 1234,
        toUpload: { files: 800, bytes: 8e6 },
        uploaded: { files: 10, bytes: 10_240 },
        failed: 2,
      }),
      undefined,
    );
    expect(line).toBe(
      '2026-11-25 · listing: 1,234 files found, 800 to upload · uploaded 10 (10KiB) · failed 2',
    );
  });

  it('shows percentage, totals, rate and ETA once the listing is known', () => {
    const s = snapshot({
      toUpload: { files: 200, bytes: 100 * 1024 * 1024 },
      processed: { files: 50, bytes: 25 * 1024 * 1024 },
      failed: 1,
    });
    const line = progressLine(s, 5 * 1024 * 1024);
    expect(line).toContain(
      '2026-11-25 █████░░░░░░░░░░░░░░░  25% · 50/200 files · 25MiB/100MiB · 5MiB/s · ETA ' +
        '15s · failed 1',
    );
  });

  it('never gets wider than the terminal', () => {
    expect(
      progressLine(snapshot({ partition: 'x'.repeat(300), discovering: true }), undefined, 40)
        .length,
    ).toBeLessThanOrEqual(39);
  });

  it('measures the rate over the window and formats the ETA', () => {
    expect(rateOf([{ at: 0, bytes: 0 }])).toBeUndefined();
    expect(
      rateOf([
        { at: 0, bytes: 0 },
        { at: 500, bytes: 10 },
      ]),
    ).toBeUndefined();
    expect(
      rateOf([
        { at: 0, bytes: 0 },
        { at: 4000, bytes: 4000 },
      ]),
    ).toBe(1000);
    expect([formatEta(5), formatEta(125), formatEta(7300), formatEta(Infinity)]).toEqual([
      '5s',
      '2m05s',
      '2h01m',
      '?',
    ]);
  });
});

/** A writable that says it is a terminal, recording what is drawn. */
function fakeTerminal() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  }) as Writable & {
    isTTY: boolean;
    columns: number;
    cursorTo(): boolean;
    moveCursor(): boolean;
    clearLine(): boolean;
    clearScreenDown(): boolean;
  };
  Object.assign(stream, {
    isTTY: true,
    columns: 120,
    cursorTo: (x: number) => stream.write(`<col ${x}>`),
    moveCursor: (dx: number, dy: number) => stream.write(`<move ${dx},${dy}>`),
    clearLine: () => stream.write('<clear>'),
    clearScreenDown: () => stream.write('<clear-down>'),
  });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

describe('progress display on a terminal', () => {
  it('draws the snapshot, prints lines above it, and clears itself at the end', () => {
    const term = fakeTerminal();
    let current = snapshot({ discovering: true, found: 7 });
    let now = 0;
    const display = startProgress(
      term.stream,
      () => current,
      () => now,
    );
    display.log('  2026-11-24 done\n');
    current = snapshot({
      toUpload: { files: 4, bytes: 4096 },
      processed: { files: 2, bytes: 2048 },
    });
    now = 2000;
    display.stop();
    const out = term.text();
    expect(out).toContain('\x1B[?25l'); // cursor hidden while drawing
    expect(out).toContain('  2026-11-24 done\n');
    expect(out).toMatch(/2026-11-25 .* 50% · 2\/4 files · 2KiB\/4KiB/);
    expect(out.endsWith('\x1B[?25h') || out.includes('\x1B[?25h')).toBe(true); // cursor back
  });
});

describe('ordered lines', () => {
  it('holds a later partition’s lines until every earlier one is finished', () => {
    const written: string[] = [];
    const order = new OrderedLines((t) => written.push(t));
    order.open('a');
    order.open('b');
    order.line('b', 'b1');
    order.line('a', 'a1');
    order.line('b', 'b2');
    expect(written).toEqual(['a1']);
    order.finish('b'); // b is done first, but a is still going
    order.line('a', 'a2');
    expect(written).toEqual(['a1', 'a2']);
    order.finish('a');
    expect(written).toEqual(['a1', 'a2', 'b1', 'b2']);
    order.line('c', 'c1');
    expect(written.at(-1)).toBe('c1');
  });
});

describe('timestamps off a terminal', () => {
  it('prefixes every line with an ISO time', () => {
    const written: string[] = [];
    const write = timestamped(
      (t) => written.push(t),
      () => new Date('2026-11-25T03:00:00.000Z'),
    );
    write('one\ntwo\n');
    expect(written.join('')).toBe('2026-11-25T03:00:00.000Z one\n2026-11-25T03:00:00.000Z two\n');
  });
});

function event(partition: string, path: string, outcome: FileEvent['outcome']): FileEvent {
  return { job: 'rec', partition, path, key: path, size: 10, outcome };
}

function feedRun(verbosity: number) {
  const out: string[] = [];
  const hooks = createHooks();
  const reporter = humanReporter({
    out: (t) => out.push(t),
    err: (t) => out.push(`ERR ${t}`),
    verbosity,
    cursorText: () => 'through a',
  });
  reporter.apply(hooks, { job: 'rec', source: '/src', mode: 'sync' });
  const counts = emptyCounts();
  const info = (index: number, id: string) => ({
    job: 'rec',
    index,
    id,
    closed: true,
    recheck: false,
  });
  const done = (index: number, id: string) =>
    hooks.partitionDone.promise({ ...info(index, id), complete: true, counts });
  // The pending retry pass, then partitions a and b; b's files finish before a's last upload.
  hooks.planned.call({
    type: 'file',
    partitionIndex: -1,
    partition: 'pending',
    action: 'upload',
    path: 'old',
    key: 'old',
    size: 1,
    mtimeMs: 0,
  });
  void hooks.partition.promise(info(0, 'a'));
  hooks.partitionListed.call(info(-1, 'pending'), { upload: { files: 1, bytes: 1 } } as never);
  hooks.skipped.call(event('a', 'a/present.wav', 'present'));
  void hooks.partition.promise(info(1, 'b'));
  hooks.uploaded.call(event('b', 'b/1.wav', 'uploaded'));
  hooks.uploaded.call(event('pending', 'old', 'uploaded'));
  hooks.uploaded.call(event('a', 'a/2.wav', 'uploaded'));
  void done(1, 'b');
  void done(0, 'a');
  const stats: RunStats = {
    job: 'rec',
    mode: 'sync',
    startedAt: '2026-11-25T03:00:00.000Z',
    finishedAt: '2026-11-25T03:00:02.000Z',
    counts,
    partitions: { total: 2, complete: 2 },
    cursor: { through: 'a' },
    pending: 0,
    exitCode: 0,
    interrupted: false,
  };
  void hooks.done.promise(stats);
  return out.join('').split('\n').filter(Boolean);
}

describe('human reporter', () => {
  it('-v: file lines in partition order, no present files', () => {
    const lines = feedRun(1);
    const files = lines.filter(
      (l) => /^\s+(uploaded|present) /.test(l) || /^\s+[ab]\s+done/.test(l),
    );
    expect(files.map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'uploaded old',
      'uploaded a/2.wav',
      'a done',
      'uploaded b/1.wav',
      'b done',
    ]);
  });

  it('-vv adds present files; without -v only partitions and the summary', () => {
    expect(feedRun(2).some((l) => l.includes('present a/present.wav'))).toBe(true);
    const quiet = feedRun(0);
    expect(quiet.some((l) => l.includes('uploaded a/2.wav'))).toBe(false);
    expect(quiet.filter((l) => /^\s+[ab]\s+done/.test(l))).toHaveLength(2);
    expect(quiet.at(-1)).toBe('  cursor: through a');
  });

  it('summary says the exit code and the cursor in words', () => {
    const text = summary(
      {
        job: 'rec',
        mode: 'sync',
        startedAt: '2026-11-25T03:00:00.000Z',
        finishedAt: '2026-11-25T03:00:01.500Z',
        counts: emptyCounts(),
        partitions: { total: 1, complete: 1 },
        cursor: null,
        pending: 2,
        exitCode: 1,
        interrupted: false,
      },
      'through 2026-11-24',
    );
    expect(text).toContain('exit 1');
    expect(text).toContain('cursor: through 2026-11-24');
    expect(text).toContain('pending files are retried first');
  });

  it('progress tracker and reporter share hooks without either steering the run', () => {
    const hooks = createHooks();
    const tracker = createProgressTracker();
    tracker.plugin.apply(hooks, { job: 'rec', source: '/', mode: 'sync' });
    expect(hooks.filter.taps).toHaveLength(0);
    expect(hooks.beforeUpload.taps).toHaveLength(0);
    expect(hooks.key.taps).toHaveLength(0);
  });
});
