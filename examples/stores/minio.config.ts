// MinIO (self-hosted). Path-style addressing: MinIO serves buckets under one host name unless
// its domain setting (MINIO_DOMAIN) is configured. Region: MinIO's default, us-east-1, unless
// the server sets another (MINIO_SITE_REGION). Credentials: a profile in ~/.aws/credentials.
import { defineConfig } from '@recsync/framework';
import { dateFolders } from '@recsync/strategy-date';

export default defineConfig({
  jobs: {
    recordings: {
      source: '/srv/recordings',
      target: {
        bucket: 'recordings-backup',
        endpoint: 'https://minio.example.internal:9000',
        forcePathStyle: true,
        region: 'us-east-1',
        profile: 'minio',
        // A server certificate from an internal CA: trust it (or set AWS_CA_BUNDLE).
        caBundle: '/etc/ssl/certs/company-root-ca.pem',
      },
      strategy: dateFolders({ layout: '{yyyy}-{MM}-{dd}', timezone: 'UTC', lookback: 2 }),
    },
  },
});
