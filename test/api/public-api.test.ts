/**
 * The packages' exported names, compared with the lists checked in next to this file
 * (`<package>.api.txt`). A change to what a package exports — a name added, removed, or turned
 * from a type into a value — fails here until the list is updated on purpose:
 *
 *   RECSYNC_UPDATE_API=1 npx vitest run test/api
 *
 * Entry points come from each package's `exports` map (their `@recsync/source` files). For an
 * `./internal` entry only the names beyond the package's public entry are listed: internal
 * entries re-export the public API.
 */
import { readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const UPDATE = process.env.RECSYNC_UPDATE_API === '1';

interface Entry {
  readonly specifier: string;
  readonly file: string;
}

function entriesOf(dir: string): { name: string; entries: Entry[] } {
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    name: string;
    exports?: Record<string, string | Record<string, string>>;
  };
  const entries: Entry[] = [];
  for (const [key, target] of Object.entries(manifest.exports ?? {})) {
    if (typeof target === 'string') continue; // ./package.json
    const source = target['@recsync/source'];
    if (!source) continue;
    entries.push({
      specifier: key === '.' ? manifest.name : `${manifest.name}/${key.slice(2)}`,
      file: path.join(dir, source),
    });
  }
  return { name: manifest.name, entries };
}

const packages = readdirSync(path.join(ROOT, 'packages')).map((dir) => ({
  dir,
  ...entriesOf(path.join(ROOT, 'packages', dir)),
}));

const program = ts.createProgram(
  packages.flatMap((p) => p.entries.map((e) => e.file)),
  {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    customConditions: ['@recsync/source'],
    allowJs: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  },
);
const checker = program.getTypeChecker();

/** `kind name` for each export of a module file, sorted. */
function exportsOf(file: string): Map<string, string> {
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`${file} is not part of the program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const result = new Map<string, string>();
  if (!moduleSymbol) return result;
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    result.set(symbol.name, kindOf(target.flags));
  }
  return result;
}

function kindOf(flags: ts.SymbolFlags): string {
  if (flags & ts.SymbolFlags.Class) return 'class';
  if (flags & ts.SymbolFlags.Function) return 'function';
  if (flags & ts.SymbolFlags.Variable) return 'const';
  if (flags & ts.SymbolFlags.Enum) return 'enum';
  if (flags & ts.SymbolFlags.Interface) return 'interface';
  if (flags & ts.SymbolFlags.TypeAlias) return 'type';
  if (flags & ts.SymbolFlags.Value) return 'value';
  return 'type';
}

/** The report of one package: a section per entry point. */
function report(pkg: (typeof packages)[number]): string {
  const publicNames = new Set<string>();
  const main = pkg.entries.find((e) => e.specifier === pkg.name);
  if (main) for (const name of exportsOf(main.file).keys()) publicNames.add(name);
  const sections = pkg.entries.map((entry) => {
    const internal = entry.specifier.endsWith('/internal');
    const lines = [...exportsOf(entry.file)]
      .filter(([name]) => !(internal && publicNames.has(name)))
      .map(([name, kind]) => `${kind} ${name}`)
      .sort((a, b) => a.split(' ')[1]!.localeCompare(b.split(' ')[1]!));
    const title = internal
      ? `# ${entry.specifier} (not public; beyond ${pkg.name}, which it re-exports)`
      : `# ${entry.specifier}`;
    return [title, ...lines].join('\n');
  });
  return `${sections.join('\n\n')}\n`;
}

function diff(expected: string, actual: string): string {
  const lines = (text: string) => new Set(text.split('\n').filter((l) => l && !l.startsWith('#')));
  const before = lines(expected);
  const after = lines(actual);
  const added = [...after].filter((l) => !before.has(l));
  const removed = [...before].filter((l) => !after.has(l));
  return [
    added.length > 0 ? `added: ${added.join(', ')}` : '',
    removed.length > 0 ? `removed: ${removed.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

describe('public API: what each package exports', () => {
  for (const pkg of packages) {
    it(`${pkg.name} exports what test/api/${pkg.dir}.api.txt lists`, () => {
      const file = path.join(import.meta.dirname, `${pkg.dir}.api.txt`);
      const actual = report(pkg);
      if (UPDATE) writeFileSync(file, actual);
      const expected = existsSync(file) ? readFileSync(file, 'utf8') : '';
      if (actual !== expected) {
        expect.fail(
          `${pkg.name}'s exports changed (${diff(expected, actual) || 'entry points or order'}). ` +
            `If that is intended, run RECSYNC_UPDATE_API=1 npx vitest run test/api and commit ` +
            `test/api/${pkg.dir}.api.txt; a public name also belongs in docs/plugins.md or the ` +
            `package README, an internal one behind the package's ./internal entry.`,
        );
      }
    });
  }

  it('has a list for every package and no list for a package that is gone', () => {
    const lists = readdirSync(import.meta.dirname)
      .filter((f) => f.endsWith('.api.txt'))
      .map((f) => f.slice(0, -'.api.txt'.length))
      .sort();
    expect(lists).toEqual(packages.map((p) => p.dir).sort());
  });
});
