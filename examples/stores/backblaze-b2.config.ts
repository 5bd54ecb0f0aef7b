// Backblaze B2 (S3-compatible API). The endpoint names the bucket's region
// (s3.<region>.backblazeb2.com, shown on the bucket's page); the region is that same
// identifier. Use an application key limited to the bucket, in the "b2" profile. B2 has a
// single storage class: leave storageClass unset. If the store refuses the checksum header
// (HTTP 400 on every upload), set `checksum: 'none'`: objects then carry no checksum.
import { defineConfig } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';

export default defineConfig({
  jobs: {
    recordings: {
      source: '/srv/recordings',
      target: {
        bucket: 'recordings-backup',
        endpoint: 'https://s3.us-west-004.backblazeb2.com',
        region: 'us-west-004',
        forcePathStyle: true,
        profile: 'b2',
        requestChecksumCalculation: 'when_required',
        responseChecksumValidation: 'when_required',
      },
      strategy: dateFolders({ layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC' }),
      // B2 charges by transaction class, not bandwidth; a home or office uplink may still want a
      // limit.
      upload: { maxBandwidth: '20MiB/s' },
    },
  },
});
