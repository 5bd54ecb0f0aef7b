/**
 * Renders a plan as it streams: a table row per partition (human), or one JSON document
 * written piece by piece (`--json`): never the whole plan in memory.
 *
 * JSON contract (one document on stdout):
 *   { "command": "plan", "jobs": [ { "job", "run": RunInfo, "cursor", "pending",
 *       "partitions": [ { "id", "index", "closed", "recheck", "dir"?, "unchanged"?, "listPrefix"?,
 *                         "files": [ { "action", "path", "key", "size", "mtimeMs", "reason"?,
 *                         "code"?, "folder"?, "rawPath"? } ],
 *                         "counts": { upload|present|excluded|deferred|failed|refused|vanished: {
 *                         files, bytes } },
 *                         "error"? } ],
 *       "facts", "totals" } ] }
 */
import {
  emptyPlanCounts,
  type PlanCounts,
  type PlanItem,
  type PlanRun,
} from '@recsync/framework/internal';
import { connectionLine, factsLine, formatBytes, pad, shardText, targetUrl } from './format.js';

type Write = (text: string) => void;

export function addCounts(into: PlanCounts, from: PlanCounts): void {
  for (const key of Object.keys(into) as (keyof PlanCounts)[]) {
    into[key].files += from[key].files;
    into[key].bytes += from[key].bytes;
  }
}

/** Streams one job's plan as a member of the `jobs` array. Returns the job's totals. */
export async function writePlanJson(
  plan: PlanRun,
  write: Write,
  first: boolean,
): Promise<PlanCounts> {
  const totals = emptyPlanCounts();
  const header = [
    `"job":${JSON.stringify(plan.info.job)}`,
    `"run":${JSON.stringify(plan.info)}`,
    `"cursor":${JSON.stringify(plan.cursor ?? null)}`,
    `"pending":${plan.pending}`,
  ].join(',');
  write(`${first ? '' : ','}\n{${header},"partitions":[`);
  let firstPartition = true;
  let firstFile = true;
  for await (const item of plan.items) {
    if (item.type === 'partition') {
      const { job: _job, ...partition } = item.partition;
      write(`${firstPartition ? '' : ','}\n{${JSON.stringify(partition).slice(1, -1)},"files":[`);
      firstPartition = false;
      firstFile = true;
    } else if (item.type === 'file') {
      const { type: _t, partitionIndex: _i, partition: _p, ...file } = item;
      write(`${firstFile ? '' : ','}\n${JSON.stringify(file)}`);
      firstFile = false;
    } else {
      addCounts(totals, item.counts);
      const error = item.error ? `,"error":${JSON.stringify(item.error)}` : '';
      write(`],"counts":${JSON.stringify(item.counts)}${error}}`);
    }
  }
  write(`],"facts":${JSON.stringify(plan.facts())},"totals":${JSON.stringify(totals)}}`);
  return totals;
}

const COLUMNS = [
  ['PARTITION', 22, 'left'],
  ['STATE', 9, 'left'],
  ['UPLOAD', 8, 'right'],
  ['BYTES', 11, 'right'],
  ['PRESENT', 9, 'right'],
  ['EXCLUDED', 9, 'right'],
  ['DEFERRED', 9, 'right'],
  ['FAILED', 7, 'right'],
] as const;

function row(values: (string | number)[]): string {
  return values.map((v, i) => pad(v, COLUMNS[i][1], COLUMNS[i][2])).join(' ');
}

function countsRow(label: string, state: string, c: PlanCounts): string {
  return row([
    label,
    state,
    c.upload.files,
    formatBytes(c.upload.bytes),
    c.present.files,
    c.excluded.files,
    c.deferred.files,
    c.failed.files,
  ]);
}

/** Streams one job's plan as a table. Returns the job's totals. */
export interface PlanTableOptions {
  /** 0: partitions only; 1: also every file but present ones; 2: also present files. */
  readonly files: number;
  /** The cursor in words. */
  cursorText(cursor: unknown): string;
}

