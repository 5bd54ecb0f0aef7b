/**
 * Strategies and plugins named by package or path (`{ use, with }`) in a data-only config:
 * the ones that exist load; a missing one, a broken one and one of the wrong kind are config
 * errors that say which, with exit 2 and no stack trace.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@recsync/cli';
import { runCli } from '../support/cli.js';

let dir: string;

const files: Record<string, string> = {
  'plugins/tagger.mjs':
    `export default (options) => ({ name: 'tagger:' + options.tag, apply() ` + '{} });',
  'plugins/object.mjs': `export default { name: 'plain', apply() {} };`,
  'plugins/broken.mjs': `export default {`,
  'plugins/needs-dep.mjs': `import x from 'recsync-left-pad-that-is-not-there'; export default x;`,
  'plugins/not-a-plugin.mjs': `export const answer = 42;`,
};

function config(
  plugins: unknown[],
  strategy: unknown = { use: '@recsync/strategy-mtime' },
): string {
  return JSON.stringify({
    jobs: { a: { source: '.', target: { bucket: 'b' }, strategy, plugins } },
  });
}

async function problemsOf(name: string, text: string): Promise<string> {
  await writeFile(path.join(dir, name), text);
  const error = await loadConfig({ configPath: name, cwd: dir }).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );
  expect(error?.code).toBe('E_CONFIG_INVALID');
  return error!.message;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-use-'));
  await mkdir(path.join(dir, 'plugins'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('plugins and strategies named with { use, with }', () => {
  it('loads a plugin factory and a plugin object by path, and a strategy by package', async () => {
    await writeFile(
      path.join(dir, 'ok.json'),
      config([
        { use: './plugins/tagger.mjs', with: { tag: 'x' } },
        { use: './plugins/object.mjs' },
      ]),
    );
    const { jobs } = await loadConfig({ configPath: 'ok.json', cwd: dir });
    expect(jobs[0].plugins.map((p) => p.name)).toEqual(['tagger:x', 'plain']);
    expect(jobs[0].strategy.definition.name).toBe('@recsync/strategy-mtime');
  });

  it('says which plugin is missing, broken or not a plugin', async () => {
    const message = await problemsOf(
      'bad.json',
      config([
        { use: './plugins/absent.mjs' },
        { use: 'recsync-plugin-that-is-not-installed' },
        { use: './plugins/broken.mjs' },
        { use: './plugins/needs-dep.mjs' },
        { use: './plugins/not-a-plugin.mjs' },
        { use: '@recsync/strategy-date' },
      ]),
    );
    expect(message).toContain(
      `jobs.a.plugins.0.use: no module at ${path.join(dir, 'plugins/absent.mjs')}`,
    );
    expect(message).toContain(
      'jobs.a.plugins.1.use: the package "recsync-plugin-that-is-not-installed" is not installed',
    );
    expect(message).toContain('npm i recsync-plugin-that-is-not-installed');
    expect(message).toMatch(
      new RegExp(
        String.raw`jobs\.a\.plugins\.2\.use: "\.\/plugins\/broken\.mjs" was found but cannot be ` +
          String.raw`loaded: .*Unexpected token .*broken\.mjs:\d+`,
      ),
    );
    expect(message).toContain(
      'jobs.a.plugins.3.use: "./plugins/needs-dep.mjs" was found but cannot be loaded: ' +
        `MODULE_NOT_FOUND: Cannot find module 'recsync-left-pad-that-is-not-there'`,
    );
    expect(message).toContain(
      'jobs.a.plugins.4.use: "./plugins/not-a-plugin.mjs" is not a recsync plugin',
    );
    expect(message).toContain(
      'jobs.a.plugins.5.use: "@recsync/strategy-date" is a recsync strategy, not a plugin',
    );
    expect(message).not.toContain('Require stack');
  });

  it('says when a strategy is missing or is a plugin', async () => {
    expect(
      await problemsOf('s1.json', config([], { use: 'recsync-strategy-that-is-not-installed' })),
    ).toContain(
      'jobs.a.strategy.use: the package "recsync-strategy-that-is-not-installed" is not installed',
    );
    expect(await problemsOf('s2.json', config([], { use: './plugins/tagger.mjs' }))).toContain(
      'jobs.a.strategy.use: "./plugins/tagger.mjs" is not a recsync strategy: it exports a ' +
        'function, not a strategy',
    );
  });

  it('exits 2 with the problem and no stack trace', async () => {
    await writeFile(path.join(dir, 'cli.json'), config([{ use: './plugins/absent.mjs' }]));
    const result = await runCli(['plan', '--config', 'cli.json'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error E_CONFIG_INVALID');
    expect(result.stderr).toContain('no module at');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
