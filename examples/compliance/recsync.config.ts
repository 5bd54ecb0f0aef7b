/**
 * Call recordings kept for compliance: write-once objects, retained 7 years from the day they
 * were recorded (the date folder), encrypted with a KMS key, with a checksum the store verifies,
 * and an audit manifest per run kept in the bucket too. The bucket must have been created with
 * Object Lock enabled (recsync refuses one without it before uploading anything, exit 4).
 * See the README's Compliance section for what each setting guarantees.
 */
import { defineConfig } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';
import { mimeTypes } from '@recsync/plugin-mime-types';

export default defineConfig({
  plugins: [mimeTypes()],
  jobs: {
    recordings: {
      source: '/srv/recordings',
      target: {
        bucket: 'call-recordings-locked',
        region: 'eu-central-1',
        storageClass: 'STANDARD_IA',
        checksum: 'CRC32C',
        noOverwrite: true,
        objectLock: { mode: 'COMPLIANCE', retain: '7y', from: 'partition' },
        sse: { type: 'aws:kms', keyId: 'alias/call-recordings', bucketKey: true },
        manifest: { prefix: '_recsync/manifests/', keep: 400 },
      },
      strategy: dateFolders({
        layout: '{yyyy}/{MM}/{dd}',
        timezone: 'Europe/Berlin',
        lookback: 2,
        grace: '1h',
      }),
      filters: { include: ['**/*.wav', '**/*.opus'], settle: '10m' },
    },
  },
});
