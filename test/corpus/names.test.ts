/**
 * Bad-input corpus: file names. One archive holds every awkward name at once; one `recsync
 * sync` backs it up, and each case checks that its file landed under the expected key with
 * exactly its bytes. A second sync must find everything present (the names survive listing).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createTestClient, createTree, type FixtureTree } from '@recsync/framework/testing';
import { recentDays, runCli, writeConfig, type CliResult } from '../support/cli.js';

const endpoint = inject('s3Endpoint');
const client = createTestClient(endpoint);
const [day] = recentDays(1);

/** Names that are valid UTF-8: each must land under exactly its own name. */
const NAMES: [string, string][] = [
  ['a space', 'with space.wav'],
  ['a leading space', ' leading.wav'],
  ['a trailing space', 'trailing .wav'],
  ['a newline', 'new\nline.wav'],
  ['a tab', 'tab\there.wav'],
  ['a carriage return', 'carriage\rreturn.wav'],
  ['a control character', 'ctrl\u0001char.wav'],
  ['NFC (precomposed é)', 'caf\u00e9.wav'],
  ['NFD (e + combining accent), beside its NFC twin', 'cafe\u0301.wav'],
  ['an emoji', 'call \u{1F4DE}.wav'],
  ['CJK characters', '\u65e5\u672c\u8a9e.wav'],
  ['a percent sign', 'percent%20.wav'],
  ['a plus sign', 'plus+sign.wav'],
  ['a hash', 'hash#1.wav'],
  ['a question mark', 'what?.wav'],
  ['an ampersand', 'a&b.wav'],
  ['a double quote', 'quote".wav'],
  ['an apostrophe', "it's.wav"],
  ['a backslash', 'back\\slash.wav'],
  ['a leading dash', '-dash.wav'],
  ['a dot file', '.hidden.wav'],
  ['glob characters', 'star*[x].wav'],
  ['colon and semicolon', 'a:b;c.wav'],
  ['angle brackets and pipe', 'a<b>|c.wav'],
  ['equals and comma', 'k=v,w.wav'],
  // 230 bytes: the local server stores each object as files named key + '._S3rver_metadata.json'
  ['a 230-byte name', `${'n'.repeat(226)}.wav`],
  ['a deep path', 'a/b/c/d/e/f/g/h/deep.wav'],
];

/** Names that are not valid UTF-8, as raw bytes. */
const RAW: [string, Buffer][] = [
  ['an invalid byte (Latin-1 é)', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x77, 0x61, 0x76])],
  ['a lone continuation byte', Buffer.from([0x80, 0x2e, 0x77, 0x61, 0x76])],
  ['a truncated sequence', Buffer.from([0x61, 0xe2, 0x82, 0x2e, 0x77, 0x61, 0x76])],
];

let tree: FixtureTree;
let bucket: string;
let first: CliResult;
let second: CliResult;
let keys: string[];

beforeAll(async () => {
  const when = `${day}T10:00:00Z`;
  tree = await createTree(
    Object.fromEntries(
      NAMES.map(([, name], i) => [`${day}/${name}`, { content: `file ${i}`, mtime: when }]),
    ),
  );
  const dayDir = Buffer.from(path.join(tree.root, day));
  await mkdir(Buffer.concat([dayDir, Buffer.from('/raw')]));
  for (const [i, [, raw]] of RAW.entries()) {
    const file = Buffer.concat([dayDir, Buffer.from('/raw/'), raw]);
    await writeFile(file, `raw ${i}`);
    await utimes(file, new Date(when), new Date(when));
  }
  bucket = `names-${randomBytes(5).toString('hex')}`;
  await client.createBucket(bucket);
  // lookbackCheck 'list': the second sync must list the day again, however fast it follows
  const cwd = await writeConfig({
    source: tree.root,
    bucket,
    endpoint,
    extra: "lookbackCheck: 'list',",
  });
  first = await runCli(['sync'], { cwd });
  second = await runCli(['sync', '--json'], { cwd });
  keys = await client.keys(bucket).catch((e) => {
    throw new Error(
      `listing failed after sync exit ${first.code}/${second.code}: ` +
        `${first.stdout}\n${first.stderr}\n${second.stdout.slice(-2000)}\n${second.stderr}`,
      { cause: e },
    );
  });
}, 120_000);

afterAll(async () => {
  client.destroy();
  await tree.cleanup();
});

describe('file names', () => {
  it('the sync of every name ends with exit 0 and no error output', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(keys).toHaveLength(NAMES.length + RAW.length);
  });

  it('a second sync finds every object present (the names survive listing)', () => {
    expect(second.code).toBe(0);
    const events = second.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    // The local server ignores `encoding-type=url` and sends keys raw in XML, where a carriage
    // return is read back as a line feed: that one name looks absent and is uploaded again
    // (never lost). Real S3 encodes the keys, and recsync decodes them.
    const again = events
      .filter((e) => e.event === 'file' && e.outcome === 'uploaded')
      .map((e) => e.path);
    expect(again).toEqual([`${day}/carriage\rreturn.wav`]);
    expect(events.at(-1).counts.present.files).toBe(NAMES.length + RAW.length - 1);
  });

  it.each(NAMES.map(([what, name], i) => [what, name, i] as const))(
    '%s: lands under its own name, byte-exact',
    async (_what, name, i) => {
      const key = `${day}/${name}`;
      if (!name.includes('\r')) expect(keys).toContain(key); // see the second sync above
      expect((await client.get(bucket, key)).toString()).toBe(`file ${i}`);
    },
  );

  it.each(RAW.map(([what, raw], i) => [what, raw, i] as const))(
    'not valid UTF-8, %s: U+FFFD and a hash in the key, the raw name in metadata',
    async (_what, raw, i) => {
      const rawPath = Buffer.concat([Buffer.from(`${day}/raw/`), raw]).toString('base64');
      const matches = [];
      for (const key of keys.filter((k) => k.startsWith(`${day}/raw/`))) {
        if ((await client.head(bucket, key)).metadata['recsync-raw-path'] === rawPath)
          matches.push(key);
      }
      expect(matches).toHaveLength(1);
      expect(matches[0]).toMatch(/\uFFFD.*~[0-9a-f]{8}/);
      expect((await client.get(bucket, matches[0])).toString()).toBe(`raw ${i}`);
    },
  );
});
