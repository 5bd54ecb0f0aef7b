/**
 * The journal strategy: the producer's own list of written files, read from a saved offset.
 *
 * Partitions: one per chunk of up to `linesPerPartition` complete lines of one journal file,
 * in file order (id `written.log@<inode>:<start>-<end>`). Every partition is closed (a range of
 * complete lines never changes) and has no key prefix (entries can be anywhere). The engine
 * advances the cursor over the longest prefix of done partitions, so the saved offset is the
 * end of the longest prefix of lines whose files all have a final outcome, whatever order the
 * uploads finished in. See ./locate.ts for rotation and truncation, ./run.ts for entries.
 *
 * A rotated file or older segment is left for the next file only once it has been unwritten
 * for `rotationGrace`: a producer may still append to a file it opened before the rotation.
 */
import { open, type FileHandle } from 'node:fs/promises';
import {
  RecsyncError,
  formatDuration,
  type Partition,
  type PartitionsRequest,
  type StrategyContext,
  type StrategyInstance,
  type StrategyInstanceFeatures,
  type DonePartition,
} from '@recsync/framework';
import { endOfCompleteLines, readChunks, tailHash, type Chunk, type RawLine } from './lines.js';
import {
  byName,
  planSegments,
  planSingleFile,
  sameFile,
  type JournalFile,
  type ReadPlan,
  type ReadStep,
} from './locate.js';
import { journalLocation, type JournalLocation } from './location.js';
import type { JournalCursor, ResolvedJournalOptions } from './options.js';
import { emptyRunCounts, JournalRun, type RunCounts } from './run.js';
import { SegmentCleanup } from './cleanup.js';

interface ChunkRecord {
  readonly ordinal: number;
  readonly cursor: JournalCursor;
}

type StepEnd = 'quiet' | 'busy' | 'stop';

const cursorKey = (c: JournalCursor) => `${c.dev}:${c.ino}:${c.offset}:${c.tail}`;

export class JournalInstance implements StrategyInstance<JournalCursor> {
  readonly features: StrategyInstanceFeatures<JournalCursor>;
  private readonly location: JournalLocation;
  /** This run's partitions, for `advance()` (ids carry no fingerprint). */
  private readonly chunks = new Map<string, ChunkRecord>();
  private readonly ordinals = new Map<string, number>();
  /** Segments read to their end in this run: name → inode and end of complete lines. */
  private readonly segmentsRead = new Map<string, { ino: string; end: number }>();
  private counts: RunCounts = emptyRunCounts();
  private position?: string;

  constructor(
    private readonly options: ResolvedJournalOptions,
    private readonly context: StrategyContext,
  ) {
    this.location = journalLocation(options, context.source);
    const cleanup =
      this.location.kind === 'directory' && options.committedSegments !== 'keep'
        ? new SegmentCleanup(this.location.path, options.committedSegments, this.segmentsRead)
        : undefined;
    this.features = {
      describe: () => this.describe(),
      missingTimeoutMs: options.missingTimeout,
      /**
       * The source root is the only folder a journal names; files may be moved out of it by design.
       */
      partitionsMayShrink: true,
      ...(cleanup ? { committed: (cursor: JournalCursor) => cleanup.run(cursor) } : {}),
      compareCursors: compareJournalCursors,
    };
  }

  async *partitions(request: PartitionsRequest<JournalCursor>): AsyncGenerator<Partition> {
    this.chunks.clear();
    this.ordinals.clear();
    this.segmentsRead.clear();
    this.counts = emptyRunCounts();
    const { cursor } = request;
    this.position = cursor
      ? `${cursor.file} byte ${cursor.offset} (line ${cursor.line})`
      : 'first run';
    const plan = await this.plan(cursor);
    for (const note of plan.notes) this.context.warn(note);
    const run = new JournalRun(
      {
        source: this.context.source,
        followSymlinks: this.context.followSymlinks,
        warn: (m) => this.context.warn(m),
      },
      this.counts,
    );
    for (const [index, step] of plan.steps.entries()) {
      if (request.signal.aborted) return;
      const end = yield* this.readStep(step, { run, request });
      const last = index === plan.steps.length - 1;
      if (end === 'stop' || (end === 'busy' && !last)) {
        if (end === 'busy')
          this.context.warn(
            `${step.file.abs} was written less than ` +
              `${formatDuration(this.options.rotationGrace)} ago: later journal files wait ` +
              'for the next run',
          );
        return;
      }
    }
  }

  /**
   * The cursor after a done partition: its end, unless the cursor is already at or after it in
   * this run's order (a partition advanced over twice leaves the cursor where it is).
   */
  advance(cursor: JournalCursor | undefined, partition: DonePartition): JournalCursor | undefined {
    if (!partition.closed) return cursor;
    const chunk = this.chunks.get(partition.id);
    if (!chunk) {
      throw new RecsyncError('E_PARTITION', {
        message:
          `partition ${JSON.stringify(partition.id)} was not read by this run of the journal ` +
          'strategy',
        hint: 'advance() only accepts partitions yielded by the same instance in its latest run',
      });
    }
    const at = cursor === undefined ? undefined : this.ordinals.get(cursorKey(cursor));
    if (at !== undefined && chunk.ordinal <= at) return cursor;
    return chunk.cursor;
  }

