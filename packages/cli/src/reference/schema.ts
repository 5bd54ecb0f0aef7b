/**
 * The config's JSON Schema, generated from the zod schemas (`z.toJSONSchema`), the single
 * source of types, defaults and descriptions. Strategies and plugins are functions in a `.ts`
 * config; in a data-only config (`.json`, `.yaml`) they are `{ use, with }`, and for the
 * built-in strategies `with` is described by each strategy's own options schema.
 */
import { configSchema, z } from '@recsync/framework/internal';
import { dateStrategy } from '@recsync/strategy-date';
import { journalStrategy } from '@recsync/strategy-journal';
import { mtimeStrategy } from '@recsync/strategy-mtime';

type Json = Record<string, unknown>;

export const BUILTIN_STRATEGIES = [
  { name: '@recsync/strategy-date', factory: 'dateFolders', schema: dateStrategy.options },
  { name: '@recsync/strategy-mtime', factory: 'mtimeCutoff', schema: mtimeStrategy.options },
  { name: '@recsync/strategy-journal', factory: 'journal', schema: journalStrategy.options },
] as const;

export const SCHEMA_ID = 'https://recsync.dev/schema/recsync.schema.json';

export function toJson(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: machineFree,
  }) as Json;
  delete json.$schema;
  return json;
}

/**
 * A default computed from this machine (the date strategy's timezone: the machine's zone) would
 * make the generated files differ from machine to machine; its description says it instead.
 */
function machineFree(ctx: { zodSchema: unknown; jsonSchema: Json }): void {
  const def = (ctx.zodSchema as { _zod: { def: { type: string } } })._zod.def;
  if (
    def.type === 'prefault' &&
    ctx.jsonSchema.default === Intl.DateTimeFormat().resolvedOptions().timeZone
  ) {
    delete ctx.jsonSchema.default;
  }
}

const useRef = (use: Json, withSchema: Json, description: string): Json => ({
  type: 'object',
  description,
  properties: { use, with: withSchema },
  required: ['use'],
  additionalProperties: false,
});

export function configJsonSchema(): Json {
  const root = toJson(configSchema);
  const job = ((root.properties as Json).jobs as Json).additionalProperties as Json;
  const jobProps = job.properties as Json;
  const strategyDescription = (jobProps.strategy as Json).description as string;
  jobProps.strategy = {
    description: [
      strategyDescription,
      'In a data-only config: { "use": package, "with": options }.',
    ].join(' '),
    anyOf: [
      ...BUILTIN_STRATEGIES.map((s) =>
        useRef({ const: s.name }, toJson(s.schema), `${s.factory}(): ${s.name}`),
      ),
      useRef(
        { type: 'string', minLength: 1, not: { enum: BUILTIN_STRATEGIES.map((s) => s.name) } },
        { type: 'object' },
        'A strategy from another package or a file.',
      ),
    ],
  };
  const plugin = useRef(
    { type: 'string', minLength: 1 },
    { type: 'object' },
    'A plugin factory from a package or a file, and its options.',
  );
  for (const holder of [root, job]) {
    const props = holder.properties as Json;
    props.plugins = { ...(props.plugins as Json), items: plugin };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'recsync configuration',
    ...root,
    properties: {
      $schema: { type: 'string', description: 'This schema, for editor completion.' },
      ...(root.properties as Json),
    },
  };
}
