// A call recorder (FreeSWITCH or Asterisk) appends every finished recording to a journal with
// ./recsync-journal-hook.sh; each `recsync sync` (cron, systemd timer) then uploads exactly the
// recordings written since the last run, without walking the archive.
import { defineConfig } from '@recsync/framework';
import { journal } from '@recsync/strategy-journal';

export default defineConfig({
  stateDir: '/var/lib/recsync',
  jobs: {
    recordings: {
      source: '/var/lib/freeswitch/recordings',
      target: { bucket: 'call-recording-backup', storageClass: 'STANDARD_IA' },
      strategy: journal({
        // Rotated by logrotate with `create` (rename) and `delaycompress`: see ./logrotate.conf.
        path: '/var/lib/recsync/journal/written.log',
        // Entries whose file is not there are retried for this long, then reported missing.
        missingTimeout: '7d',
      }),
      // The hook runs when the recording is closed: no settle time is needed.
      filters: { include: ['**/*.wav', '**/*.mp3'], settle: 0 },
      upload: { concurrency: 16 },
    },
  },
});
