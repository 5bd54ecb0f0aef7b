/**
 * Renders a restore as it streams. Human: one line per object that was not simply restored or
 * skipped as already there (all of them with --verbose), then the counts. `--json`: NDJSON:
 *   {"event":"restore",job,shard?,to,prefixes}
 *   {"event":"object",job,key,path,size,outcome,reason?,verified?,conflict?}
 *   {"event":"summary",job,shard?,to,prefixes,counts,interrupted,exitCode}
 * outcome: restored | skipped | failed | refused | archived | planned (--dry-run).
 * `shard` ({index,count}) is there when the run restored one shard's share (`--shard`).
 */
import type { RestoreEvent, RestoreRun, RestoreSummary } from '@recsync/framework/internal';
import { formatBytes, pad, shardText } from './format.js';

type Write = (text: string) => void;

export async function writeRestoreNdjson(
  job: string,
  run: RestoreRun,
  to: string,
  write: Write,
): Promise<RestoreSummary> {
  const line = (o: object) => write(`${JSON.stringify(o)}\n`);
  line({
    event: 'restore',
    job,
    ...(run.shard ? { shard: run.shard } : {}),
    to,
    prefixes: run.prefixes,
  });
  for await (const e of run.events) line({ event: 'object', job, ...e });
  const summary = run.summary();
  line({ event: 'summary', ...summary });
  return summary;
}

function quiet(e: RestoreEvent): boolean {
  return (
    (e.outcome === 'restored' && e.verified === true) || (e.outcome === 'skipped' && !e.conflict)
  );
}

export async function writeRestoreLines(
  job: string,
  run: RestoreRun,
  to: string,
  write: Write,
  options: { verbose: boolean },
): Promise<RestoreSummary> {
  write(
    `restore job ${job}${shardText(run)} into ${to} from ` +
      `${run.prefixes.map((p) => JSON.stringify(p)).join(', ')}` +
      `${run.shard ? " (this shard's share)" : ''}\n`,
  );
  for await (const e of run.events) {
    if (options.verbose || !quiet(e))
      write(`  ${pad(e.outcome, 9)} ${e.path}${e.reason ? `  (${e.reason})` : ''}\n`);
  }
  const s = run.summary();
  const c = s.counts;
  const part = (name: string, x: { objects: number; bytes: number }) =>
    x.objects ? `${x.objects} ${name} (${formatBytes(x.bytes)})` : '';
  const parts = [
    part('restored', c.restored),
    part('would be restored', c.planned),
    part('skipped', c.skipped),
    part('failed', c.failed),
    part('refused', c.refused),
    part('waiting for an archive restore', c.archived),
  ].filter(Boolean);
  write(
    `${parts.join(', ') || 'nothing in scope'}${
      c.conflicts ? `; ${c.conflicts} not overwritten (--overwrite replaces them)` : ''
    }${c.unverified ? `; ${c.unverified} written without a stored checksum to check` : ''}\n`,
  );
  return s;
}
