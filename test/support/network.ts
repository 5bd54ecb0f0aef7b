/**
 * Local stand-ins for a company network: a forward proxy (the `proxy` package, as Squid would
 * be) and a TLS front end with its own CA in front of the plain-http S3 server. Certificates
 * are made at test time with openssl, so nothing secret or expiring lives in the repository.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { createProxy } from 'proxy';

export interface ForwardProxy {
  readonly url: string;
  /**
   * Plain proxied requests (http targets) and CONNECT tunnels (https targets), with their hosts.
   */
  readonly seen: { requests: string[]; tunnels: string[] };
  close(): Promise<void>;
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const server = createProxy(http.createServer());
  const seen = { requests: [] as string[], tunnels: [] as string[] };
  server.on('request', (req: http.IncomingMessage) => seen.requests.push(req.url ?? ''));
  server.on('connect', (req: http.IncomingMessage) => seen.tunnels.push(req.url ?? ''));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TlsFront {
  /** `https://127.0.0.1:PORT`, certified for 127.0.0.1 and localhost by the test CA. */
  readonly endpoint: string;
  /** PEM file of the test CA. */
  readonly caFile: string;
  close(): Promise<void>;
}

/** Terminates TLS and forwards the bytes to `plainEndpoint` (the local S3 server). */
export async function startTlsFront(plainEndpoint: string): Promise<TlsFront> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'recsync-tls-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=recsync test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  await writeFile(
    file('ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'ext.cnf',
  );
  const target = new URL(plainEndpoint);
  const server = tls.createServer(
    { key: await readFile(file('server.key')), cert: await readFile(file('server.pem')) },
    (socket) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      socket.pipe(upstream).pipe(socket);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', end);
      upstream.on('error', end);
    },
  );
  const sockets = new Set<net.Socket>();
  server.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `https://127.0.0.1:${port}`,
    caFile: file('ca.pem'),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
