/** The generated reference files and their content, keyed by absolute path. */
import path from 'node:path';
import { configMarkdown } from './markdown.js';
import { configJsonSchema } from './schema.js';

export function referenceFiles(repoRoot: string): Record<string, string> {
  return {
    [path.join(repoRoot, 'docs', 'config.md')]: configMarkdown(),
    [path.join(repoRoot, 'packages', 'cli', 'recsync.schema.json')]:
      `${JSON.stringify(configJsonSchema(), null, 2)}\n`,
  };
}
