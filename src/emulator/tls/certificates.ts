/**
 * Throw-away certificates of one emulated cluster: a private CA and a server certificate
 * naming every Aurora-style name the cluster has or will have. Keys come from Node's crypto
 * (EC P-256); the X.509 signing is done by the `openssl` binary (Node cannot issue
 * certificates), so no npm dependency is needed. Also issues deliberately bad certificates
 * (unknown CA, wrong names) for the `tls.serveBadCertificate` fault.
 */
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AuroraHaError } from '../../core/errors.js';
import type { BadCertificateKind } from '../types.js';

const run = promisify(execFile);

/** Certificates live a week: long enough for any test run, short enough to be clearly throw-away. */
const VALID_DAYS = 7;

export interface CertificatePair {
  /** PEM of the certificate. */
  readonly cert: string;
  /** PEM (PKCS#8) of its private key. */
  readonly key: string;
}

export interface ClusterCertificates {
  readonly ca: CertificatePair;
  readonly server: CertificatePair;
  /** The DNS names the server certificate carries. */
  readonly names: readonly string[];
}

/**
 * The server certificate's names for a cluster under `domain` (`<id>.<region>.rds.amazonaws.com`).
 * A wildcard covers exactly one label, so each family needs its own: `*.<domain>` covers every
 * instance, present and future (`instance-7.<domain>`); the cluster, reader and custom endpoints
 * live under `cluster-<domain>`, `cluster-ro-<domain>` and `cluster-custom-<domain>`.
 */
export function serverNames(domain: string): string[] {
  return [`*.${domain}`, `*.cluster-${domain}`, `*.cluster-ro-${domain}`, `*.cluster-custom-${domain}`];
}

function newKey(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function serial(): string {
  // positive, 128 bits
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return `0x${bytes.toString('hex')}`;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30_000 });
  } catch (err) {
    const detail = (err as { stderr?: unknown }).stderr;
    const text = typeof detail === 'string' && detail !== '' ? detail.trim() : String(err);
    const missing = (err as { code?: unknown }).code === 'ENOENT';
    throw new AuroraHaError(
      'EMULATOR_TLS',
      missing
        ? 'the emulator needs the `openssl` binary for tls: true (apt-get install openssl)'
        : `openssl ${args[0] ?? ''} failed: ${text}`,
    );
  }
}

/** A self-signed CA certificate for `key`. */
async function issueCa(dir: string, commonName: string, key: string): Promise<string> {
  const keyFile = join(dir, 'ca.key');
  const certFile = join(dir, 'ca.pem');
  await writeFile(keyFile, key, { mode: 0o600 });
  await openssl([
    'req',
    '-new',
    '-x509',
    '-key',
    keyFile,
    '-subj',
    `/O=aurora-ha emulator/CN=${commonName}`,
    '-days',
    String(VALID_DAYS),
    '-sha256',
    '-set_serial',
    serial(),
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-addext',
    'subjectKeyIdentifier=hash',
    '-out',
    certFile,
  ]);
  return readFile(certFile, 'utf8');
}

/** A server certificate for `names`, signed by `ca`. */
async function issueServer(
  dir: string,
  ca: CertificatePair,
  names: readonly string[],
  key: string,
): Promise<string> {
  const files = {
    caCert: join(dir, 'issuer.pem'),
    caKey: join(dir, 'issuer.key'),
    key: join(dir, 'server.key'),
    csr: join(dir, 'server.csr'),
    ext: join(dir, 'server.ext'),
    cert: join(dir, 'server.pem'),
  };
  await writeFile(files.caCert, ca.cert);
  await writeFile(files.caKey, ca.key, { mode: 0o600 });
  await writeFile(files.key, key, { mode: 0o600 });
  await writeFile(
    files.ext,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
      '',
    ].join('\n'),
  );
  const commonName = names[0] ?? 'aurora-ha emulator';
  await openssl(['req', '-new', '-key', files.key, '-subj', `/CN=${commonName}`, '-out', files.csr]);
  await openssl([
    'x509',
    '-req',
    '-in',
    files.csr,
    '-CA',
    files.caCert,
    '-CAkey',
    files.caKey,
    '-set_serial',
    serial(),
    '-days',
    String(VALID_DAYS),
    '-sha256',
    '-extfile',
    files.ext,
    '-out',
    files.cert,
  ]);
  return readFile(files.cert, 'utf8');
}

/** Run `work` in a private scratch dir under `root`, removed afterwards. */
async function inScratch<T>(root: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(root, `issue-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    return await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A fresh CA and a server certificate for a cluster under `domain`; checked with Node's own
 * X.509 code before being returned (every name verifies, the CA signed it).
 */
export async function createClusterCertificates(root: string, domain: string): Promise<ClusterCertificates> {
  return inScratch(root, async (dir) => {
    const caKey = newKey();
    const ca: CertificatePair = { key: caKey, cert: await issueCa(dir, `CA for ${domain}`, caKey) };
    const names = serverNames(domain);
    const serverKey = newKey();
    const server: CertificatePair = { key: serverKey, cert: await issueServer(dir, ca, names, serverKey) };
    const x509 = new X509Certificate(server.cert);
    const caX509 = new X509Certificate(ca.cert);
    const probe = `instance-1.${domain}`;
    if (!x509.verify(caX509.publicKey) || x509.checkHost(probe) === undefined) {
      throw new AuroraHaError('EMULATOR_TLS', `the generated certificate does not verify for ${probe}`);
    }
    return { ca, server, names };
  });
}

/**
 * A certificate a correctly configured client must refuse: `unknown-ca` names the right hosts
 * but is signed by another throw-away CA; `wrong-name` is signed by the cluster's CA but names
 * only `*.wrong-name.invalid`.
 */
export async function createBadCertificate(
  root: string,
  certs: ClusterCertificates,
  kind: BadCertificateKind,
): Promise<CertificatePair> {
  return inScratch(root, async (dir) => {
    const key = newKey();
    if (kind === 'wrong-name') {
      return { key, cert: await issueServer(dir, certs.ca, ['*.wrong-name.invalid'], key) };
    }
    const otherKey = newKey();
    const other: CertificatePair = { key: otherKey, cert: await issueCa(dir, 'an unknown CA', otherKey) };
    return { key, cert: await issueServer(dir, other, certs.names, key) };
  });
}
