/**
 * A recording HTTP proxy in front of the local S3 server: forwards every request unchanged
 * (so signatures stay valid) and records method, path, query and headers. For what the server
 * itself cannot show: checksum headers, conditional writes, which prefixes were listed.
 *
 * It can also play a stricter store: `intercept` answers a request itself (a 412 for a
 * conditional write, a ListMultipartUploads reply s3rver lacks), and `rewrite` changes the
 * server's answer (add the checksum headers or XML fields a real S3 would return).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: http.IncomingHttpHeaders;
  readonly bodyBytes: number;
}

export interface ProxyReply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

export interface ProxyOptions {
  /** Answer without forwarding (the request body is drained and counted). */
  intercept?(request: RecordedRequest): ProxyReply | undefined;
  /** Replace the server's answer; `body` is the whole upstream body. */
  rewrite?(
    request: RecordedRequest,
    answer: { status: number; headers: http.IncomingHttpHeaders; body: Buffer },
  ): ProxyReply | undefined;
}

export interface RecordingProxy {
  readonly endpoint: string;
  readonly requests: RecordedRequest[];
  /** Hooks can be swapped between runs of a test. */
  options: ProxyOptions;
  close(): Promise<void>;
}

function reply(res: http.ServerResponse, r: ProxyReply): void {
  const body = r.body === undefined ? Buffer.alloc(0) : Buffer.from(r.body);
  res.writeHead(r.status, {
    'content-type': 'application/xml',
    ...r.headers,
    'content-length': String(body.length),
  });
  res.end(body);
}

/** An S3 error document. */
export function s3Error(status: number, code: string, message = code): ProxyReply {
  return {
    status,
    body:
      '<?xml version="1.0" ' +
      `encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
  };
}

export async function startRecordingProxy(
  upstream: string,
  initial: ProxyOptions = {},
): Promise<RecordingProxy> {
  const target = new URL(upstream);
  const requests: RecordedRequest[] = [];
  const proxy = { options: initial };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const entry = {
      method: req.method ?? '',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: req.headers,
      bodyBytes: 0,
    };
    requests.push(entry);
    const own = proxy.options.intercept?.(entry);
    if (own) {
      req.on('data', (chunk: Buffer) => (entry.bodyBytes += chunk.length));
      req.on('end', () => reply(res, own));
      return;
    }
    const rewrite = proxy.options.rewrite;
    const forward = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upstreamRes) => {
        if (!rewrite) {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        upstreamRes.on('data', (c: Buffer) => chunks.push(c));
        upstreamRes.on('end', () => {
          const answer = {
            status: upstreamRes.statusCode ?? 502,
            headers: upstreamRes.headers,
            body: Buffer.concat(chunks),
          };
          const replaced = rewrite(entry, answer);
          if (replaced) return reply(res, replaced);
          res.writeHead(answer.status, answer.headers);
          res.end(answer.body);
        });
      },
    );
    forward.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => (entry.bodyBytes += chunk.length));
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    get options() {
      return proxy.options;
    },
    set options(value: ProxyOptions) {
      proxy.options = value;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
