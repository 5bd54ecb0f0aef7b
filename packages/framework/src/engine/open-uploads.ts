/**
 * Multipart uploads must not be left on the server (a store bills their parts until they are
 * aborted). Three lines of defence:
 *
 * 1. Before its first UploadPart, a run records (key, uploadId) in the job's state and saves it
 *    ({@link OpenUploads.begin}); the record goes when the upload completes or is aborted.
 * 2. The next run aborts every upload still recorded (a run killed with SIGKILL, a second
 *    signal whose abort did not get through) before it uploads anything, and reports the count.
 *    Recorded uploads are aborted, not resumed: the file is read and sent again whole, so the
 *    object always matches one read of the file and its checksum.
 * 3. A sweep lists multipart uploads under the job's prefix (ListMultipartUploads) and aborts
 *    those initiated longer ago than `upload.abandonedUploadAge` (default 2 days: far longer
 *    than any upload of a running job takes). This catches uploads whose CreateMultipartUpload
 *    reply was lost, so no id was ever recorded. It runs at most once a day per job, and only
 *    once the job has a state (a job that never ran has no leftovers).
 *
 * A store that does not implement the list or abort calls (501/405: the local s3rver) gets a
 * warning, never a failure; the README gives the bucket lifecycle rule for the rest.
 */
import { describeError, type WarningCode } from '../errors.js';
import type { JobState } from '../state/store.js';
import type { Target } from '../s3/target.js';
import type { MultipartLog } from './upload.js';

const SWEEP_INTERVAL_MS = 86_400_000;

export interface UploadCleanup {
  /** Uploads recorded by earlier runs that were aborted now. */
  readonly recordedAborted: number;
  /** Recorded uploads still on the server (abort failed; retried next run). */
  readonly recordedLeft: number;
  /** Stale uploads under the prefix aborted by the sweep. */
  readonly swept: number;
}

type Warn = (code: WarningCode, message: string) => void;

export interface SweepOptions {
  readonly prefix: string;
  readonly abandonedAgeMs: number | false;
  /** Scale-out: only keys this shard owns are swept (see ../shard.ts). Default: all. */
  readonly owns?: (key: string) => boolean;
}

export class OpenUploads implements MultipartLog {
  constructor(
    private readonly state: JobState,
    private readonly target: Target,
    private readonly warn: Warn,
  ) {}

  async begin(entry: { key: string; uploadId: string; path: string }): Promise<void> {
    this.state.openUploads.set(entry.uploadId, {
      key: entry.key,
      path: entry.path,
      startedAt: new Date().toISOString(),
    });
    await this.state.save();
  }

  end(uploadId: string): void {
    this.state.openUploads.delete(uploadId);
  }

  /** Aborts what earlier runs left; called before any upload of this run. */
  async cleanup(options: SweepOptions): Promise<UploadCleanup> {
    let recordedAborted = 0;
    for (const [uploadId, upload] of [...this.state.openUploads]) {
      try {
        await this.target.abortMultipart(upload.key, uploadId);
        this.state.openUploads.delete(uploadId);
        recordedAborted++;
      } catch (error) {
        // nothing more recsync can do
        if (notImplemented(error)) this.state.openUploads.delete(uploadId);
        this.warn(
          'W_MULTIPART_ABORT',
          `could not abort the multipart upload of ${upload.key} left by an earlier run: ` +
            `${describeError(error)}${
              notImplemented(error)
                ? ' (the store does not implement ' +
                  'AbortMultipartUpload; a lifecycle rule removes it)'
                : ' (retried next run)'
            }`,
        );
      }
    }
    if (recordedAborted > 0)
      this.warn(
        'W_MULTIPART_ABORTED',
        `aborted ${recordedAborted} multipart upload(s) left unfinished by an earlier run (their ` +
          'files are uploaded again)',
      );
    const swept = await this.sweep(options);
    if (recordedAborted > 0 || swept > 0) await this.state.save();
    return { recordedAborted, recordedLeft: this.state.openUploads.size, swept };
  }

  private async sweep({ prefix, abandonedAgeMs, owns }: SweepOptions): Promise<number> {
    const last = Date.parse(this.state.multipartSweptAt ?? '');
    const now = Date.now();
    if (abandonedAgeMs === false) return 0;
    if (!this.state.exists || !Number.isFinite(last)) {
      // A job's first run (or the first with this release) has nothing of its own to sweep yet:
      // the clock starts now, and the first sweep comes a day later.
      this.state.multipartSweptAt = new Date(now).toISOString();
      return 0;
    }
    if (now - last < Math.min(SWEEP_INTERVAL_MS, abandonedAgeMs)) return 0;
    this.state.multipartSweptAt = new Date(now).toISOString();
    let swept = 0;
    try {
      for await (const upload of this.target.listMultipart(prefix)) {
        if (!upload.initiated || now - upload.initiated.getTime() < abandonedAgeMs) continue;
        if (owns && !owns(upload.key)) continue; // another shard's key
        await this.target.abortMultipart(upload.key, upload.uploadId);
        swept++;
      }
    } catch (error) {
      const what = notImplemented(error)
        ? 'the store does not implement ListMultipartUploads/AbortMultipartUpload'
        : describeError(error);
      this.warn(
        'W_MULTIPART_SWEEP',
        `could not sweep abandoned multipart uploads under "${prefix}": ${what}; a bucket ` +
          'lifecycle rule (AbortIncompleteMultipartUpload) covers them',
      );
    }
    if (swept > 0)
      this.warn(
        'W_MULTIPART_SWEPT',
        `aborted ${swept} multipart upload(s) under "${prefix}" started more than ` +
          `${Math.round(abandonedAgeMs / 3_600_000)}h ago`,
      );
    return swept;
  }
}

function notImplemented(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === 501 || status === 405 || (error as { name?: string }).name === 'NotImplemented';
}
