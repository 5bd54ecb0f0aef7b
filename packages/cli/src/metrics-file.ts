/**
 * The Prometheus text file (`metrics.textfile`), for node_exporter's textfile collector. It is
 * rewritten whole, atomically (temp file, fsync, rename), after each sync, from every job's
 * saved state, so it always holds every job of the config, including jobs this run did not
 * touch. Rendered by prom-client's registry (the exposition format exactly); loaded only when
 * a config asks for the file.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  jobMetrics,
  readStateDocument,
  savedShardStates,
  stateDocument,
  writeFileAtomic,
  type JobMetrics,
  type ResolvedJob,
} from '@recsync/framework/internal';

/**
 * Gauge name → help text and the number it shows. Every gauge has the label `job`, and `shard`
 * (`I/N`) for a sharded job.
 */
export const GAUGES: readonly {
  name: string;
  help: string;
  value: (m: JobMetrics) => number | undefined;
}[] = [
  {
    name: 'recsync_last_run_start_timestamp_seconds',
    help: 'Start of the last sync of the job (Unix time).',
    value: (m) => m.lastRunStart,
  },
  {
    name: 'recsync_last_run_end_timestamp_seconds',
    help: 'End of the last sync of the job (Unix time).',
    value: (m) => m.lastRunEnd,
  },
  {
    name: 'recsync_last_success_timestamp_seconds',
    help: 'End of the last sync that exited 0 (Unix time).',
    value: (m) => m.lastSuccess,
  },
  {
    name: 'recsync_last_run_exit_code',
    help: 'Exit code of the last sync (0 ok, 1 files pending, 4 target error, 130 interrupted).',
    value: (m) => m.exitCode,
  },
  {
    name: 'recsync_last_run_uploaded_files',
    help: 'Files uploaded by the last sync.',
    value: (m) => m.uploadedFiles,
  },
  {
    name: 'recsync_last_run_uploaded_bytes',
    help: 'Bytes uploaded by the last sync.',
    value: (m) => m.uploadedBytes,
  },
  {
    name: 'recsync_last_run_present_files',
    help: 'Files found already in the bucket by the last sync.',
    value: (m) => m.presentFiles,
  },
  {
    name: 'recsync_last_run_failed_files',
    help: 'Files that failed after retries in the last sync (now pending).',
    value: (m) => m.failedFiles,
  },
  {
    name: 'recsync_pending_files',
    help: 'Files in the pending set (failed or deferred), retried first by the next sync.',
    value: (m) => m.pendingFiles,
  },
  {
    name: 'recsync_cursor_timestamp_seconds',
    help: 'Time up to which the archive is backed up, per the cursor (Unix time).',
    value: (m) => m.cursorTimestamp,
  },
  {
    name: 'recsync_cursor_age_seconds',
    help: 'Age of the cursor when the file was written.',
    value: (m) => m.cursorAgeSeconds,
  },
];

/** The file's content for these jobs at `now`. */
export async function renderMetrics(
  jobs: readonly ResolvedJob[],
  now: Date = new Date(),
): Promise<string> {
  const { Registry, Gauge } = await import('prom-client');
  const registry = new Registry();
  const metrics = (await Promise.all(jobs.map((job) => shardMetrics(job, now)))).flat();
  for (const gauge of GAUGES) {
    const g = new Gauge({
      name: gauge.name,
      help: gauge.help,
      labelNames: ['job', 'shard'],
      registers: [registry],
    });
    for (const { m, shard } of metrics) {
      const value = gauge.value(m);
      if (value !== undefined) g.set({ job: m.job, ...(shard ? { shard } : {}) }, value);
    }
  }
  return registry.metrics();
}

/** One set of gauges per saved shard state of the job (any shard count), or the job's own. */
async function shardMetrics(
  job: ResolvedJob,
  now: Date,
): Promise<{ m: JobMetrics; shard?: string }[]> {
  const shards = (await savedShardStates(job)).map((s) => s.shard).filter((s) => s !== null);
  if (shards.length === 0)
    return [
      {
        m: jobMetrics(
          job,
          await readStateDocument(stateDocument({ ...job, shard: undefined })),
          now,
        ),
      },
    ];
  return Promise.all(
    shards.map(async (shard) => ({
      m: jobMetrics(job, await readStateDocument(stateDocument({ ...job, shard })), now),
      shard: `${shard.index}/${shard.count}`,
    })),
  );
}

export async function writeMetricsFile(file: string, jobs: readonly ResolvedJob[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, await renderMetrics(jobs));
}
