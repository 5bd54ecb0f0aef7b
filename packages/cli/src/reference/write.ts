/** `npm run docs`: writes docs/config.md and the JSON Schema from the zod schemas. */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { referenceFiles } from './files.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));
for (const [file, content] of Object.entries(referenceFiles(repo))) {
  await writeFile(file, content);
  process.stdout.write(`wrote ${file}\n`);
}
