/**
 * What an S3 error means for the run: retry it, give up on this file, or stop the run
 * because the target itself is unusable (credentials, bucket, endpoint: exit 4).
 *
 * Whether an error is transient or throttling is the SDK's own judgement
 * (`@smithy/core/retry`: the classification its retry strategy uses), so a request and a file
 * are retried for the same reasons. Who retries what is explained in ../limits.ts.
 */
import { STATUS_CODES } from 'node:http';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { SdkError } from '@smithy/types';
import { describeError, isRecsyncError, RecsyncError, type ErrorCode } from '../errors.js';
import type { Connection } from './connection.js';

export type ErrorKind = 'retryable' | 'file' | 'fatal';

const AUTH = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AccessDenied',
  'AllAccessDisabled',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'AccountProblem',
]);
const BUCKET = new Set([
  'NoSuchBucket',
  'InvalidBucketName',
  'PermanentRedirect',
  'IllegalLocationConstraintException',
]);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);
/**
 * Answers no request retry can fix, where sending the file again can: the body arrived damaged
 * (`BadDigest`); the multipart upload is gone (`NoSuchUpload`: a retried Complete whose first try
 * succeeded unseen); the request was signed with a clock the SDK has corrected since.
 */
const RESEND = new Set(['BadDigest', 'NoSuchUpload', 'RequestTimeTooSkewed']);

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
  if (isRecsyncError(error))
    return error.errorClass === 'fatal'
      ? { kind: 'fatal', code: error.code }
      : { kind: 'file', code: error.code };
  const e = (error ?? {}) as SdkLikeError;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const net = networkCode(e);
  if (AUTH.has(name) || status === 401 || (status === 403 && name !== 'RequestTimeTooSkewed'))
    return { kind: 'fatal', code: 'E_TARGET_AUTH' };
  if (BUCKET.has(name) || (status === 301 && !name))
    return { kind: 'fatal', code: 'E_TARGET_BUCKET' };
  if (net && UNREACHABLE.has(net)) return { kind: 'fatal', code: 'E_TARGET_UNREACHABLE' };
  if (
    name === 'CredentialsProviderError' ||
    /credential/i.test(name) ||
    /Could not load credentials/i.test(e.message ?? '')
  ) {
    return { kind: 'fatal', code: 'E_TARGET_AUTH' };
  }
  if (/Region is missing/i.test(e.message ?? '')) return { kind: 'fatal', code: 'E_TARGET' };
  const sdk = e as SdkError;
  if (RESEND.has(name) || isThrottlingError(sdk) || isTransientError(sdk) || isServerError(sdk))
    return { kind: 'retryable' };
  return { kind: 'file' };
}

/** The store asks to slow down (503 SlowDown, 429): the request was fine, the rate was not. */
export function isThrottling(error: unknown): boolean {
  return error !== null && typeof error === 'object' && isThrottlingError(error as SdkError);
}

/**
 * The SDK already retried the request that failed (it tried it more than once): the engine does
 * not try the file again for it, unless the answer asks for the file to be sent again.
 */
export function retriedBySdk(error: unknown): boolean {
  const e = (error ?? {}) as SdkLikeError & { $metadata?: { attempts?: number } };
  return (e.$metadata?.attempts ?? 1) > 1 && !RESEND.has(e.name ?? '');
}

/** A fatal target error with what to do about it. */
export function targetError(
  error: unknown,
  context: { bucket: string; endpoint?: string; action: string; connection?: Connection },
): RecsyncError {
  if (isRecsyncError(error)) return error;
  const { code = 'E_TARGET' } = classifyS3Error(error);
  const e = error as SdkLikeError;
  const plain = describeS3Error(error);
  const what = plain.startsWith('the store answered HTTP')
    ? plain
    : e.name && e.name !== 'Error'
      ? `${e.name}: ${e.message}`
      : (e.message ?? String(error));
  const endpoint = context.connection?.endpoint;
  const at = endpoint
    ? ` at ${endpoint.value} (from ${endpoint.from})`
    : context.endpoint
      ? ` at ${context.endpoint}`
      : '';
  const net = networkCode(e);
  return new RecsyncError(code, {
    message:
      `${context.action} failed on bucket "${context.bucket}"${at}: ` +
      `${what}${net && !what.includes(net) ? ` (${net})` : ''}`,
    hint: hintFor(code, e, context),
    cause: error,
  });
}

