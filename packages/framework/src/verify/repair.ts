/**
 * `verify --repair`: the local file wins. A missing or different object is uploaded again
 * through the same upload code as sync (checksum, metadata, retention, encryption, hooks), and
 * each repair is reported. An object that exists is never replaced on a write-once job
 * (`noOverwrite`) or under Object Lock: that is reported as "not replaced", with why.
 */
import type { ResolvedJob } from '../config/resolve.js';
import type { Hooks } from '../hooks.js';
import type { Target } from '../s3/target.js';
import { defaultOpenFile, uploadFile } from '../engine/upload.js';
import { RootGuard } from '../engine/paths.js';
import type { PlanFile } from '../engine/plan.js';
import type { LocalFile } from './check-file.js';
import type { Finding } from './findings.js';

export interface RepairOutcome {
  readonly key: string;
  readonly path: string;
  /**
   * `uploaded`: the object now holds the local file; `not-replaced`: write-once or Object Lock;
   * `failed`: the upload failed.
   */
  readonly outcome: 'uploaded' | 'not-replaced' | 'failed';
  readonly detail: string;
  /** The findings it answers. */
  readonly kinds: string[];
}

export interface Repairer {
  repair(
    file: LocalFile,
    key: string,
    findings: readonly Finding[],
    exists: boolean,
    unit: string,
  ): Promise<RepairOutcome>;
}

export function createRepairer(
  job: ResolvedJob,
  target: Target,
  hooks: Hooks,
  signal: AbortSignal,
  partitionStart: (path: string) => Date | undefined,
): Repairer {
  const guard = new RootGuard(job.source);
  return {
    async repair(file, key, findings, exists, unit) {
      const kinds = [...new Set(findings.map((f) => f.kind))];
      const base = { key, path: file.path, kinds };
      if (exists && job.target.noOverwrite) {
        return {
          ...base,
          outcome: 'not-replaced',
          detail: 'write-once job (target.noOverwrite): an existing object is never replaced',
        };
      }
      if (exists && job.target.objectLock) {
        return {
          ...base,
          outcome: 'not-replaced',
          detail:
            'Object Lock job: the existing object is kept (it may be under retention); upload a ' +
            'corrected copy under another key if needed',
        };
      }
      const item: PlanFile = {
        type: 'file',
        partitionIndex: 0,
        partition: unit,
        action: 'upload',
        path: file.path,
        ...(file.rawPath ? { rawPath: file.rawPath } : {}),
        key,
        size: file.size,
        mtimeMs: file.mtimeMs,
      };
      const result = await uploadFile(
        {
          job,
          target,
          hooks,
          openFile: defaultOpenFile,
          guard,
          abortSignal: signal,
          partitionStart: (i) => partitionStart(i.path),
        },
        item,
      );
      if (result.outcome === 'uploaded')
        return { ...base, outcome: 'uploaded', detail: `uploaded again (${file.size} bytes)` };
      const why = 'reason' in result ? result.reason : result.outcome;
      return { ...base, outcome: 'failed', detail: `${result.outcome}: ${why}` };
    },
  };
}
