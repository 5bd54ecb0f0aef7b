// The commands compared, each with how to reset before it and how to check it did the job.
// A case's time only counts when its check passes.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const RECSYNC = path.join(here, '..', '..', 'packages', 'cli', 'bin', 'run.js');
/**
 * aws-cli: Debian's, or the real script behind a pyenv shim (the shim's own bash would count as
 * aws's CPU).
 */
export const AWS = findAws();
export const RCLONE = ['/usr/bin/rclone', '/usr/local/bin/rclone'].find((p) => existsSync(p));

/** `--profile DIR` (bench/run.mjs): recsync's processes write CPU profiles there. */
const profileArgs = () =>
  process.env.RECSYNC_BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.RECSYNC_BENCH_PROFILE}`]
    : [];

function findAws() {
  if (existsSync('/usr/bin/aws')) return '/usr/bin/aws';
  for (const [cmd, args] of [
    ['pyenv', ['which', 'aws']],
    ['sh', ['-c', 'command -v aws']],
  ]) {
    try {
      const found = execFileSync(cmd, args, {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .trim()
        .split('\n')[0];
      if (found && existsSync(found)) return found;
    } catch {
      // not this way
    }
  }
  return undefined;
}

/**
 * ctx: { root, newDay, newFiles, bucket, endpoint, configDir, marker, newDayStart, env }
 * Each case: { name, label, kind: 'plan'|'discover'|'sync', available, command(ctx) → [cmd, args,
 * env?], check(ctx, out) → error|undefined }
 */
export function cases() {
  const list = [
    {
      name: 'recsync-plan',
      label: 'recsync plan (date folders)',
      kind: 'plan',
      available: true,
      command: (ctx) => [
        process.execPath,
        [...profileArgs(), RECSYNC, 'plan', '--json', '--config', ctx.configFile],
      ],
      check: (ctx, out) => {
        const doc = JSON.parse(out);
        const n = doc.jobs[0].totals.upload.files;
        return n === ctx.newFiles ? undefined : `plan would upload ${n}, expected ${ctx.newFiles}`;
      },
    },
    {
      name: 'recsync-sync',
      label: 'recsync sync (date folders)',
      kind: 'sync',
      available: true,
      command: (ctx) => [
        process.execPath,
        [...profileArgs(), RECSYNC, 'sync', '--config', ctx.configFile],
      ],
      verifyUpload: true,
    },
    {
      name: 'find',
      label: 'find ROOT -newer MARKER -type f',
      kind: 'discover',
      available: true,
      command: (ctx) => ['sh', ['-c', `find "${ctx.root}" -newer "${ctx.marker}" -type f | wc -l`]],
      check: (ctx, out) =>
        Number(out.trim()) === ctx.newFiles
          ? undefined
          : `find printed ${out.trim()} files, expected ${ctx.newFiles}`,
    },
    {
      name: 'aws-dryrun',
      label: 'aws s3 sync ROOT --dryrun',
      kind: 'plan',
      available: Boolean(AWS),
      command: (ctx) => [
        AWS,
        [
          's3',
          'sync',
          ctx.root,
          `s3://${ctx.bucket}/`,
          '--dryrun',
          '--endpoint-url',
          ctx.endpoint,
          '--only-show-errors',
        ],
      ],
      check: (ctx, out) => {
        const n = out.split('\n').filter((l) => l.startsWith('(dryrun) upload:')).length;
        return n === ctx.newFiles
          ? undefined
          : `dry run listed ${n} uploads, expected ${ctx.newFiles}`;
      },
      slow: true,
    },
    {
      name: 'aws-sync',
      label: 'aws s3 sync ROOT',
      kind: 'sync',
      available: Boolean(AWS),
      command: (ctx) => [
        AWS,
        [
          's3',
          'sync',
          ctx.root,
          `s3://${ctx.bucket}/`,
          '--endpoint-url',
          ctx.endpoint,
          '--only-show-errors',
        ],
      ],
      verifyUpload: true,
      slow: true,
    },
    {
      name: 'aws-include',
      label: "aws s3 sync ROOT --exclude '*' --include 'DAY/*'",
      kind: 'sync',
      available: Boolean(AWS),
      command: (ctx) => [
        AWS,
        [
          's3',
          'sync',
          ctx.root,
          `s3://${ctx.bucket}/`,
          '--exclude',
          '*',
          '--include',
          `${ctx.newDay}/*`,
          '--endpoint-url',
          ctx.endpoint,
          '--only-show-errors',
        ],
      ],
      verifyUpload: true,
      slow: true,
    },
    {
      name: 'aws-day',
      label: 'aws s3 sync ROOT/DAY s3://bucket/DAY',
      kind: 'sync',
      available: Boolean(AWS),
      command: (ctx) => [
        AWS,
        [
          's3',
          'sync',
          path.join(ctx.root, ctx.newDay),
          `s3://${ctx.bucket}/${ctx.newDay}/`,
          '--endpoint-url',
          ctx.endpoint,
          '--only-show-errors',
        ],
      ],
      verifyUpload: true,
    },
    {
      name: 'rclone',
      label: 'rclone copy ROOT --max-age --no-traverse',
      kind: 'sync',
      available: Boolean(RCLONE),
      command: (ctx) => [
        RCLONE,
        [
          'copy',
          ctx.root,
          `bench:${ctx.bucket}`,
          '--max-age',
          `${Math.ceil((Date.now() - ctx.newDayStart) / 1000) + 60}s`,
          '--no-traverse',
          '--transfers',
          '32',
          '--checkers',
          '32',
          '-q',
        ],
        rcloneEnv(ctx),
      ],
      verifyUpload: true,
    },
    {
      name: 'sdk-loop',
      label: 'bare SDK PutObject loop (64 in flight)',
      kind: 'sync',
      available: true,
      command: (ctx) => [
        process.execPath,
        [
          ...profileArgs(),
          path.join(here, '..', 'sdk-loop.mjs'),
          path.join(ctx.root, ctx.newDay),
          `${ctx.newDay}/`,
          ctx.bucket,
          ctx.endpoint,
          '64',
        ],
      ],
      verifyUpload: true,
    },
  ];
  return list;
}

/**
 * Large files: the new day's few big files, by recsync and the two peers that do multipart well.
 */
export function largeCases() {
  const byName = new Map(cases().map((c) => [c.name, c]));
  return [
    byName.get('recsync-sync'),
    byName.get('aws-day'),
    {
      name: 'rclone-day',
      label: 'rclone copy ROOT/DAY bench:bucket/DAY',
      kind: 'sync',
      available: Boolean(RCLONE),
      command: (ctx) => [
        RCLONE,
        [
          'copy',
          path.join(ctx.root, ctx.newDay),
          `bench:${ctx.bucket}/${ctx.newDay}`,
          '--no-traverse',
          '-q',
        ],
        rcloneEnv(ctx),
      ],
      verifyUpload: true,
    },
  ];
}

function rcloneEnv(ctx) {
  return {
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ENDPOINT: ctx.endpoint,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: 'S3RVER',
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: 'S3RVER',
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
    AWS_CA_BUNDLE: '',
  };
}
