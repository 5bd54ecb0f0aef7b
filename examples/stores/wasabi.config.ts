// Wasabi. The endpoint names the bucket's region (s3.<region>.wasabisys.com; us-east-1 is
// plain s3.wasabisys.com) and the region must match it. One storage class: leave
// storageClass unset. Wasabi bills a minimum storage duration per object (90 days on
// pay-as-you-go), which suits an append-only archive; recsync never deletes.
import { defineConfig } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';

export default defineConfig({
  jobs: {
    recordings: {
      source: '/srv/recordings',
      target: {
        bucket: 'recordings-backup',
        endpoint: 'https://s3.eu-central-1.wasabisys.com',
        region: 'eu-central-1',
        forcePathStyle: true,
        profile: 'wasabi',
      },
      strategy: dateFolders({
        layout: '{yyyy}-{MM}-{dd}',
        timezone: 'Europe/Amsterdam',
        lookback: 2,
      }),
    },
  },
});