const NOT_S3 = /XML parse error|Deserialization error|is not expected|Unexpected (token|end)/i;

/**
 * One line for an S3 error. When the store (or a proxy in front of it) answered something that
 * is not an S3 error document — an HTML page, plain text, nothing — the SDK reports an XML parse
 * error or "Unknown"; this says what really came back instead: the HTTP status, what the body
 * looked like, and for a 413 what to change.
 */
export function describeS3Error(error: unknown): string {
  const e = (error ?? {}) as SdkLikeError & {
    $response?: { statusCode?: number; body?: unknown };
    $responseBodyText?: unknown;
  };
  const status = e.$metadata?.httpStatusCode ?? e.$response?.statusCode;
  const unparsed =
    NOT_S3.test(e.message ?? '') ||
    e.name === 'Unknown' ||
    e.name === 'UnknownError' ||
    (e.name === 'Error' && status !== undefined);
  if (status === undefined || !unparsed) return describeError(error);
  const text = [e.$responseBodyText, e.$response?.body].find(
    (b): b is string => typeof b === 'string',
  );
  const looksHtml = /<html|<!doctype|<body|<h1/i.test(text ?? e.message ?? '');
  const snippet = text
    ? text
        .replace(/<[^>]*>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim()
        .slice(0, 120)
    : '';
  const what = looksHtml
    ? 'an HTML page'
    : text
      ? 'a body that is not an S3 error'
      : 'no S3 error document';
  const advice =
    status === 413
      ? ': the request is larger than the store or a proxy in front of it accepts; lower ' +
        'upload.partSize and upload.multipartThreshold'
      : '';
  return (
    `the store answered HTTP ${status} ${STATUS_CODES[status] ?? ''} with ` +
    `${what}${snippet ? ` ("${snippet}")` : ''} instead of an S3 answer${advice}`
  ).replace(/ {2,}/g, ' ');
}

function hintFor(
  code: ErrorCode,
  e: SdkLikeError,
  context: { bucket: string; endpoint?: string; connection?: Connection },
): string {
  const endpoint = context.connection?.endpoint?.value ?? context.endpoint;
  const host =
    (e as { hostname?: string }).hostname ??
    (e.cause as { hostname?: string } | undefined)?.hostname ??
    e.message ??
    '';
  if (networkCode(e) === 'ENOTFOUND' && endpoint && host.includes(`${context.bucket}.`)) {
    // Virtual-hosted addressing puts the bucket into the host name, which few private stores serve.
    return (
      `the bucket name was put into the host name (${context.bucket}.…): set ` +
      'target.forcePathStyle: true, which most S3-compatible stores need'
    );
  }
  const status = e.$metadata?.httpStatusCode;
  const hints: Partial<Record<ErrorCode, string>> = {
    E_TARGET_AUTH:
      'check the credentials (AWS_PROFILE / target.profile, AWS_ACCESS_KEY_ID, SSO login) ' +
      'and the bucket policy',
    E_TARGET_BUCKET: 'check target.bucket and target.region; recsync never creates buckets',
    E_TARGET_UNREACHABLE:
      'check target.endpoint and the network (HTTPS_PROXY, NO_PROXY, target.caBundle); the ' +
      'next run retries what is not done',
  };
  if (hints[code]) return hints[code]!;
  if (/region/i.test(e.message ?? ''))
    return "set target.region (or AWS_REGION) to the bucket's region";
  if (status !== undefined && status >= 500)
    return (
      `the store answered HTTP ${status} (a server-side failure): nothing was changed; check ` +
      `the store's health and retry`
    );
  return (
    'check the target settings (endpoint, region, forcePathStyle, checksum mode); nothing ' +
    'was changed'
  );
}
