/**
 * docs/config.md and recsync.schema.json are generated from the zod schemas (`npm run docs`);
 * this fails when a schema changed and they were not regenerated.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { referenceFiles } from '../src/reference/files.js';
import { configJsonSchema } from '../src/reference/schema.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

describe('config reference', () => {
  it('is current (run `npm run docs` after changing a schema)', async () => {
    for (const [file, content] of Object.entries(referenceFiles(repo))) {
      expect(await readFile(file, 'utf8'), `${file} is stale: run npm run docs`).toBe(content);
    }
  });

  it('documents every option with a description, and the built-in strategies for data-only configs', () => {
    const schema = configJsonSchema() as { properties: Record<string, { description?: string }> };
    const job = (schema.properties.jobs as unknown as { additionalProperties: { properties: Record<string, { description?: string; anyOf?: unknown[] }> } })
      .additionalProperties.properties;
    for (const [key, prop] of Object.entries({ ...schema.properties, ...job })) expect(prop.description, key).toBeTruthy();
    expect(job.strategy.anyOf).toHaveLength(4);
    expect(JSON.stringify(job.strategy)).toContain('"const":"@recsync/strategy-date"');
    expect(JSON.stringify(schema)).toContain('"textfile"');
  });
});
