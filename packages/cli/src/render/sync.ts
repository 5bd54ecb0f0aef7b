/**
 * Sync reporters: plugins that observe the run's hooks and never steer it.
 *
 * - {@link ndjsonReporter} (`--json`, `--log-format json`): one JSON object per line on stdout,
 *   each with the time it was written:
 *   {"event":"run",…RunInfo} · {"event":"file",…FileEvent} ·
 *   {"event":"partition",…PartitionSummary}
 *   · {"event":"warning",…} · {"event":"failed",…error} · {"event":"done",…RunStats}.
 * - {@link humanReporter}: a line per finished partition, in partition order, and every warning
 *   or failure (good in cron mail); per-file lines with `-v` (uploaded, excluded, deferred,
 *   vanished) and `-vv` (also present), kept in partition order; a summary at the end.
 */
import {
  EXIT_CODES,
  definePlugin,
  type PartitionSummary,
  type Plugin,
  type RunStats,
} from '@recsync/framework';
import { connectionLine, formatBytes, pad, shardText, targetUrl } from './format.js';
import type { Write } from './lines.js';
import { OrderedLines } from './ordered.js';
import type { ProgressDisplay } from './progress.js';

export function ndjsonReporter(write: Write, clock: () => Date = () => new Date()): Plugin {
  const line = (event: string, data: object) =>
    write(`${JSON.stringify({ event, time: clock().toISOString(), ...data })}\n`);
  return definePlugin({
    name: 'recsync:ndjson',
    apply(hooks) {
      hooks.run.tap('recsync:ndjson', (info) => line('run', info));
      for (const hook of [hooks.uploaded, hooks.skipped, hooks.uploadFailed])
        hook.tap('recsync:ndjson', (e) => line('file', e));
      hooks.partitionDone.tap('recsync:ndjson', (s) => line('partition', s));
      hooks.warning.tap('recsync:ndjson', (w) => line('warning', w));
      hooks.runFailed.tap('recsync:ndjson', (error, info) =>
        line('failed', { job: info.job, ...error.toJSON() }),
      );
      hooks.done.tap('recsync:ndjson', (stats) => line('done', stats));
    },
  });
}

export interface HumanReporterOptions {
  readonly out: Write;
  readonly err: Write;
  /** 0: partitions and problems; 1: also every file but present ones; 2: also present files. */
  readonly verbosity: number;
  /** Only warnings, errors, and the summary of a run that did not end with exit 0. */
  readonly quiet?: boolean;
  /** The live progress line (on a terminal); lines are printed above it. */
  readonly progress?: ProgressDisplay;
  /** The cursor in words, for the summary. */
  cursorText(job: string, cursor: unknown): string;
}

const PENDING = 'pending';

export function humanReporter(options: HumanReporterOptions): Plugin {
  const { progress, verbosity, quiet = false } = options;
  const out: Write = progress ? (t) => progress.log(t) : options.out;
  const err: Write = progress ? (t) => progress.log(t) : options.err;
  const name = 'recsync:human';
  return definePlugin({
    name,
    apply(hooks) {
      const order = new OrderedLines(out);
      // The pending retry pass has no partitionDone: it is finished once its listing ended and
      // every file it listed has an outcome.
      const retry = { listed: -1, settled: 0 };
      const settledPending = () => {
        retry.settled++;
        if (retry.listed >= 0 && retry.settled >= retry.listed) order.finish(PENDING);
      };
      // The line first: counting the file may finish the pending pass and hand the head on.
      const fileLine = (partition: string, minimum: number, text: string) => {
        if (!quiet && verbosity >= minimum && text) order.line(partition, text);
        if (partition === PENDING) settledPending();
      };
      hooks.run.tap(name, (info) => {
        if (!quiet)
          out(
            `job ${info.job}${shardText(info)}: ${info.source} → ` +
              `${targetUrl(info)}\n${connectionLine(info)}`,
          );
      });
      hooks.planned.tap(name, (file) => {
        if (file.partitionIndex < 0) order.open(PENDING);
      });
      hooks.partition.tap(name, (p) => order.open(p.id));
      hooks.partitionListed.tap(name, (p, counts) => {
        if (p.index >= 0) return;
        retry.listed = Object.values(counts).reduce((sum, c) => sum + c.files, 0);
        if (retry.settled >= retry.listed) order.finish(PENDING);
      });
      hooks.uploaded.tap(name, (e) =>
        fileLine(e.partition, 1, `  uploaded ${e.key} (${formatBytes(e.size)})\n`),
      );
      hooks.skipped.tap(name, (e) => {
        if (e.outcome === 'vanished') err(`warning: ${e.path} ${e.reason ?? 'vanished'}\n`);
        const text = `  ${e.outcome} ${e.path}${e.reason ? ` (${e.reason})` : ''}\n`;
        fileLine(
          e.partition,
          e.outcome === 'present' ? 2 : e.outcome === 'vanished' ? Infinity : 1,
          text,
        );
      });
      hooks.uploadFailed.tap(name, (e) => {
        err(`failed: ${e.path}: ${e.error?.message ?? e.reason} (kept in the pending set)\n`);
        fileLine(e.partition, Infinity, '');
      });
      hooks.warning.tap(name, (w) => err(`warning: ${w.message}\n`));
      hooks.runFailed.tap(name, (error) => err(errorText(error)));
      hooks.partitionDone.tap(name, (s) => {
        if (s.index < 0) return;
        if (!quiet) order.line(s.id, partitionLine(s));
        order.finish(s.id);
      });
      hooks.done.tap(name, (stats) => {
        order.flush();
        if (!quiet || stats.exitCode !== EXIT_CODES.ok)
          out(summary(stats, options.cursorText(stats.job, stats.cursor)));
      });
    },
  });
}

