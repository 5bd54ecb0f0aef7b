/**
 * docs/config.md: every config option with its type, default and description, generated from
 * the JSON Schema (itself generated from the zod schemas), so it cannot drift from the code.
 */
import { BUILTIN_STRATEGIES, configJsonSchema, toJson } from './schema.js';

type Json = Record<string, unknown>;

interface Row {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  readonly description: string;
}

export function configMarkdown(): string {
  const root = configJsonSchema();
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from the zod schemas by `npm run docs`; a test fails when it is stale. ' +
      'Do not edit. -->',
    '',
    '`recsync.config.ts` (or `.mts`, `.cts`, `.js`, `.mjs`, `.cjs`, `.json`, `.yaml`, ' +
      '`.yml`, or a `recsync`',
    'key in `package.json`). Unknown keys are errors, with the key that was probably ' +
      'meant. Sizes take',
    'units (`16MiB` = 16×1024², `16MB` = 16×1000²) or a number of bytes; durations need a ' +
      'unit (`90s`,',
    '`5m`, `1h`, `2d`).',
    '',
    'Editor completion for `.json` and `.yaml` configs: the JSON Schema',
    '[`recsync.schema.json`](../packages/cli/recsync.schema.json) ships with `@recsync/cli`:',
    '',
    '```json',
    '{ "$schema": "./node_modules/@recsync/cli/recsync.schema.json", "jobs": { … } }',
    '```',
    '',
    '```yaml',
    '# yaml-language-server: $schema=./node_modules/@recsync/cli/recsync.schema.json',
    '```',
    '',
    '## Options',
    '',
    ...table(rowsOf(root, '')),
    '',
    '## Strategies',
    '',
    'In a `.ts` config a strategy is a factory call, `dateFolders({ … })`; in a data-only ' +
      'config it is',
    '`{ "use": "@recsync/strategy-date", "with": { … } }`. The options are the same.',
  ];
  for (const s of BUILTIN_STRATEGIES) {
    lines.push(
      '',
      `### \`${s.factory}()\` — \`${s.name}\``,
      '',
      ...table(rowsOf(toJson(s.schema), '')),
    );
  }
  return `${lines.join('\n')}\n`;
}

function table(rows: readonly Row[]): string[] {
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '| key | type | default | description |',
    '|---|---|---|---|',
    ...rows.map(
      (r) => `| \`${r.key}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`,
    ),
  ];
}

function rowsOf(schema: Json, prefix: string): Row[] {
  const rows: Row[] = [];
  const props = (schema.properties ?? {}) as Record<string, Json>;
  for (const [name, prop] of Object.entries(props)) {
    if (name === '$schema') continue;
    const key = prefix ? `${prefix}.${name}` : name;
    const required = Array.isArray(schema.required) && schema.required.includes(name);
    rows.push({
      key,
      type: typeOf(prop),
      default: required ? 'required' : defaultOf(prop),
      description: String(prop.description ?? ''),
    });
    if (prop.properties) rows.push(...rowsOf(prop, key));
    const record = prop.additionalProperties as Json | undefined;
    if (prop.propertyNames && record && typeof record === 'object' && record.properties)
      rows.push(...rowsOf(record, `${key}.<name>`));
  }
  return rows;
}

function defaultOf(s: Json): string {
  return 'default' in s ? `\`${JSON.stringify(s.default)}\`` : '';
}

function typeOf(s: Json): string {
  if (Array.isArray(s.enum)) return s.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' | ');
  if ('const' in s) return `\`${JSON.stringify(s.const)}\``;
  if (Array.isArray(s.anyOf)) {
    const kinds = (s.anyOf as Json[]).map((o) =>
      o.properties && (o.properties as Json).use ? '{ use, with }' : typeOf(o),
    );
    return [...new Set(kinds)].join(' | ');
  }
  if (Array.isArray(s.type)) return s.type.join(' | ');
  if (s.type === 'array') return `${typeOf((s.items ?? {}) as Json)}[]`;
  if (s.type === 'object') return s.propertyNames ? 'map' : 'object';
  if (typeof s.type === 'string') return s.type;
  return 'any';
}
