/**
 * A fault-injecting HTTP proxy in front of the local S3 server, for what a healthy server never
 * shows: 500 InternalError, 503 SlowDown, 403 auth errors, 400 BadDigest, 404 NoSuchUpload (each
 * with S3's XML
 * error body), connections reset before the request reaches the server or after the server
 * answered, stalls, and slow bodies. Requests that draw no fault are forwarded unchanged, so
 * signatures stay valid. Faults are drawn from a seeded PRNG; every request is recorded with
 * its time, operation, key and the fault it got.
 *
 * Stalls: recsync's S3 client gives up on a connection after 300 s without data
 * (`requestTimeout`), far too long for a test, so a stall holds the request for `stallMs` and
 * then drops the connection, as a load balancer's idle timeout would.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRandom } from './random.js';

export type FaultKind =
  | 'error500'
  | 'slowDown'
  | 'resetBefore'
  | 'resetAfter'
  | 'stall'
  | 'slowBody'
  | 'auth'
  | 'badDigest'
  | 'noSuchUpload';
export const FAULT_KINDS: readonly FaultKind[] = [
  'error500',
  'slowDown',
  'resetBefore',
  'resetAfter',
  'stall',
  'slowBody',
  'auth',
  'badDigest',
  'noSuchUpload',
];

/** The S3 operation of a request (path-style URLs). */
export type S3Op =
  | 'put'
  | 'part'
  | 'create'
  | 'complete'
  | 'abort'
  | 'list'
  | 'bucket'
  | 'head'
  | 'get'
  | 'delete'
  | 'other';

export interface ProxyRequest {
  readonly method: string;
  readonly op: S3Op;
  readonly bucket: string;
  readonly key: string;
  /** performance.now() when the request arrived. */
  readonly at: number;
  fault?: FaultKind;
  status?: number;
}

export interface FaultRule {
  readonly kind: FaultKind;
  /** Probability for each matching request (1: every one). */
  readonly rate: number;
  /** Which requests (default: all). */
  readonly match?: (request: ProxyRequest) => boolean;
  /** Stop after injecting this many. */
  readonly limit?: number;
  /** Error code for `auth` (default InvalidAccessKeyId). */
  readonly code?: 'InvalidAccessKeyId' | 'SignatureDoesNotMatch' | 'AccessDenied';
}

export interface FaultProxyOptions {
  readonly seed: number;
  readonly rules?: readonly FaultRule[];
  /** How long a stalled request is held before its connection is dropped (default 400 ms). */
  readonly stallMs?: number;
  /** Pause between 16 KiB chunks of a slow body (default 15 ms). */
  readonly slowChunkMs?: number;
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly requests: ProxyRequest[];
  /** Faults injected so far, by kind. */
  readonly injected: Record<FaultKind, number>;
  /** Replace the rules (e.g. `[]` for a clean run through the same endpoint). */
  rules: readonly FaultRule[];
  close(): Promise<void>;
}

const ERRORS: Record<
  'error500' | 'slowDown' | 'badDigest' | 'noSuchUpload',
  { status: number; code: string; message: string }
