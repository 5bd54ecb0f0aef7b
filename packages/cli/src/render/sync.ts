/**
 * Sync reporters: plugins that observe the run's hooks and never steer it.
 *
 * - {@link ndjsonReporter} (`--json`): one JSON object per line on stdout:
 *   {"event":"run",…RunInfo} · {"event":"file",…FileEvent} · {"event":"partition",…PartitionSummary}
 *   · {"event":"warning",…} · {"event":"failed",…error} · {"event":"done",…RunStats}.
 * - {@link humanReporter}: a line per finished partition and every warning or failure (good in
 *   cron mail), a live counter line on a terminal, and a summary at the end.
 */
import { definePlugin, type Plugin, type RunStats } from '@recsync/framework';
import { cursorText, formatBytes, pad, shardText, targetUrl } from './format.js';

type Write = (text: string) => void;

export function ndjsonReporter(write: Write): Plugin {
  const line = (event: string, data: object) => write(`${JSON.stringify({ event, ...data })}\n`);
  return definePlugin({
    name: 'recsync:ndjson',
    apply(hooks) {
      hooks.run.tap('recsync:ndjson', (info) => line('run', info));
      for (const hook of [hooks.uploaded, hooks.skipped, hooks.uploadFailed]) hook.tap('recsync:ndjson', (e) => line('file', e));
      hooks.partitionDone.tap('recsync:ndjson', (s) => line('partition', s));
      hooks.warning.tap('recsync:ndjson', (w) => line('warning', w));
      hooks.runFailed.tap('recsync:ndjson', (error, info) => line('failed', { job: info.job, ...error.toJSON() }));
      hooks.done.tap('recsync:ndjson', (stats) => line('done', stats));
    },
  });
}

export interface HumanReporterOptions {
  readonly out: Write;
  readonly err: Write;
  /** Live counter line (stderr is a terminal). */
  readonly live: boolean;
  /** Print every file. */
  readonly verbose: boolean;
}

export function humanReporter(options: HumanReporterOptions): Plugin {
  const { out, err } = options;
  let uploaded = 0;
  let uploadedBytes = 0;
  let present = 0;
  let pending = 0;
  let current = '';
  let lastDraw = 0;
  let drawn = false;
  const clear = () => {
    if (drawn) err('\r\x1b[2K');
    drawn = false;
  };
  const draw = (force = false) => {
    if (!options.live) return;
    const now = Date.now();
    if (!force && now - lastDraw < 200) return;
    lastDraw = now;
    err(`\r\x1b[2K${current} · uploaded ${uploaded} (${formatBytes(uploadedBytes)}) · present ${present} · pending ${pending}`);
    drawn = true;
  };
  const say = (write: Write, text: string) => {
    clear();
    write(text);
    draw(true);
  };
  return definePlugin({
    name: 'recsync:human',
    apply(hooks) {
      hooks.run.tap('recsync:human', (info) => say(out, `job ${info.job}${shardText(info)}: ${info.source} → ${targetUrl(info)}\n`));
      hooks.partition.tap('recsync:human', (p) => {
        current = p.index < 0 ? 'retrying pending files' : `partition ${p.id}`;
        draw();
      });
      hooks.uploaded.tap('recsync:human', (e) => {
        uploaded++;
        uploadedBytes += e.size;
        if (options.verbose) say(out, `  uploaded ${e.key} (${formatBytes(e.size)})\n`);
        else draw();
      });
      hooks.skipped.tap('recsync:human', (e) => {
        if (e.outcome === 'present') present++;
        if (e.outcome === 'deferred') pending++;
        if (e.outcome === 'vanished') say(err, `warning: ${e.path} ${e.reason ?? 'vanished'}\n`);
        else if (options.verbose) say(out, `  ${e.outcome} ${e.path}${e.reason ? ` (${e.reason})` : ''}\n`);
        else draw();
      });
      hooks.uploadFailed.tap('recsync:human', (e) => {
        pending++;
        say(err, `failed: ${e.path}: ${e.error?.message ?? e.reason} (kept in the pending set)\n`);
      });
      hooks.warning.tap('recsync:human', (w) => say(err, `warning: ${w.message}\n`));
      hooks.runFailed.tap('recsync:human', (error) =>
        say(err, `recsync: error ${error.code}: ${error.message}\n${error.hint ? `  → ${error.hint.replace(/\n/g, '\n    ')}\n` : ''}`),
      );
      hooks.partitionDone.tap('recsync:human', (s) => {
        if (s.index < 0) return;
        const c = s.counts;
        const state = !s.complete ? 'incomplete' : s.recheck ? 'rechecked' : s.closed ? 'done' : 'open';
        say(
          out,
          `  ${pad(s.id, 20)} ${pad(state, 10)} uploaded ${c.uploaded.files} (${formatBytes(c.uploaded.bytes)}) · present ${c.present.files}` +
            ` · excluded ${c.excluded.files} · deferred ${c.deferred.files} · failed ${c.failed.files}\n`,
        );
      });
      hooks.done.tap('recsync:human', (stats) => {
        clear();
        out(summary(stats));
      });
    },
  });
}

export function summary(stats: RunStats): string {
  const c = stats.counts;
  const lines = [
    `${stats.job}: uploaded ${c.uploaded.files} files (${formatBytes(c.uploaded.bytes)}), ${c.present.files} already present, ` +
      `${c.excluded.files} excluded, ${c.deferred.files} deferred, ${c.failed.files} failed` +
      (c.vanished.files ? `, ${c.vanished.files} vanished` : ''),
    `  partitions ${stats.partitions.complete}/${stats.partitions.total} complete · cursor ${cursorText(stats.cursor)} · pending set ${stats.pending}` +
      ` · ${((Date.parse(stats.finishedAt) - Date.parse(stats.startedAt)) / 1000).toFixed(1)}s`,
  ];
  if (stats.interrupted) lines.push('  interrupted: in-flight uploads finished, state saved; the next run continues');
  if (stats.pending > 0) lines.push('  pending files are retried first by the next run (`recsync status` lists them)');
  return `${lines.join('\n')}\n`;
}
