/**
 * Where a job's S3 requests go, resolved once per target the way the AWS SDK and aws-cli do,
 * with the place each value came from (shown by `plan`/`sync`, and in error messages).
 *
 * Precedence (first wins):
 * - profile: `target.profile`, `AWS_PROFILE`, else `default` (a named profile that is in neither
 *   shared file is an error, exit 2; a missing `default` is fine: credentials may come from the
 *   environment or an instance role).
 * - endpoint: `target.endpoint`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's
 *   `services` section (`s3 = endpoint_url = …`), the profile's `endpoint_url`, else AWS.
 *   `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` (or the profile's
 *   `ignore_configured_endpoint_urls`) skips the environment and profile, as in the SDK.
 * - region: `target.region`, `AWS_REGION`, `AWS_DEFAULT_REGION` (aws-cli's variable, which the
 *   JavaScript SDK alone ignores), the profile's `region`, `us-east-1` for a custom endpoint
 *   (most S3-compatible stores accept any region); with none of these, an error (exit 2).
 * - CA bundle: `target.caBundle`, `AWS_CA_BUNDLE`, the profile's `ca_bundle` (as aws-cli).
 * - path-style addressing: `target.forcePathStyle`, the profile's `s3 = addressing_style = path`.
 */
import { RecsyncError } from '../errors.js';
import type { TargetConfig } from '../config/schema.js';
import { loadCaBundle } from './ca-bundle.js';

/** A resolved value and where it came from (`target.region`, `AWS_REGION`, `profile "dev"` …). */
export interface Setting<T = string> {
  readonly value: T;
  readonly from: string;
}

export interface Connection {
  /** Absent: AWS's own endpoints for the region. */
  readonly endpoint?: Setting;
  readonly region: Setting;
  /** The named profile, when one was named (`target.profile` or `AWS_PROFILE`). */
  readonly profile?: Setting;
  /** Path of a PEM bundle of extra trusted CAs. */
  readonly caBundle?: Setting;
  readonly forcePathStyle?: Setting<boolean>;
}

type Env = Readonly<Record<string, string | undefined>>;
type Section = Readonly<Record<string, string | undefined>>;

export interface SharedFiles {
  readonly configFile: Readonly<Record<string, Section>>;
  readonly credentialsFile: Readonly<Record<string, Section>>;
}

const cache = new WeakMap<TargetConfig, Promise<Connection>>();

/**
 * Resolves the target's connection once per target object (env, shared files, CA bundle read once).
 */
export function connectionOf(target: TargetConfig): Promise<Connection> {
  let resolved = cache.get(target);
  if (!resolved) {
    // Imported here: commands and plans that never connect need not load it.
    resolved = import('@smithy/core/config')
      .then(({ loadSharedConfigFiles }) => loadSharedConfigFiles({ ignoreCache: true }))
      .then((files) => resolveConnection(target, process.env, files))
      .then(async (connection) => {
        await loadCaBundle(connection);
        return connection;
      });
    cache.set(target, resolved);
  }
  return resolved;
}

