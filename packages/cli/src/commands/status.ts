import { Flags } from '@oclif/core';
import {
  describeOwner,
  jobLeaseBackend,
  readStateDocument,
  savedShardStates,
  stateDocument,
  type LeaseRecord,
  type ResolvedJob,
  type ShardSpec,
  type StateFile,
} from '@recsync/framework';
import { RecsyncCommand } from '../base.js';
import { cursorText } from '../render/format.js';

export default class Status extends RecsyncCommand {
  static override summary = 'Show each job\'s saved state: cursor, last run and the pending set.';
  static override description = [
    'Reads the state only: no bucket access. Pending files (failed or deferred) are retried first by the next sync. Also shows the job\'s lease when a run holds it (or left it). A sharded job shows every shard (each saved state, and the shards of its shards setting that have none yet). --json prints {"command":"status","jobs":[{job, shard: {index, count}|null, stateFile, state|null, lease|null}]} (one entry per shard).',
  ].join('\n\n');
  static override flags = {
    limit: Flags.integer({ default: 50, min: 0, description: 'pending files to list per job (human output)' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    this.verbose = flags.verbose;
    const jobs = await this.loadJobs(flags);
    const results: { job: string; shard: ShardSpec | null; stateFile: string; state: StateFile | null; lease: LeaseRecord | null }[] = [];
    for (const job of jobs) {
      for (const shard of await shardsOf(job)) {
        const one: ResolvedJob = { ...job, shard: shard ?? undefined };
        const document = stateDocument(one);
        const lease = await jobLeaseBackend(one).read().catch(() => undefined);
        const state = (await readStateDocument(document)) ?? null;
        results.push({ job: job.name, shard, stateFile: document.where, state, lease: lease?.record ?? null });
      }
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ command: 'status', jobs: results }, null, 2)}\n`);
      return;
    }
    for (const { job, shard, stateFile, state, lease } of results) {
      const which = shard ? ` shard ${shard.index} of ${shard.count}` : '';
      this.log(`job ${job}${which}: ${stateFile}`);
      const unlock = `recsync unlock --job ${job}${shard ? ` --shard ${shard.index}/${shard.count}` : ''}`;
      if (lease) this.log(`  lease held by ${describeOwner(lease)} (${unlock} if that run is gone)`);
      if (!state) {
        this.log('  no state yet: the next sync is a first run\n');
        continue;
      }
      this.log(`  cursor ${cursorText(state.cursor)}`);
      if (state.lastRun) {
        const r = state.lastRun;
        this.log(`  last run ${r.startedAt} → ${r.finishedAt}: exit ${r.exitCode}, uploaded ${r.uploaded}`);
      }
      const pending = Object.entries(state.pending);
      this.log(`  pending ${pending.length}`);
      for (const [path, entry] of pending.slice(0, flags.limit)) {
        this.log(`    ${entry.reason.padEnd(8)} ${path}  (${entry.detail}; ${entry.attempts} attempt(s) since ${entry.firstSeen})`);
      }
      if (pending.length > flags.limit) this.log(`    … and ${pending.length - flags.limit} more (--limit, or --json)`);
      this.log('');
    }
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
  for (let index = 0; count > 1 && index < count; index++) if (!shards.has(`${index}/${count}`)) shards.set(`${index}/${count}`, { index, count });
  if (shards.size === 0) shards.set('whole', null);
  return [...shards.values()].sort((a, b) => (a?.count ?? 1) - (b?.count ?? 1) || (a?.index ?? 0) - (b?.index ?? 0));
}
