/**
 * The Aurora-style names of one cluster, served by the in-process DNS (dns.ts): the writer
 * and reader cluster endpoints follow the roles after `dnsLagMs` (what DNS answers lags
 * behind the truth), instance names always answer their own fault proxy's address.
 */
import { randomInt } from 'node:crypto';
import type { NameTable } from './attach/protocol.js';
import { registerNames } from './dns.js';

/** What the names follow: the control plane's truth about roles and addresses. */
export interface NamesTruth {
  /** Id of the current writer, if any. */
  writer(): string | undefined;
  /** Ids of the live readers. */
  readers(): string[];
  /** Public (fault proxy) address of an instance id. */
  addressOf(id: string): string | undefined;
  /** Public address of an instance host name, when it is one of ours. */
  instanceAddress(host: string): string | undefined;
  /** Every instance host name with its public address. */
  instanceAddresses(): Record<string, string>;
}

export interface ClusterNamesSpec {
  /** Every name of the cluster ends with it (`<clusterId>.<region>.rds.amazonaws.com`). */
  domain: string;
  writerHost: string;
  readerHost: string;
  lagMs: number;
  /** Called when the writer endpoint starts answering another instance. */
  onWriterSwitched(writer: string): void;
  /** Called when what table() answers may have changed. */
  onChanged(): void;
}

export class ClusterNames {
  /** What DNS currently answers (lags behind the truth by lagMs). */
  private dnsWriter: string | undefined;
  private dnsReaders: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private unregister: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly spec: ClusterNamesSpec,
    private readonly truth: NamesTruth,
  ) {}

  /** Serve the names (the cluster endpoints answer nothing until the first followNow()). */
  serve(): void {
    this.unregister = registerNames((name) => this.resolve(name));
  }

  /** Cluster endpoints answer the current roles at once. */
  followNow(): void {
    const writer = this.truth.writer();
    const changed = writer !== undefined && writer !== this.dnsWriter;
    if (writer !== undefined) this.dnsWriter = writer;
    this.dnsReaders = this.truth.readers();
    if (changed) this.spec.onWriterSwitched(writer);
    this.spec.onChanged();
  }

  /** Cluster endpoints follow the truth after lagMs (at once with no lag). */
  follow(): void {
    if (this.spec.lagMs <= 0) {
      this.followNow();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) this.followNow();
    }, this.spec.lagMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** A removed instance leaves the reader endpoint at once. */
  forget(id: string): void {
    this.dnsReaders = this.dnsReaders.filter((r) => r !== id);
    this.spec.onChanged();
  }

  /** What the names answer now, for attached processes (the reader endpoint's full set). */
  table(): NameTable {
    const addresses = (ids: string[]): string[] =>
      ids.flatMap((id) => {
        const address = this.truth.addressOf(id);
        return address === undefined ? [] : [address];
      });
    return {
      domain: this.spec.domain,
      writerHost: this.spec.writerHost,
      readerHost: this.spec.readerHost,
      writer: this.address(this.dnsWriter) ?? null,
      readers: addresses(this.dnsReaders),
      instances: this.truth.instanceAddresses(),
    };
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.unregister?.();
  }

  private resolve(name: string): string | undefined {
    if (!name.endsWith(this.spec.domain) || this.stopped) return undefined;
    if (name === this.spec.writerHost) return this.address(this.dnsWriter);
    if (name === this.spec.readerHost) {
      const pick = this.dnsReaders[randomInt(Math.max(1, this.dnsReaders.length))] ?? this.dnsWriter;
      return this.address(pick);
    }
    return this.truth.instanceAddress(name);
  }

  private address(id: string | undefined): string | undefined {
    return id === undefined ? undefined : this.truth.addressOf(id);
  }
}
