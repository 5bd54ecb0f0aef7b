/**
 * The CA bundle of a connection (`target.caBundle`, AWS_CA_BUNDLE, profile `ca_bundle`), read
 * once and checked when the connection is resolved, before any request: a bundle that cannot
 * be used is a config error (exit 2), not a failure of the first request.
 */
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { RecsyncError } from '../errors.js';
import type { Connection } from './connection.js';

const loaded = new WeakMap<Connection, Promise<string[] | undefined>>();

/** Default CAs (with NODE_EXTRA_CA_CERTS where Node can list them) plus the bundle's. */
export function loadCaBundle(connection: Connection): Promise<string[] | undefined> {
  let ca = loaded.get(connection);
  if (!ca) {
    ca = readCaBundle(connection);
    loaded.set(connection, ca);
  }
  return ca;
}

async function readCaBundle(connection: Connection): Promise<string[] | undefined> {
  const bundle = connection.caBundle;
  // Plain-http endpoints never verify a certificate; a stale AWS_CA_BUNDLE must not break them.
  if (!bundle || connection.endpoint?.value.startsWith('http:')) return undefined;
  let pem: string;
  try {
    pem = await readFile(bundle.value, 'utf8');
  } catch (error) {
    throw new RecsyncError('E_CONFIG_INVALID', {
      message:
        `cannot read the CA bundle ${bundle.value} (from ${bundle.from}): ` +
        `${(error as Error).message}`,
      hint: 'point it to a readable PEM file with the CA certificate(s), or unset it',
    });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new RecsyncError('E_CONFIG_INVALID', {
      message: `the CA bundle ${bundle.value} (from ${bundle.from}) holds no PEM certificate`,
      hint:
        'it must contain "-----BEGIN CERTIFICATE-----" blocks ' +
        '(convert DER with: openssl x509 -inform der -in ca.cer -out ca.pem)',
    });
  }
  const getDefaults = (tls as { getCACertificates?: (type: 'default') => string[] })
    .getCACertificates;
  return [...(getDefaults ? getDefaults('default') : tls.rootCertificates), pem];
}
