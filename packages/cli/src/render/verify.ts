/**
 * Renders a verify run as it streams. Human: the cost first, then per folder a line with its
 * counts followed by its findings and repairs (at most `limit` each unless verbose), then a
 * summary. `--json`: NDJSON, one object per line:
 *   {"event":"cost",job,shard?,level,scope,objects,bytes,listRequests,headRequests,getRequests,
 *     bytesToDownload,seconds}
 *   {"event":"finding",job,kind,unit,key,path?,detail,expected?,actual?}
 *   {"event":"repair",job,key,path,outcome,detail,kinds}
 *   {"event":"folder",job,unit,folder,files,skipped,objects,findings,bytesRead,cachedHashes,
 *     readHashes}
 *   {"event":"summary",job,shard?,…VerifySummary}
 * `shard` ({index,count}) is there when the run checked one shard's share (`--shard`).
 */
import {
  FINDING_KINDS,
  type Finding,
  type RepairOutcome,
  type VerifyCost,
  type VerifyItem,
  type VerifyRun,
  type VerifySummary,
} from '@recsync/framework/internal';
import { formatBytes, pad, shardText } from './format.js';

type Write = (text: string) => void;

export function costText(
  run: { level: string; scope: string },
  cost: VerifyCost | undefined,
  concurrency: number,
): string {
  if (!cost)
    return (
      'cost: one ListObjectsV2 per folder in scope (about one request per 1,000 ' +
      `objects); nothing downloaded\n`
    );
  const requests = cost.headRequests
    ? `${cost.headRequests.toLocaleString('en-US')} HEAD requests`
    : `${cost.getRequests.toLocaleString('en-US')} GET requests`;
  const time =
    cost.seconds >= 60 ? `${(cost.seconds / 3600).toFixed(1)} h` : `${Math.ceil(cost.seconds)} s`;
  return (
    `cost: ${cost.objects.toLocaleString('en-US')} objects (${formatBytes(cost.bytes)}): ` +
    `~${cost.listRequests.toLocaleString('en-US')} LIST + ${requests}, ` +
    `${formatBytes(cost.bytesToDownload)} to download; roughly ${time} at ` +
    `${concurrency} in flight` +
    (run.level === 'head' && cost.objects > 100_000
      ? ' (one HEAD per object: hours at millions of objects; --inventory or the default listing ' +
        'check is the cheap way)'
      : '') +
    '\n'
  );
}

export async function writeVerifyNdjson(
  job: string,
  run: VerifyRun,
  cost: VerifyCost | undefined,
  write: Write,
): Promise<VerifySummary> {
  const line = (o: object) => write(`${JSON.stringify(o)}\n`);
  line({
    event: 'cost',
    job,
    ...(run.shard ? { shard: run.shard } : {}),
    level: run.level,
    scope: run.scope,
    ...(cost ?? {}),
  });
  for await (const item of run.items) {
    if (item.type === 'finding') line({ event: 'finding', job, ...item.finding });
    else if (item.type === 'repair') line({ event: 'repair', job, ...item.repair });
    else line({ event: 'folder', job, ...item.folder });
  }
  const summary = run.summary();
  line({ event: 'summary', ...summary });
  return summary;
}

export async function writeVerifyTable(
  job: string,
  run: VerifyRun,
  write: Write,
  options: { limit: number },
): Promise<VerifySummary> {
  let findings: Finding[] = [];
  let repairs: RepairOutcome[] = [];
  let header = false;
  for await (const item of run.items as AsyncIterable<VerifyItem>) {
    if (item.type === 'finding') findings.push(item.finding);
    else if (item.type === 'repair') repairs.push(item.repair);
    else {
      const f = item.folder;
      // an empty source root
      if (f.files + f.objects + f.skipped === 0 && findings.length === 0) continue;
      if (!header) {
        write(
          `${pad('folder', 28)} ${pad('files', 8, 'right')} ${pad('objects', 8, 'right')} ` +
            `${pad('findings', 9, 'right')}  ${pad('read', 9, 'right')}\n`,
        );
        header = true;
      }
      write(
        `${pad(f.folder || '.', 28)} ${pad(f.files, 8, 'right')} ${pad(f.objects, 8, 'right')} ` +
          `${pad(f.findings, 9, 'right')}  ${pad(formatBytes(f.bytesRead), 9, 'right')}\n`,
      );
      for (const x of findings.slice(0, options.limit)) {
        write(
          `  ${pad(x.kind, 15)} ${x.key}  ` +
            `${x.detail}${
              x.expected !== undefined || x.actual !== undefined
                ? ` (expected ${x.expected ?? '-'}, found ${x.actual ?? '-'})`
                : ''
            }\n`,
        );
      }
      if (findings.length > options.limit)
        write(`  … and ${findings.length - options.limit} more (--verbose, or --json)\n`);
      for (const r of repairs) write(`  repair ${pad(r.outcome, 12)} ${r.key}  ${r.detail}\n`);
      findings = [];
      repairs = [];
    }
  }
  const s = run.summary();
  const found =
    FINDING_KINDS.filter((k) => s.findings[k] > 0)
      .map((k) => `${k} ${s.findings[k]}`)
      .join(', ') || 'none';
  write(
    `\njob ${job}${shardText(s)}: ${s.level} check of ` +
      `${s.scope}${s.shard ? " (this shard's share)" : ''}: ${s.folders} folder(s), ` +
      `${s.files} file(s) (${s.skipped} pending or filtered), ${s.objects} object(s), ` +
      `${formatBytes(s.bytesRead)} read ` +
      `back${
        s.subset
          ? ` (subset ${s.subset.take}/${s.subset.of}: slice ` + `${s.subset.slices.join(',')})`
          : ''
      }\n` +
      `  findings: ${found}\n` +
      (s.cachedHashes + s.readHashes > 0
        ? `  local checksums: ${s.cachedHashes} from the cache, ${s.readHashes} read\n`
        : '') +
      (s.repairs.uploaded + s.repairs.notReplaced + s.repairs.failed > 0
        ? `  repairs: ${s.repairs.uploaded} uploaded, ${s.repairs.notReplaced} not replaced, ` +
          `${s.repairs.failed} failed\n`
        : ''),
  );
  return s;
}
