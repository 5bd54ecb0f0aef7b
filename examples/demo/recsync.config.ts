// The demo job: a call-recording archive in date folders, backed up to a local S3-compatible
// server. `npm run demo` creates the archive and the server and sets the variables below.
import { defineConfig } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';

const demo = process.env.RECSYNC_DEMO_DIR ?? '.demo';

export default defineConfig({
  stateDir: `${demo}/state`,
  // For Prometheus' node_exporter (textfile collector): rewritten after every sync.
  metrics: { textfile: `${demo}/metrics/recsync.prom` },
  jobs: {
    recordings: {
      source: `${demo}/RECORDINGS`,
      target: {
        bucket: 'call-recording-backup',
        endpoint: process.env.RECSYNC_DEMO_ENDPOINT ?? 'http://127.0.0.1:4568',
        forcePathStyle: true,
      },
      strategy: dateFolders({
        layout: '{yyyy}-{MM}-{dd}',
        timezone: 'UTC',
        lookback: 2,
        grace: '1h',
      }),
      filters: { include: ['**/*.wav'], exclude: ['**/*.tmp'], settle: '2m' },
      upload: { concurrency: 16 },
    },
  },
});