/** An error as the human output shows it: code, message, and the hint indented under it. */
export function errorText(error: { code: string; message: string; hint?: string }): string {
  return (
    `recsync: error ${error.code}: ` +
    `${error.message}\n${error.hint ? `  → ${error.hint.replace(/\n/g, '\n    ')}\n` : ''}`
  );
}

function partitionLine(s: PartitionSummary): string {
  const c = s.counts;
  const state = !s.complete ? 'incomplete' : s.recheck ? 'rechecked' : s.closed ? 'done' : 'open';
  return (
    `  ${pad(s.id, 20)} ${pad(state, 10)} uploaded ${c.uploaded.files} ` +
    `(${formatBytes(c.uploaded.bytes)}) · present ${c.present.files}` +
    ` · excluded ${c.excluded.files} · deferred ${c.deferred.files} · failed ${c.failed.files}\n`
  );
}

export function summary(stats: RunStats, cursorText: string): string {
  const c = stats.counts;
  const lines = [
    `${stats.job}: uploaded ${c.uploaded.files} files (${formatBytes(c.uploaded.bytes)}), ` +
      `${c.present.files} already present, ` +
      `${c.excluded.files} excluded, ${c.deferred.files} deferred, ${c.failed.files} failed` +
      (c.vanished.files ? `, ${c.vanished.files} vanished` : ''),
    `  partitions ${stats.partitions.complete}/${stats.partitions.total} complete · ` +
      `pending set ${stats.pending}` +
      ` · ${((Date.parse(stats.finishedAt) - Date.parse(stats.startedAt)) / 1000).toFixed(1)}s ` +
      `· exit ${stats.exitCode}`,
    `  cursor: ${cursorText}`,
  ];
  const v = stats.verification;
  if (v && c.uploaded.files > 0) {
    lines.push(
      `  checksums: ${v.store} confirmed by the store, ${v.recsync} compared by recsync, ` +
        `${v.unverified} unverified (the store returned none)`,
    );
  }
  const mp = stats.multipart;
  if (mp && mp.earlierAborted + mp.swept > 0) {
    lines.push(
      `  multipart uploads aborted: ${mp.earlierAborted} left by an earlier run, ` +
        `${mp.swept} abandoned under the prefix`,
    );
  }
  const cut = mp?.interrupted ?? [];
  if (stats.interrupted && !stats.hardStopped)
    lines.push('  interrupted: in-flight uploads finished, state saved; the next run continues');
  if (stats.hardStopped)
    lines.push(
      '  interrupted: in-flight uploads aborted, state saved; the next run uploads them again',
    );
  if (cut.length > 0) {
    lines.push(`  multipart uploads cut short: ${cut.length}`);
    for (const u of cut)
      lines.push(
        `    ${u.key}: ` +
          `${
            u.aborted ? 'aborted on the store' : 'abort failed: recorded, the next run aborts it'
          }`,
      );
  }
  if (stats.pending > 0)
    lines.push('  pending files are retried first by the next run (`recsync status` lists them)');
  return `${lines.join('\n')}\n`;
}