  describe(): Record<string, string | number | boolean> {
    const facts: Record<string, string | number | boolean> = {
      journal: this.location.path,
      kind: this.location.kind === 'file' ? 'file' : 'segments',
      linesPerPartition: this.options.linesPerPartition,
    };
    if (this.position) facts.from = this.position;
    const { lines, entries, duplicates, refused, skipped, missing } = this.counts;
    if (lines > 0) Object.assign(facts, { linesRead: lines, entries });
    if (duplicates > 0) facts.duplicates = duplicates;
    if (refused > 0) facts.refusedLines = refused;
    if (skipped > 0) facts.skippedEntries = skipped;
    if (missing > 0) facts.missingFiles = missing;
    return facts;
  }

  private async plan(cursor: JournalCursor | undefined): Promise<ReadPlan> {
    const { kind, path } = this.location;
    try {
      return kind === 'file'
        ? await planSingleFile(path, cursor, this.options.start)
        : await planSegments(path, cursor, this.options.start);
    } catch (error) {
      throw readError(path, error);
    }
  }

  /**
   * Yields the partitions of one journal file from the step's offset; says whether the file is
   * quiet.
   */
  private async *readStep(
    step: ReadStep,
    ctx: { run: JournalRun; request: PartitionsRequest<JournalCursor> },
  ): AsyncGenerator<Partition, StepEnd> {
    const opened = await this.openStep(step);
    if (!opened) return 'stop';
    const { handle, file } = opened;
    try {
      let end = step.from;
      if (step.skipToEnd) {
        const skipped = await endOfCompleteLines(handle, file.size);
        end = skipped.end;
        yield await this.partition(
          handle,
          file,
          { start: 0, end, firstLine: 1, lastLine: skipped.lines, lines: [] },
          step,
          ctx.run,
        );
      } else {
        const chunks = readChunks(handle, {
          from: step.from,
          linesBefore: step.linesBefore,
          limit: file.size,
          maxLines: this.options.linesPerPartition,
        });
        for await (const chunk of chunks) {
          if (ctx.request.signal.aborted) return 'stop';
          this.counts.lines += chunk.lines.length;
          end = chunk.end;
          yield await this.partition(handle, file, chunk, step, ctx.run);
        }
        // A file read from its start without a complete line yet: move the cursor into it, so
        // the file the cursor was in is left behind for good.
        const { cursor } = ctx.request;
        if (end === 0 && cursor && !(sameFile(file, cursor) && cursor.offset === 0)) {
          yield await this.partition(
            handle,
            file,
            { start: 0, end: 0, firstLine: 1, lastLine: 0, lines: [] },
            step,
            ctx.run,
          );
        }
      }
      if (this.location.kind === 'directory')
        this.segmentsRead.set(file.name, { ino: file.ino, end });
      return ctx.request.now.getTime() - file.mtimeMs >= this.options.rotationGrace
        ? 'quiet'
        : 'busy';
    } finally {
      await handle.close();
    }
  }

  /**
   * Opens a planned file and takes its size now; undefined (with a warning) when it changed since.
   */
  private async openStep(
    step: ReadStep,
  ): Promise<{ handle: FileHandle; file: JournalFile } | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(step.file.abs, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw readError(step.file.abs, error);
      this.context.warn(
        `${step.file.abs} disappeared before it could be read: the next run looks for it again`,
      );
      return undefined;
    }
    const stats = await handle.stat({ bigint: true });
    const file: JournalFile = {
      ...step.file,
      size: Number(stats.size),
      mtimeMs: Number(stats.mtimeNs / 1000n) / 1000,
    };
    if (
      !sameFile({ dev: String(stats.dev), ino: String(stats.ino) }, step.file) ||
      file.size < step.from
    ) {
      await handle.close();
      this.context.warn(
        `${step.file.abs} was rotated or truncated while the run started: the next run reads it`,
      );
      return undefined;
    }
    return { handle, file };
  }

  private async partition(
    handle: FileHandle,
    file: JournalFile,
    chunk: Chunk,
    step: ReadStep,
    run: JournalRun,
  ): Promise<Partition> {
    const id = `${file.name}@${file.ino}:${chunk.start}-${chunk.end}`;
    const tail = await tailHash(handle, chunk.end);
    const cursor: JournalCursor = {
      file: file.name,
      dev: file.dev,
      ino: file.ino,
      offset: chunk.end,
      line: chunk.lastLine,
      tail,
      mtimeMs: file.mtimeMs,
    };
    const ordinal = this.chunks.size;
    this.chunks.set(id, { ordinal, cursor });
    this.ordinals.set(cursorKey(cursor), ordinal);
    let lines: RawLine[] | undefined = chunk.lines;
    return {
      id,
      dir: this.context.source,
      closed: true,
      ...(step.recheck ? { recheck: true, remoteCheck: 'head' as const } : {}),
      files: () => {
        const taken = lines ?? [];
        lines = undefined; // read once: the lines are not kept after
        return run.candidates(file.abs, chunk.firstLine, taken);
      },
    };
  }
}

function readError(file: string, error: unknown): RecsyncError {
  if (error instanceof RecsyncError) return error;
  return new RecsyncError('E_FILE_READ', {
    message: `cannot read the journal ${file}: ${(error as Error).message}`,
    hint: 'give the user running recsync read access to the journal; the cursor has not moved',
    cause: error,
  });
}

/** Segment names sort in write order; within one segment, the offset decides. */
export function compareJournalCursors(a: JournalCursor, b: JournalCursor): number {
  return byName(a.file, b.file) || a.offset - b.offset;
}
