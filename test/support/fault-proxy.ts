/**
 * A proxy in front of the local S3 server that lets a number of object PUTs through and then
 * fails the target: `'503'` answers every later PUT with 503 SlowDown (a store that is up but
 * failing), `'gone'` stops listening and drops every connection (an endpoint that went away).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FaultProxy {
  readonly endpoint: string;
  /** PUTs answered by the store. */
  passed(): number;
  close(): Promise<void>;
}

export async function startFaultProxy(
  upstream: string,
  options: { passPuts: number; mode: '503' | 'gone' },
): Promise<FaultProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  let puts = 0;
  let closed = false;
  const server = http.createServer((req, res) => {
    if (req.method === 'PUT' && puts++ >= options.passPuts) {
      if (options.mode === '503') {
        req.resume();
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your ' +
            'request rate.</Message></Error>',
        );
        return;
      }
      shutDown();
      return;
    }
    const forward = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const shutDown = () => {
    if (closed) return;
    closed = true;
    server.close();
    for (const socket of sockets) socket.destroy();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    passed: () => Math.min(puts, options.passPuts),
    close: async () => shutDown(),
  };
}
