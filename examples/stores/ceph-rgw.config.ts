// Ceph Object Gateway (RGW). Path-style addressing (virtual-hosted needs rgw_dns_name and
// wildcard DNS). The region is the zonegroup's api_name ("default" on a fresh cluster).
// Flexible checksums: the SDK's default aws-chunked uploads are off whenever an endpoint is set
// (`when_required`), which older gateways need; RGW releases before Squid (19) do not verify
// x-amz-checksum-* headers: the checksum is then only recorded in the object's metadata.
import { defineConfig } from '@recsync/framework';
import { mtimeCutoff } from '@recsync/strategy-mtime';

export default defineConfig({
  jobs: {
    cameras: {
      source: '/srv/cctv',
      target: {
        bucket: 'cctv-archive',
        endpoint: 'https://rgw.example.internal',
        forcePathStyle: true,
        region: 'default',
        profile: 'ceph',
        requestChecksumCalculation: 'when_required',
        responseChecksumValidation: 'when_required',
      },
      strategy: mtimeCutoff({}),
      upload: { concurrency: 16, partSize: '16MiB', multipartThreshold: '64MiB' },
    },
  },
});