> = {
  error500: {
    status: 500,
    code: 'InternalError',
    message: 'We encountered an internal error. Please try again.',
  },
  slowDown: { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
  // What S3 may answer a retried CompleteMultipartUpload whose first try succeeded.
  noSuchUpload: {
    status: 404,
    code: 'NoSuchUpload',
    message:
      'The specified upload does not exist. The upload ID may be invalid, or the upload ' +
      'may have been aborted or completed.',
  },
  badDigest: {
    status: 400,
    code: 'BadDigest',
    message:
      'The Content-MD5 or checksum value that you specified did not match what the server ' +
      'received.',
  },
};
const AUTH_MESSAGES = {
  InvalidAccessKeyId: 'The AWS Access Key Id you provided does not exist in our records.',
  SignatureDoesNotMatch:
    'The request signature we calculated does not match the signature you provided.',
  AccessDenied: 'Access Denied',
};

export function classifyRequest(
  method: string,
  url: URL,
): { op: S3Op; bucket: string; key: string } {
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = decodeURIComponent(rest.join('/'));
  const q = url.searchParams;
  const op: S3Op = !key
    ? method === 'GET'
      ? 'list'
      : 'bucket'
    : method === 'PUT'
      ? q.has('partNumber')
        ? 'part'
        : 'put'
      : method === 'POST'
        ? q.has('uploads')
          ? 'create'
          : q.has('uploadId')
            ? 'complete'
            : 'other'
        : method === 'DELETE'
          ? q.has('uploadId')
            ? 'abort'
            : 'delete'
          : method === 'HEAD'
            ? 'head'
            : method === 'GET'
              ? 'get'
              : 'other';
  return { op, bucket: decodeURIComponent(bucket), key };
}

function errorXml(code: string, message: string, resource: string): string {
  const id = Math.random().toString(16).slice(2, 18).toUpperCase();
  return (
    '<?xml version="1.0" ' +
    `encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
    `<Resource>${resource}</Resource><RequestId>${id}</RequestId></Error>`
  );
}

/** Pipes `from` into `to` in 16 KiB chunks with a pause between them. */
async function trickle(
  from: NodeJS.ReadableStream,
  to: NodeJS.WritableStream,
  pauseMs: number,
): Promise<void> {
  for await (const chunk of from as AsyncIterable<Buffer>) {
    for (let offset = 0; offset < chunk.length; offset += 16_384) {
      if (!to.write(chunk.subarray(offset, offset + 16_384)))
        await new Promise((r) => to.once('drain', r));
      await sleep(pauseMs);
    }
  }
  to.end();
}

export async function startFaultProxy(
  upstream: string,
  options: FaultProxyOptions,
): Promise<FaultProxy> {
  const target = new URL(upstream);
  const random = createRandom(options.seed);
  const requests: ProxyRequest[] = [];
  const injected = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  const used = new Map<FaultRule, number>();
  const stallMs = options.stallMs ?? 400;
  const slowChunkMs = options.slowChunkMs ?? 15;
  const proxy: FaultProxy = {
    endpoint: '',
    requests,
    injected,
    rules: options.rules ?? [],
    close: async () => undefined,
  };

  const draw = (request: ProxyRequest): FaultRule | undefined => {
    for (const rule of proxy.rules) {
      if (rule.match && !rule.match(request)) continue;
      if (rule.limit !== undefined && (used.get(rule) ?? 0) >= rule.limit) continue;
      if (!random.chance(rule.rate)) continue;
      used.set(rule, (used.get(rule) ?? 0) + 1);
      return rule;
    }
    return undefined;
  };

  const forward = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: ProxyRequest,
    mode: 'plain' | 'slow' | 'resetAfter',
  ) => {
    const out = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        entry.status = answer.statusCode;
        if (mode === 'resetAfter') {
          // The server has done the work; the client never hears about it.
          answer.resume();
          answer.on('end', () => res.socket?.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (mode === 'slow') void trickle(answer, res, slowChunkMs).catch(() => res.destroy());
        else answer.pipe(res);
      },
    );
    out.on('error', () => res.socket?.destroy());
    if (mode === 'slow') void trickle(req, out, slowChunkMs).catch(() => out.destroy());
    else req.pipe(out);
  };

  const answerError = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    entry: ProxyRequest,
    status: number,
    code: string,
    message: string,
  ) => {
    entry.status = status;
    // Read the whole request first, as S3 does before it answers a PUT with an error.
    req.resume();
    req.on('end', () => {
      const body =
        req.method === 'HEAD' ? '' : errorXml(code, message, `/${entry.bucket}/${entry.key}`);
      res.writeHead(status, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
        'x-amz-request-id': 'FAULTPROXY',
      });
      res.end(body);
    });
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const entry: ProxyRequest = {
      method: req.method ?? '',
      ...classifyRequest(req.method ?? '', url),
      at: performance.now(),
    };
    requests.push(entry);
    const rule = draw(entry);
    if (rule) {
      entry.fault = rule.kind;
      injected[rule.kind]++;
    }
    if (!rule) return forward(req, res, entry, 'plain');
    switch (rule.kind) {
      case 'slowBody':
        return forward(req, res, entry, 'slow');
      case 'resetAfter':
        return forward(req, res, entry, 'resetAfter');
      case 'resetBefore':
        req.socket.destroy();
        return;
      case 'stall':
        req.resume();
        setTimeout(() => req.socket.destroy(), stallMs);
        return;
      case 'auth': {
        const code = rule.code ?? 'InvalidAccessKeyId';
        return answerError(req, res, entry, 403, code, AUTH_MESSAGES[code]);
      }
      default: {
        const { status, code, message } = ERRORS[rule.kind];
        return answerError(req, res, entry, status, code, message);
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
