/**
 * A proxy in front of the local S3 server that enforces conditional writes, which the server
 * itself ignores: `If-None-Match: *` and `If-Match: <ETag>` on PutObject and `If-Match` on
 * DeleteObject are checked against the ETag this proxy saw the store return for each key, and
 * answered `412 PreconditionFailed` (S3's XML error) when they do not hold. Checks and the write
 * they guard run one at a time per key, as a store's own would. Only valid while every request
 * for the bucket goes through this proxy (each test uses a fresh bucket).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConditionalProxy {
  readonly endpoint: string;
  /** Requests answered 412 by the proxy: method and key. */
  readonly refused: { method: string; key: string }[];
  close(): Promise<void>;
}

export async function startConditionalProxy(upstream: string): Promise<ConditionalProxy> {
  const target = new URL(upstream);
  const etags = new Map<string, string>();
  const queues = new Map<string, Promise<void>>();
  const refused: { method: string; key: string }[] = [];

  const forward = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    key: string,
    body: Buffer,
  ): Promise<void> =>
    new Promise((resolve) => {
      const out = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (up) => {
          const status = up.statusCode ?? 502;
          if (req.method === 'PUT' && status === 200 && typeof up.headers.etag === 'string')
            etags.set(key, up.headers.etag);
          if (req.method === 'DELETE' && status < 300) etags.delete(key);
          res.writeHead(status, up.headers);
          up.pipe(res);
          up.on('end', resolve);
        },
      );
      out.on('error', () => {
        res.destroy();
        resolve();
      });
      out.end(body);
    });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const key = decodeURIComponent(new URL(req.url ?? '/', 'http://proxy').pathname);
      const conditional = req.method === 'PUT' || req.method === 'DELETE';
      if (!conditional || (!req.headers['if-match'] && !req.headers['if-none-match'])) {
        void forward(req, res, key, body);
        return;
      }
      const run = async () => {
        const current = etags.get(key);
        const ifMatch = req.headers['if-match'];
        const ifNoneMatch = req.headers['if-none-match'];
        const fails =
          (ifNoneMatch === '*' && current !== undefined) ||
          (ifMatch !== undefined && ifMatch !== current);
        if (fails) {
          refused.push({ method: req.method ?? '', key });
          res.writeHead(412, { 'content-type': 'application/xml' });
          res.end(
            '<?xml version="1.0" ' +
              'encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one ' +
              'of the pre-conditions you specified did not hold</Message></Error>',
          );
          return;
        }
        await forward(req, res, key, body);
      };
      const next = (queues.get(key) ?? Promise.resolve()).then(run, run);
      queues.set(key, next);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
