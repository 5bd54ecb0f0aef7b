/**
 * The options and cursor schemas of the journal strategy: the single source of their types and
 * defaults. Options are a strict object, so a misspelt option is an error, not a silent default.
 */
import { durationSchema, z } from '@recsync/framework';

const cleanupSchema = z.union(
  [
    z.enum(['keep', 'delete']),
    z.strictObject({
      /**
       * Folder committed segments are renamed into (same filesystem); relative to the segment
       * folder.
       */
      moveTo: z.string().min(1, { error: 'moveTo must name a folder' }),
    }),
  ],
  { error: 'committedSegments must be "keep", "delete" or { moveTo: "folder" }' },
);

export const journalOptionsSchema = z
  .strictObject({
    /**
     * A single journal file (`/var/lib/recorder/written.log`). Relative paths are relative to the
     * source.
     */
    path: z
      .string()
      .min(1, { error: 'path must name the journal file' })
      .optional()
      .describe('A single journal file; relative to the source. Set this or directory.'),
    /**
     * A folder of journal segment files, read in name order. Relative paths are relative to the
     * source.
     */
    directory: z
      .string()
      .min(1, { error: 'directory must name the segment folder' })
      .optional()
      .describe(
        'A folder of journal segment files, read in name order; relative to the source. ' +
          'Set this or path.',
      ),
    /** Journal lines per partition: the cursor moves in steps of at most this many lines. */
    linesPerPartition: z
      .number({ error: 'linesPerPartition must be a whole number from 1 to 1000000' })
      .int({ error: 'linesPerPartition must be a whole number from 1 to 1000000' })
      .min(1, { error: 'linesPerPartition must be at least 1' })
      .max(1_000_000, { error: 'linesPerPartition must be at most 1000000' })
      .default(1000)
      .describe(
        'Journal lines per partition: the cursor moves in steps of at most this many lines.',
      ),
    /**
     * How long an entry naming a file that does not exist stays pending before it is reported
     * missing.
     */
    missingTimeout: durationSchema
      .prefault('7d')
      .describe(
        'How long an entry naming a missing file stays pending before it is reported missing.',
      ),
    /**
     * How long a rotated journal file or an older segment must have been left unwritten before the
     * cursor moves on to the next file (a producer may still hold the old one open).
     */
    rotationGrace: durationSchema
      .prefault('1m')
      .describe(
        'How long a rotated file or older segment must be left unwritten before the cursor ' +
          'moves on to the next.',
      ),
    /**
     * Where a first run starts: every line the journal holds, or its current end (adopting a
     * backed-up archive).
     */
    start: z
      .enum(['beginning', 'end'], { error: 'start must be "beginning" or "end"' })
      .default('beginning')
      .describe('Where a first run starts: every line the journal holds, or its current end.'),
    /** What happens to segment files the saved cursor has moved past (segment folders only). */
    committedSegments: cleanupSchema
      .default('keep')
      .describe(
        'What happens to segment files the cursor has moved past: "keep", "delete" or { ' +
          'moveTo: folder }.',
      ),
  })
  .superRefine((options, ctx) => {
    if ((options.path === undefined) === (options.directory === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message:
          'set exactly one of path (a journal file) or directory (a folder of segment files)',
      });
    }
    if (options.path !== undefined && options.committedSegments !== 'keep') {
      ctx.addIssue({
        code: 'custom',
        path: ['committedSegments'],
        message:
          'committedSegments applies to segment folders (directory) only; a single journal ' +
          'file is rotated by logrotate',
      });
    }
  });

/** What users write: `journal({ path: '/var/lib/recorder/written.log' })`. */
export type JournalOptions = z.input<typeof journalOptionsSchema>;
/** Options after validation and defaults. */
export type ResolvedJournalOptions = z.output<typeof journalOptionsSchema>;

const digits = z.string().regex(/^\d+$/, { error: 'expected a decimal number' });

/**
 * The cursor: where the next run starts reading.
 *
 * `dev`/`ino` identify the file (names change on rotation; inodes do not), `offset` is the
 * byte after the last fully committed line and `line` the number of lines before it. `tail`
 * is the SHA-256 (first 32 hex digits) of the up to {@link TAIL_BYTES} bytes before `offset`:
 * a file truncated or replaced under the same inode no longer matches it. `mtimeMs` is the
 * file's modification time when those lines were read: files rotated later are newer than it.
 * `file` is the file's name when it was read (the segment name orders segment folders).
 */
export const journalCursorSchema = z.strictObject({
  file: z.string().min(1),
  dev: digits,
  ino: digits,
  offset: z.number().int().min(0),
  line: z.number().int().min(0),
  tail: z.string().regex(/^[0-9a-f]{32}$/, { error: 'tail must be 32 hex digits' }),
  mtimeMs: z.number().min(0),
});

export type JournalCursor = z.output<typeof journalCursorSchema>;

/** Bytes before the offset covered by the cursor's `tail` fingerprint. */
export const TAIL_BYTES = 1024;
