/**
 * Loopback address plan of one cluster: a random 127.a.b.0/24 (never 127.0.x.x) and one port
 * for all instances. Instance k's public address (fault proxy) is 127.a.b.k, the engine's
 * internal address 127.a.b.(100+k). Different processes pick different subnets; a clash is
 * detected by binding (EADDRINUSE) and retried with another subnet.
 */
import { randomInt } from 'node:crypto';
import net from 'node:net';

export const MAX_INSTANCES = 99;

export interface AddressPlan {
  subnet: string;
  port: number;
  publicAddress(index: number): string;
  internalAddress(index: number): string;
}

export function randomPlan(): AddressPlan {
  const a = randomInt(1, 255);
  const b = randomInt(0, 256);
  const subnet = `127.${a}.${b}`;
  const port = randomInt(20_000, 40_000);
  return {
    subnet,
    port,
    publicAddress: (k) => `${subnet}.${k}`,
    internalAddress: (k) => `${subnet}.${100 + k}`,
  };
}

/** True when address:port can be bound right now. */
export function canBind(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function isAddressInUse(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EADDRINUSE';
}
