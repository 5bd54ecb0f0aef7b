/**
 * What an S3 error means for the run: retry it, give up on this file, or stop the run
 * because the target itself is unusable (credentials, bucket, endpoint: exit 4).
 */
import { isRecsyncError, RecsyncError, type ErrorCode } from '../errors.js';

export type ErrorKind = 'retryable' | 'file' | 'fatal';

const AUTH = new Set([
  'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'TokenRefreshRequired',
  'AccessDenied', 'AllAccessDisabled', 'AuthorizationHeaderMalformed', 'CredentialsProviderError',
  'InvalidClientTokenId', 'UnrecognizedClientException', 'AccountProblem',
]);
const BUCKET = new Set(['NoSuchBucket', 'InvalidBucketName', 'PermanentRedirect', 'IllegalLocationConstraintException']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);
const TRANSIENT = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'TimeoutError', 'RequestTimeout', 'RequestTimeTooSkewed', 'SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded', 'InternalError', 'ServiceUnavailable', 'BadDigest']);

interface SdkLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  cause?: unknown;
}

function networkCode(error: SdkLikeError): string | undefined {
  const nested = error.cause as SdkLikeError | undefined;
  return error.code ?? nested?.code;
}

export function classifyS3Error(error: unknown): { kind: ErrorKind; code?: ErrorCode } {
  // Already classified (a lazily connected target's preflight): keep its verdict.
  if (isRecsyncError(error)) return error.errorClass === 'fatal' ? { kind: 'fatal', code: error.code } : { kind: 'file', code: error.code };
  const e = (error ?? {}) as SdkLikeError;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const net = networkCode(e);
  if (AUTH.has(name) || status === 401 || (status === 403 && name !== 'RequestTimeTooSkewed')) return { kind: 'fatal', code: 'E_TARGET_AUTH' };
  if (BUCKET.has(name) || (status === 301 && !name)) return { kind: 'fatal', code: 'E_TARGET_BUCKET' };
  if (net && UNREACHABLE.has(net)) return { kind: 'fatal', code: 'E_TARGET_UNREACHABLE' };
  if (name === 'CredentialsProviderError' || /credential/i.test(name) || /Could not load credentials/i.test(e.message ?? '')) {
    return { kind: 'fatal', code: 'E_TARGET_AUTH' };
  }
  if (/Region is missing/i.test(e.message ?? '')) return { kind: 'fatal', code: 'E_TARGET' };
  if (TRANSIENT.has(name) || (net && TRANSIENT.has(net)) || e.$retryable || status === 429 || (status !== undefined && status >= 500)) {
    return { kind: 'retryable' };
  }
  return { kind: 'file' };
}

/** A fatal target error with what to do about it. */
export function targetError(error: unknown, context: { bucket: string; endpoint?: string; action: string }): RecsyncError {
  if (isRecsyncError(error)) return error;
  const { code = 'E_TARGET' } = classifyS3Error(error);
  const e = error as SdkLikeError;
  const what = e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : (e.message ?? String(error));
  const where = `bucket "${context.bucket}"${context.endpoint ? ` at ${context.endpoint}` : ''}`;
  const hints: Record<string, string> = {
    E_TARGET_AUTH: 'check the credentials (AWS_PROFILE / target.profile, AWS_ACCESS_KEY_ID, SSO login) and the bucket policy',
    E_TARGET_BUCKET: 'check target.bucket and target.region; recsync never creates buckets',
    E_TARGET_UNREACHABLE: 'check target.endpoint and the network; the next run retries what is not done',
    E_TARGET: 'set target.region (or AWS_REGION) and check the target settings',
  };
  return new RecsyncError(code, {
    message: `${context.action} failed on ${where}: ${what}${networkCode(e) && !what.includes(networkCode(e)!) ? ` (${networkCode(e)})` : ''}`,
    hint: hints[code] ?? hints.E_TARGET,
    cause: error,
  });
}