/** Excluded files listed one by one in the notes up to this many; counted by reason above it. */
const EXCLUDED_LISTED = 10;

export async function writePlanTable(
  plan: PlanRun,
  write: Write,
  options: PlanTableOptions,
): Promise<PlanCounts> {
  const { info } = plan;
  write(
    `job ${info.job}${shardText(info)}: ${info.source} → ` +
      `${targetUrl(info)}\n${connectionLine(info)}`,
  );
  write(`strategy ${info.strategy} ${factsLine(info.facts)}\n`);
  write(
    `cursor: ${
      info.range
        ? `ignored (range ${info.range.since ?? '…'} to ` + `${info.range.until ?? 'now'})`
        : options.cursorText(plan.cursor)
    } ` + `· pending ${plan.pending}\n\n`,
  );
  write(`${row(COLUMNS.map((c) => c[0]))}\n`);
  const totals = emptyPlanCounts();
  const notes: string[] = [];
  const excluded = new ExcludedNotes();
  for await (const item of plan.items) {
    if (item.type === 'file') {
      if (options.files >= (item.action === 'present' ? 2 : 1))
        write(
          `  ${pad(item.action, 9)}${item.path}  ` +
            `${formatBytes(item.size)}${item.reason ? `  (${item.reason})` : ''}\n`,
        );
      if (item.action === 'refused') notes.push(`refused ${item.path}: ${item.reason}`);
      if (item.action === 'excluded') excluded.add(item.path, item.reason ?? 'excluded');
      if (item.action === 'failed')
        notes.push(`${item.code ?? 'failed'} ${item.path}: ${item.reason}`);
    } else if (item.type === 'partitionEnd') {
      addCounts(totals, item.counts);
      write(`${countsRow(item.partition.id, stateOf(item), item.counts)}\n`);
      if (item.error)
        notes.push(`partition ${item.partition.id} not fully read: ${item.error.message}`);
    }
  }
  write(`${countsRow('total', '', totals)}\n`);
  if (totals.vanished.files)
    notes.push(
      `${totals.vanished.files} pending file(s) no longer exist locally and will be ` +
        'dropped from the pending set',
    );
  const facts = plan.facts();
  const learnt = Object.fromEntries(Object.entries(facts).filter(([k, v]) => info.facts[k] !== v));
  if (Object.keys(learnt).length > 0) write(`strategy after reading: ${factsLine(learnt)}\n`);
  if (facts.ignoredFolders)
    notes.push(`${facts.ignoredFolders} folder(s) do not match the layout and are ignored`);
  notes.push(...excluded.notes());
  for (const note of notes.slice(0, 20)) write(`note: ${note}\n`);
  if (notes.length > 20) write(`note: … and ${notes.length - 20} more\n`);
  write('\n');
  return totals;
}

/** Says why files were excluded: each one when there are few, else a count per reason. */
class ExcludedNotes {
  private readonly listed: string[] = [];
  private readonly byReason = new Map<string, number>();
  private total = 0;

  add(path: string, reason: string): void {
    this.total++;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
    if (this.listed.length < EXCLUDED_LISTED)
      this.listed.push(`excluded ${path} (${reason}): never uploaded`);
  }

  notes(): string[] {
    if (this.total <= EXCLUDED_LISTED) return this.listed;
    return [...this.byReason].map(
      ([reason, n]) => `${n} file(s) excluded by ${reason}: never uploaded`,
    );
  }
}

function stateOf(item: Extract<PlanItem, { type: 'partitionEnd' }>): string {
  const p = item.partition;
  if (p.index < 0) return 'retry';
  if (item.error) return 'error';
  if (p.unchanged) return 'unchanged';
  if (p.recheck) return 'recheck';
  return p.closed ? 'closed' : 'open';
}
