/**
 * A proxy in front of the local S3 server that lets the first `pass` object GETs through and
 * holds every later one until `open()` is called: a restore can be killed at a known point.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startGateProxy(upstream: string, pass: number) {
  const target = new URL(upstream);
  let passed = 0;
  let release: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (release = resolve));
  const server = http.createServer(async (req, res) => {
    const isObjectGet = req.method === 'GET' && !(req.url ?? '').includes('list-type');
    if (isObjectGet && passed++ >= pass) await opened;
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    open: () => release(),
    close: () => {
      release();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
