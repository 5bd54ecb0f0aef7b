/**
 * Run progress as plain numbers: a plugin that observes a run's hooks and counts, and a
 * snapshot for whoever draws it (the CLI's progress display). It never steers the run.
 *
 * Totals are what is known so far: a partition's files count toward `planned` as the plan
 * decides about them, and its listing is `listed` once the plan stream passed its end. The
 * work to do (`toUpload`) therefore grows while discovery streams; `discovering` says whether
 * the partition being read is still being listed, so a display can show counts only until then.
 */
import { definePlugin, type Plugin } from './plugin.js';
import type { Tally } from './events.js';

export interface ProgressSnapshot {
  readonly job?: string;
  /** The partition being read (`pending` for the retry pass), if any. */
  readonly partition?: string;
  /** True while the partition being read is still listing its files. */
  readonly discovering: boolean;
  /** Partitions whose listing ended (the pending retry pass included). */
  readonly partitionsListed: number;
  /** Files the plan has decided about so far, whatever the decision. */
  readonly found: number;
  /** Files and bytes the plan chose to upload so far. */
  readonly toUpload: Tally;
  /** Of those, finished (uploaded or failed after retries). */
  readonly processed: Tally;
  readonly uploaded: Tally;
  readonly present: number;
  readonly excluded: number;
  readonly deferred: number;
  readonly failed: number;
  readonly finished: boolean;
}

export interface ProgressTracker {
  /** Apply to a run (one job at a time; a new run resets the counts). */
  readonly plugin: Plugin;
  snapshot(): ProgressSnapshot;
}

const tally = (): Tally => ({ files: 0, bytes: 0 });

export function createProgressTracker(): ProgressTracker {
  let s = fresh();
  function fresh() {
    return {
      job: undefined as string | undefined,
      partition: undefined as string | undefined,
      discovering: false,
      partitionsListed: 0,
      found: 0,
      toUpload: tally(),
      processed: tally(),
      uploaded: tally(),
      present: 0,
      excluded: 0,
      deferred: 0,
      failed: 0,
      finished: false,
    };
  }
  const add = (t: Tally, bytes: number) => {
    t.files += 1;
    t.bytes += bytes;
  };
  const name = 'recsync:progress';
  const plugin = definePlugin({
    name,
    apply(hooks) {
      hooks.run.tap(name, (info) => {
        s = fresh();
        s.job = info.job;
      });
      hooks.planned.tap(name, (file) => {
        if (s.partition !== file.partition) {
          s.partition = file.partition;
          s.discovering = true;
        }
        s.found += 1;
        if (file.action === 'upload') add(s.toUpload, file.size);
      });
      hooks.partition.tap(name, (p) => {
        s.partition = p.id;
        s.discovering = true;
      });
      hooks.partitionListed.tap(name, (p) => {
        s.partitionsListed += 1;
        if (s.partition === p.id) s.discovering = false;
      });
      hooks.uploaded.tap(name, (e) => {
        add(s.uploaded, e.size);
        add(s.processed, e.size);
      });
      hooks.uploadFailed.tap(name, (e) => {
        s.failed += 1;
        add(s.processed, e.size);
      });
      hooks.skipped.tap(name, (e) => {
        if (e.outcome === 'present') s.present += 1;
        else if (e.outcome === 'excluded') s.excluded += 1;
        else if (e.outcome === 'deferred') s.deferred += 1;
      });
      hooks.done.tap(name, () => {
        s.finished = true;
        s.discovering = false;
      });
    },
  });
  return {
    plugin,
    snapshot: () => ({
      ...s,
      toUpload: { ...s.toUpload },
      processed: { ...s.processed },
      uploaded: { ...s.uploaded },
    }),
  };
}
