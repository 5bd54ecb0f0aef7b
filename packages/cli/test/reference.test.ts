/**
 * docs/config.md and recsync.schema.json are generated from the zod schemas (`npm run docs`);
 * this fails when a schema changed and they were not regenerated.
 */
import { readFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
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

  it(
    'documents every option with a description, and the built-in strategies for data-only ' +
      'configs',
    () => {
      const schema = configJsonSchema() as { properties: Record<string, { description?: string }> };
      const job = (
        schema.properties.jobs as unknown as {
          additionalProperties: {
            properties: Record<string, { description?: string; anyOf?: unknown[] }>;
          };
        }
      ).additionalProperties.properties;
      for (const [key, prop] of Object.entries({ ...schema.properties, ...job }))
        expect(prop.description, key).toBeTruthy();
      expect(job.strategy.anyOf).toHaveLength(4);
      expect(JSON.stringify(job.strategy)).toContain('"const":"@recsync/strategy-date"');
      expect(JSON.stringify(schema)).toContain('"textfile"');
    },
  );

  it(
    'accepts the data-only example configs and refuses a misspelt key (editor completion ' +
      'uses it)',
    async () => {
      const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
      const validate = ajv.compile(configJsonSchema());
      const yamlConfig = parseYaml(
        await readFile(`${repo}examples/data-only/recsync.config.yaml`, 'utf8'),
      );
      expect(validate(yamlConfig), JSON.stringify(validate.errors)).toBe(true);
      const k8s = await readFile(`${repo}examples/scheduling/kubernetes-cronjob.yaml`, 'utf8');
      const configMap = parseYaml(k8s.split(/^---$/m)[1]) as { data: Record<string, string> };
      expect(
        validate(JSON.parse(configMap.data['recsync.config.json'])),
        JSON.stringify(validate.errors),
      ).toBe(true);
      const typo = {
        jobs: {
          rec: {
            source: '/a',
            target: { bucket: 'b', prefx: 'x' },
            strategy: { use: '@recsync/strategy-date', with: { layout: '{yyyy}' } },
          },
        },
      };
      expect(validate(typo)).toBe(false);
      const badOption = {
        jobs: {
          rec: {
            source: '/a',
            target: { bucket: 'b' },
            strategy: { use: '@recsync/strategy-date', with: { lookbak: 2 } },
          },
        },
      };
      expect(validate(badOption)).toBe(false);
    },
  );
});