/** Pure resolution from the target settings, an environment and the parsed shared files. */
export function resolveConnection(target: TargetConfig, env: Env, files: SharedFiles): Connection {
  const named = pick([
    [target.profile, 'target.profile'],
    [env.AWS_PROFILE, 'AWS_PROFILE'],
  ]);
  const profileName = named?.value ?? 'default';
  const config = files.configFile[profileName];
  const credentials = files.credentialsFile[profileName];
  if (named && !config && !credentials) {
    throw new RecsyncError('E_CONFIG_INVALID', {
      message:
        `the AWS profile "${named.value}" (from ${named.from}) is in neither ` +
        `${env.AWS_CONFIG_FILE ?? '~/.aws/config'} ` +
        `nor ${env.AWS_SHARED_CREDENTIALS_FILE ?? '~/.aws/credentials'}`,
      hint:
        `add a [profile ${named.value}] section (aws configure --profile ${named.value}), or ` +
        `fix the name in ${named.from}`,
    });
  }
  const profile: Section = { ...credentials, ...config };
  const where = `profile "${profileName}"`;
  const endpoint = resolveEndpoint(target, env, profile, files, where);
  const region = pick([
    [target.region, 'target.region'],
    [env.AWS_REGION, 'AWS_REGION'],
    [env.AWS_DEFAULT_REGION, 'AWS_DEFAULT_REGION'],
    [profile.region, where],
    [endpoint ? 'us-east-1' : undefined, 'default for a custom endpoint'],
  ]);
  if (!region) {
    throw new RecsyncError('E_CONFIG_INVALID', {
      message:
        `no region for bucket "${target.bucket}": ` +
        `none in target.region, AWS_REGION, AWS_DEFAULT_REGION or ${where}`,
      hint: 'set target.region to the bucket\'s region (e.g. "eu-west-1"), or AWS_REGION',
    });
  }
  const caBundle = pick([
    [target.caBundle, 'target.caBundle'],
    [env.AWS_CA_BUNDLE, 'AWS_CA_BUNDLE'],
    [profile.ca_bundle, where],
  ]);
  const pathStyle: Setting<boolean> | undefined =
    target.forcePathStyle !== undefined
      ? { value: target.forcePathStyle, from: 'target.forcePathStyle' }
      : profile['s3.addressing_style'] === 'path'
        ? { value: true, from: `${where} (s3 addressing_style)` }
        : undefined;
  return {
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(named ? { profile: named } : {}),
    ...(caBundle ? { caBundle } : {}),
    ...(pathStyle ? { forcePathStyle: pathStyle } : {}),
  };
}

function resolveEndpoint(
  target: TargetConfig,
  env: Env,
  profile: Section,
  files: SharedFiles,
  where: string,
): Setting | undefined {
  if (target.endpoint) return { value: target.endpoint, from: 'target.endpoint' };
  const ignoreSetting =
    env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? profile.ignore_configured_endpoint_urls ?? '';
  const ignore = ignoreSetting.toLowerCase() === 'true';
  if (ignore) return undefined;
  const services = profile.services ? files.configFile[`services.${profile.services}`] : undefined;
  const endpoint = pick([
    [env.AWS_ENDPOINT_URL_S3, 'AWS_ENDPOINT_URL_S3'],
    [env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL'],
    [services?.['s3.endpoint_url'], `${where} (services "${profile.services}")`],
    [profile.endpoint_url, where],
  ]);
  if (endpoint && !/^https?:$/.test(URL.parse(endpoint.value)?.protocol ?? '')) {
    throw new RecsyncError('E_CONFIG_INVALID', {
      message:
        `the S3 endpoint ${JSON.stringify(endpoint.value)} from ${endpoint.from} is not an ` +
        'http(s) URL',
      hint: 'write it with its scheme, e.g. "https://s3.example.com" or "http://127.0.0.1:9000"',
    });
  }
  return endpoint;
}

function pick(candidates: [string | undefined, string][]): Setting | undefined {
  for (const [value, from] of candidates)
    if (value && value.trim() !== '') return { value: value.trim(), from };
  return undefined;
}

/** One line for humans: `endpoint http://… (AWS_ENDPOINT_URL_S3), region us-east-1 (…)`. */
export function describeConnection(connection: Connection): string {
  const parts = [
    connection.endpoint
      ? `endpoint ${connection.endpoint.value} (${connection.endpoint.from})`
      : 'endpoint AWS',
    `region ${connection.region.value} (${connection.region.from})`,
  ];
  if (connection.profile)
    parts.push(`profile ${connection.profile.value} (${connection.profile.from})`);
  const { caBundle } = connection;
  if (caBundle && !connection.endpoint?.value.startsWith('http:'))
    parts.push(`CA bundle ${caBundle.value} (${caBundle.from})`);
  return parts.join(', ');
}
