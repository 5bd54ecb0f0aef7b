import { Flags } from '@oclif/core';
import {
  describeCursor,
  jobLeaseBackend,
  readStateDocument,
  savedShardStates,
  stateDocument,
  HISTORY_LIMIT,
  type ResolvedJob,
  type ShardSpec,
  type StateFile,
} from '@recsync/framework/internal';
import { RecsyncCommand } from '../base.js';
import { renderStatus, type JobStatus } from '../render/status.js';

export default class Status extends RecsyncCommand {
  static override summary =
    "Show each job's saved state: cursor, lock, recent runs and the pending set.";
  static override description = [
    'Reads the state and lock files only: no bucket access. Shows the cursor in words, who ' +
      'holds the run lease (or left it), the last runs (the state keeps the last ' +
      `${HISTORY_LIMIT}: start, end, exit code, counts) and the pending files (failed or ` +
      'deferred), which the next sync retries first.',
    'A sharded job shows every shard: each saved state, and the shards of its shards ' +
      'setting that have none yet (with state in the bucket, status reads the bucket).',
    '--json prints {"command":"status","jobs":[{job, shard?, stateFile, cursorText, ' +
      'cursorTime?, lease|null, state|null}]} (one entry per shard); state.history holds the ' +
      'runs, oldest first.',
  ].join('\n\n');
  static override flags = {
    limit: Flags.integer({
      default: 50,
      min: 0,
      description: 'pending files to list per job (human output)',
    }),
    runs: Flags.integer({
      default: 10,
      min: 0,
      max: HISTORY_LIMIT,
      description: 'recent runs to list per job (human output)',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    this.setVerbosity(flags.verbose);
    const jobs = await this.loadJobs(flags);
    const results: JobStatus[] = [];
    for (const job of jobs) {
      for (const shard of await shardsOf(job)) {
        const one: ResolvedJob = { ...job, shard: shard ?? undefined };
        const document = stateDocument(one);
        const state: StateFile | null = (await readStateDocument(document)) ?? null;
        const cursor = describeCursor(job.strategy, state?.cursor);
        const lease = await jobLeaseBackend(one)
          .read()
          .catch(() => undefined);
        results.push({
          job: job.name,
          ...(shard ? { shard } : {}),
          stateFile: document.where,
          cursorText: cursor.text,
          ...(cursor.time ? { cursorTime: cursor.time } : {}),
          lease: lease?.record ?? null,
          state,
        });
      }
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ command: 'status', jobs: results }, null, 2)}\n`);
      return;
    }
    process.stdout.write(renderStatus(results, { pending: flags.limit, runs: flags.runs }));
  }
}

/**
 * The shards to show: every saved state (any shard count: a change shows both), plus the shards
 * of the job's `shards` setting that have no state yet; `[null]` for a job run whole.
 */
async function shardsOf(job: ResolvedJob): Promise<(ShardSpec | null)[]> {
  const saved = (await savedShardStates(job)).map((s) => s.shard);
  const shards = new Map(saved.map((s) => [s ? `${s.index}/${s.count}` : 'whole', s]));
  const count = job.shards ?? 1;
  for (let index = 0; count > 1 && index < count; index++)
    if (!shards.has(`${index}/${count}`)) shards.set(`${index}/${count}`, { index, count });
  if (shards.size === 0) shards.set('whole', null);
  return [...shards.values()].sort(
    (a, b) => (a?.count ?? 1) - (b?.count ?? 1) || (a?.index ?? 0) - (b?.index ?? 0),
  );
}
