// Cloudflare R2. Endpoint per account (replace ACCOUNT_ID; EU-jurisdiction buckets use
// ACCOUNT_ID.eu.r2.cloudflarestorage.com). Region "auto". Storage classes: STANDARD and
// STANDARD_IA (Infrequent Access). R2 answers some requests differently from AWS when the SDK
// sends aws-chunked bodies, so the checksum modes stay `when_required` (the default with an
// endpoint, written out here). An API token with "Object Read & Write" on the bucket is enough
// for sync; put its key id and secret in the "r2" profile.
import { defineConfig } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';

export default defineConfig({
  jobs: {
    recordings: {
      source: '/srv/recordings',
      target: {
        bucket: 'recordings-backup',
        endpoint: 'https://ACCOUNT_ID.r2.cloudflarestorage.com',
        region: 'auto',
        forcePathStyle: true,
        profile: 'r2',
        requestChecksumCalculation: 'when_required',
        responseChecksumValidation: 'when_required',
        storageClass: 'STANDARD_IA',
      },
      strategy: dateFolders({ layout: '{yyyy}/{MM}/{dd}', timezone: 'Europe/Berlin', lookback: 2 }),
    },
  },
});
