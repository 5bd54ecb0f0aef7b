// An example hook plugin for call recordings named `YYYYMMDD_CALLID_AGENT.ext`
// (`20261125_000123_agent042.wav`):
//
// - beforeUpload: adds the call's date, id and agent as object metadata
// (`x-amz-meta-call-date: 2026-11-25`, `x-amz-meta-call-id: 000123`, `x-amz-meta-agent: agent042`),
//   so a bucket inventory or a restore can find recordings by call without a database;
// - done: when a sync ends with a non-zero exit code (files pending, a fatal target error, an
//   interruption), POSTs a JSON summary to a webhook (Slack-compatible: it has a `text` field).
//   `runFailed` (which fires just before `done` when the run stopped on a fatal error) supplies
//   the error. A webhook that cannot be reached is a warning; it never changes the run's outcome.
//
// Use it from recsync.config.ts:   plugins: [callMetadata({ webhook: 'https://hooks.example.com/recsync' })]
// or from JSON/YAML: "plugins": [{ "use": "recsync-plugin-call-metadata", "with": { "webhook": "…"
// } }]
import path from 'node:path';
import { definePlugin, durationSchema, z } from '@recsync/framework';

const NAME = 'call-metadata';
const CALL_NAME = /^(\d{4})(\d{2})(\d{2})_(\d+)_([A-Za-z]+\d+)\.[A-Za-z0-9]+$/;

const optionsSchema = z.strictObject({
  /** URL to POST to when a sync ends with a non-zero exit code. */
  webhook: z
    .url({ message: 'expected a URL such as "https://hooks.example.com/recsync"' })
    .optional(),
  /** How long one webhook request may take. */
  timeout: durationSchema.prefault('10s'),
});

/**
 * Reads `20261125_000123_agent042.wav` as `{ date: '2026-11-25', callId: '000123', agent:
 * 'agent042' }`;
 * undefined for names that do not follow the pattern or carry an impossible date.
 */
export function parseCallName(fileName) {
  const match = CALL_NAME.exec(fileName);
  if (!match) return undefined;
  const [, year, month, day, callId, agent] = match;
  const date = `${year}-${month}-${day}`;
  const parsed = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== date)
    return undefined;
  return { date, callId, agent };
}

export function callMetadata(options = {}) {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw new Error(z.prettifyError(parsed.error).replace(/\n/g, ' '));
  const { webhook, timeout } = parsed.data;
  return definePlugin({
    name: NAME,
    apply(hooks, context) {
      // Called once per attempt, concurrently for different files: pure, no shared state.
      hooks.beforeUpload.tap(NAME, (input, file) => {
        const call = parseCallName(path.posix.basename(file.path));
        if (!call) return input;
        return {
          ...input,
          Metadata: {
            ...input.Metadata,
            'call-date': call.date,
            'call-id': call.callId,
            agent: call.agent,
          },
        };
      });
      if (!webhook) return;
      let failure;
      hooks.runFailed.tap(NAME, (error) => {
        failure = error.toJSON();
      });
      hooks.done.tapPromise(NAME, async (stats) => {
        if (stats.exitCode === 0) return;
        const error = failure ?? stats.error;
        try {
          await post(webhook, report(context.job, stats, error), timeout);
        } catch (problem) {
          hooks.warning.call({
            job: context.job,
            code: 'W_WEBHOOK',
            message: `could not notify ${webhook}: ${problem.message}`,
          });
        }
      });
    },
  });
}

function report(job, stats, error) {
  const c = stats.counts;
  const what = error
    ? `${error.code}: ${error.message}`
    : `${c.failed.files} file(s) failed and are pending`;
  return {
    text: `recsync job ${job} exited ${stats.exitCode}: ${what}`,
    job,
    exitCode: stats.exitCode,
    interrupted: stats.interrupted,
    ...(error ? { error } : {}),
    uploaded: c.uploaded.files,
    failed: c.failed.files,
    pending: stats.pending,
    startedAt: stats.startedAt,
    finishedAt: stats.finishedAt,
  };
}

async function post(url, body, timeoutMs) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  await response.arrayBuffer(); // release the connection
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
}

export default callMetadata;
