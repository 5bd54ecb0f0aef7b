/**
 * The options and cursor schemas of the date strategy: the single source of their types and
 * defaults. Options are a strict object, so a misspelt option is an error, not a silent default.
 */
import { IANAZone } from 'luxon';
import { z } from '@recsync/framework';
import { durationSchema } from '@recsync/framework';
import { DATE_INPUT_FORMS, parseDateInput } from './input.js';
import { parseLayout } from './layout.js';

export const DEFAULT_LAYOUT = '{yyyy}-{MM}-{dd}';

/** The machine's IANA zone, read when options are parsed (not at import). */
function machineZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const layoutSchema = z
  .string({ error: 'layout must be a string such as "{yyyy}-{MM}-{dd}"' })
  .superRefine((text, ctx) => {
    const result = parseLayout(text);
    if (!result.ok) for (const message of result.errors) ctx.addIssue({ code: 'custom', message });
  });

const timezoneSchema = z
  .string({ error: 'timezone must be an IANA zone name such as "Europe/Berlin" or "UTC"' })
  .refine((zone) => IANAZone.isValidZone(zone), {
    error: (issue) =>
      `unknown timezone ${JSON.stringify(issue.input)}; use an IANA zone name such as ` +
      '"Europe/Berlin", "America/New_York" or "UTC"',
  });

export const dateOptionsSchema = z
  .strictObject({
    /** Folder layout below the source; see the README for tokens and rules. */
    layout: layoutSchema
      .default(DEFAULT_LAYOUT)
      .describe(
        'Folder layout below the source, with tokens {yyyy} {MM} {dd} {HH}: ' +
          '"{yyyy}-{MM}-{dd}", "{yyyy}/{MM}/{dd}", "rec-{yyyy}{MM}{dd}/{HH}".',
      ),
    /** Zone the folder names are written in; default: this machine's zone. */
    timezone: timezoneSchema
      .prefault(machineZone)
      .describe(
        'IANA zone the folder names are written in ("Europe/Berlin", "UTC"). Default: this ' +
          "machine's zone.",
      ),
    /**
     * First period of the first run (`2024-01-01`, `2024-01-01T13`); default: the oldest folder
     * found.
     */
    start: z
      .string({ error: `start must be a date such as ${DATE_INPUT_FORMS}` })
      .optional()
      .describe(
        'First period of the first run ("2024-01-01", "2024-01-01T13"). Default: the ' +
          'oldest folder found.',
      ),
    /**
     * Number of already-completed partitions re-checked each run (periods, not days: 2 on an hourly
     * layout is two hours).
     */
    lookback: z
      .number({ error: 'lookback must be a whole number of partitions (0 or more)' })
      .int({ error: 'lookback must be a whole number of partitions (0 or more)' })
      .min(0, { error: 'lookback must be 0 or more (a number of partitions)' })
      .max(100_000, {
        error: 'lookback must be at most 100000 partitions (use --since for a full reconcile)',
      })
      .default(2)
      .describe(
        'Completed partitions re-checked each run for late files (periods, not days: 2 on ' +
          'an hourly layout is two hours).',
      ),
    /** Time after a period ends before its partition counts as closed. */
    grace: durationSchema
      .prefault('1h')
      .describe(
        'Time after a period ends before its partition counts as closed (the cursor may pass it).',
      ),
  })
  .superRefine((options, ctx) => {
    if (options.start === undefined) return;
    const layout = parseLayout(options.layout);
    if (!layout.ok) return; // already reported on `layout`
    if (!parseDateInput(options.start, layout.layout)) {
      ctx.addIssue({
        code: 'custom',
        path: ['start'],
        message: `start ${JSON.stringify(options.start)} is not a date; use ${DATE_INPUT_FORMS}`,
      });
    }
  });

/** What users write: `dateFolders({ layout: '{yyyy}/{MM}/{dd}', timezone: 'UTC' })`. */
export type DateFoldersOptions = z.input<typeof dateOptionsSchema>;
/** Options after validation and defaults. */
export type ResolvedDateOptions = z.output<typeof dateOptionsSchema>;

/**
 * The cursor: the last completed period, in canonical form (`2026-11-25`, `2026-11-25T13`,
 * `2026-11`, `2026`). It does not mention the layout's fixed text, so only a change of
 * granularity makes it meaningless (and that changes the layout, hence the state identity).
 */
export const dateCursorSchema = z.strictObject({
  through: z.string().regex(/^\d{4}(?:-\d{2}(?:-\d{2}(?:T\d{2})?)?)?$/, {
    error: 'through must be a period such as "2026-11-25", "2026-11-25T13", "2026-11" or "2026"',
  }),
});

export type DateCursor = z.output<typeof dateCursorSchema>;
