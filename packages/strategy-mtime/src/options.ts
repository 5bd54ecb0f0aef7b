/**
 * The options and cursor schemas of the mtime strategy: the single source of their types and
 * defaults. Options are a strict object, so a misspelt option is an error, not a silent default.
 */
import { durationSchema, z } from '@recsync/framework';
import { TIME_INPUT_FORMS, parseTimeInput } from './time.js';

const globsSchema = (name: string) =>
  z
    .array(z.string().min(1, { error: `${name} patterns must not be empty` }), {
      error: `${name} must be a list of glob patterns such as ["cam-*/**", "**/*.mp4"]`,
    })
    .default([]);

export const mtimeOptionsSchema = z.strictObject({
  /**
   * Where the first run starts: a date-time, or a duration meaning that long before the run
   * (`30d`). Default: every file is a candidate on the first run.
   */
  start: z
    .string({ error: `start must be ${TIME_INPUT_FORMS}` })
    .refine((text) => parseTimeInput(text, new Date()) !== undefined, {
      error: (issue) => `start ${JSON.stringify(issue.input)} is not ${TIME_INPUT_FORMS}`,
    })
    .optional()
    .describe(
      'Where the first run starts: a date-time, or a duration before the run ("30d"). ' +
        'Default: every file is a candidate.',
    ),
  /**
   * Subtracted from the clock captured before the walk to give the next run's cutoff. Covers
   * clock skew between this machine and the file server (NFS) and coarse file-system timestamps
   * (FAT: 2s), so it must exceed both.
   */
  margin: durationSchema
    .prefault('5s')
    .describe(
      'Subtracted from the clock before the walk to give the next cutoff; must exceed ' +
        'clock skew to the file server and timestamp granularity.',
    ),
  /**
   * ctime counts too (finds files copied in with `cp -p`, renamed in, folders moved in). False:
   * mtime only, as `find -newer`.
   */
  ctime: z
    .boolean({ error: 'ctime must be true or false' })
    .default(true)
    .describe(
      'ctime counts too (files copied in with cp -p, renamed in, folders moved in). false: ' +
        'mtime only, as find -newer.',
    ),
  /**
   * Write-once pruning: assume files are never modified in place once written, and skip the
   * stat of every file in a folder whose own mtime and ctime are older than the cutoff.
   */
  writeOnce: z
    .boolean({ error: 'writeOnce must be true or false' })
    .default(false)
    .describe(
      'Files are never modified in place: skip reading folders whose own mtime and ctime ' +
        'are older than the cutoff.',
    ),
  /**
   * Globs a file must match one of (relative to the source); folders that cannot contain a match
   * are never opened.
   */
  include: globsSchema('include').describe(
    'Globs a file must match one of (relative to the source); folders that cannot contain ' +
      'a match are never opened.',
  ),
  /** Globs of files to leave out; `dir/**` also keeps the walk out of `dir`. */
  exclude: globsSchema('exclude').describe(
    'Globs of files to leave out; "dir/**" also keeps the walk out of dir.',
  ),
  /** Walker threads: directories read at once. 0 walks on the main thread. */
  threads: z
    .number({ error: 'threads must be a whole number from 0 to 64' })
    .int({ error: 'threads must be a whole number from 0 to 64' })
    .min(0, { error: 'threads must be 0 (walk on the main thread) or more' })
    .max(64, { error: 'threads must be at most 64' })
    .default(2)
    .describe('Walker threads (directories read at once); 0 walks on the main thread.'),
});

/** What users write: `mtimeCutoff({ writeOnce: true, exclude: ['**\/*.part'] })`. */
export type MtimeCutoffOptions = z.input<typeof mtimeOptionsSchema>;
/** Options after validation and defaults. */
export type ResolvedMtimeOptions = z.output<typeof mtimeOptionsSchema>;

const instant = z.iso.datetime({
  error: 'expected an ISO date-time in UTC such as "2026-11-25T12:00:00.000Z"',
});

/**
 * The cursor. Every time is a cutoff (the clock before a walk, minus the margin): files whose
 * mtime (or ctime) is at or after it may not have been seen yet.
 *
 * - `cutoff`: applies to every partition; absent, everything (no run completed, and no `start`).
 * - `partial`: runs that stopped part-way. `{ through, cutoff }` says every partition up to
 *   `through` (in partition order) was done with that cutoff; a partition uses the newest cutoff
 *   among the entries that reach it, else `cutoff`.
 * - `unreadable`: folders (relative to the source; `.` is the root) that could not be read,
 *   with the cutoff they missed (absent: everything); walked again with it until read.
 */
export const mtimeCursorSchema = z.strictObject({
  cutoff: instant.optional(),
  partial: z.array(z.strictObject({ through: z.string().min(1), cutoff: instant })).optional(),
  unreadable: z
    .array(z.strictObject({ dir: z.string().min(1), cutoff: instant.optional() }))
    .optional(),
});

export type MtimeCursor = z.output<typeof mtimeCursorSchema>;
