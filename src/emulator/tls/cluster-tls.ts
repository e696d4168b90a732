/**
 * TLS of one emulated cluster (`tls: true`): generates its certificates once, keeps one copy
 * of the server certificate and key per instance (so one instance can be made to serve a bad
 * certificate while the others stay good), and implements the public `cluster.tls` handle.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigurationError } from '../../core/errors.js';
import type { InstanceTlsFiles } from '../engine.js';
import { keepAlive } from '../../core/keep-alive.js';
import { chownTree } from '../processes.js';
import type { BadCertificateKind, ClusterTls } from '../types.js';
import {
  createBadCertificate,
  createClusterCertificates,
  type CertificatePair,
  type ClusterCertificates,
} from './certificates.js';

/** What the control plane does for the certificate faults. */
export interface InstanceTlsReload {
  /** Throws a typed error for an unknown instance id. */
  check(id: string): void;
  /** The instance's engine (or proxy) loads its certificate files again; new sessions get them. */
  reload(id: string): Promise<void>;
}

export class ClusterTlsFiles implements ClusterTls {
  private constructor(
    private readonly dir: string,
    private readonly certs: ClusterCertificates,
    /** The file every engine reads to trust the cluster's CA (replication legs). */
    readonly caFile: string,
    private readonly engines: InstanceTlsReload,
  ) {}

  /**
   * Certificates for the cluster under `domain`, in `<workDir>/tls`.
   */
  static async create(workDir: string, domain: string, engines: InstanceTlsReload): Promise<ClusterTlsFiles> {
    const dir = join(workDir, 'tls');
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const certs = await createClusterCertificates(join(workDir, 'tls-scratch'), domain);
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, certs.ca.cert, { mode: 0o644 });
    await chownTree(dir);
    return new ClusterTlsFiles(dir, certs, caFile, engines);
  }

  get ca(): string {
    return this.certs.ca.cert;
  }

  get names(): readonly string[] {
    return this.certs.names;
  }

  /** Paths of an instance's certificate files, (re)written with the cluster's good certificate. */
  async instanceFiles(id: string): Promise<InstanceTlsFiles> {
    return this.write(id, this.certs.server);
  }

  private async write(id: string, pair: CertificatePair): Promise<InstanceTlsFiles> {
    const dir = join(this.dir, id);
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const files: InstanceTlsFiles = {
      certFile: join(dir, 'server.pem'),
      keyFile: join(dir, 'server.key'),
      caFile: this.caFile,
    };
    await writeFile(files.certFile, pair.cert, { mode: 0o644 });
    // PostgreSQL refuses a key readable by others: 0600, owned by the engine's account
    await writeFile(files.keyFile, pair.key, { mode: 0o600 });
    await chownTree(dir);
    return files;
  }

  /** Awaited, holds the event loop open until new sessions get the bad certificate. */
  serveBadCertificate(id: string, kind: BadCertificateKind = 'unknown-ca'): Promise<void> {
    return keepAlive(this.serveBad(id, kind));
  }

  private async serveBad(id: string, kind: BadCertificateKind): Promise<void> {
    if (kind !== 'unknown-ca' && kind !== 'wrong-name')
      throw new ConfigurationError(
        'kind',
        `serveBadCertificate: kind must be one of "unknown-ca", "wrong-name" (got ${JSON.stringify(kind)})`,
        ['unknown-ca', 'wrong-name'],
      );
    this.engines.check(id);
    const bad = await createBadCertificate(join(this.dir, '..', 'tls-scratch'), this.certs, kind);
    await this.write(id, bad);
    await this.engines.reload(id);
  }

  serveGoodCertificate(id: string): Promise<void> {
    return keepAlive(this.serveGood(id));
  }

  private async serveGood(id: string): Promise<void> {
    this.engines.check(id);
    await this.write(id, this.certs.server);
    await this.engines.reload(id);
  }
}
