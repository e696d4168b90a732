/**
 * One IAM login through the metadata proxy, after TLS: the client named the IAM user in its
 * HandshakeResponse, so it is switched to mysql_clear_password, its token is verified, and on
 * success the proxy logs in upstream with the real password and hands the client the upstream's
 * OK (sequence ids renumbered to the client's exchange). Refusals are ERR 1045 / 28000 with
 * MySQL's access-denied text, never the token. Sockets are the caller's; this only sees bytes.
 */
import {
  CLEAR_PASSWORD,
  CLIENT_PLUGIN_AUTH,
  NATIVE_PASSWORD,
  accessDenied,
  authSwitchRequest,
  buildHandshakeResponse,
  clearPasswordToken,
  framePacket,
  nativePasswordResponse,
  parseAuthSwitch,
  readPacket,
  type Greeting,
  type HandshakeResponse,
} from './mysql-iam-handshake.js';
import type { MysqlIamLogin } from './mysql-iam-login.js';

export interface IamSessionIo {
  /** Send bytes to the client. */
  toClient(bytes: Buffer): void;
  /** Send bytes to the upstream server. */
  toUpstream(bytes: Buffer): void;
  /** Send this last packet to the client and close both legs. */
  refuse(packet: Buffer): void;
  /**
   * The client is logged in (it has been sent the OK): from now on bytes flow as for any login.
   * `fromUpstream` / `fromClient`: bytes that arrived after the exchange, still to relay.
   */
  loggedIn(fromUpstream: Buffer, fromClient: Buffer): void;
}

export interface IamSessionSpec {
  readonly iam: MysqlIamLogin;
  /** The port the client connected to (the token is signed for it). */
  readonly port: number;
  /** The upstream server's greeting (its scramble); undefined when it could not be read. */
  readonly greeting: Greeting | undefined;
  readonly login: HandshakeResponse;
  /** Sequence id of the client's HandshakeResponse packet. */
  readonly loginSeq: number;
  /** The client's address, for the access-denied text. */
  readonly clientHost: string;
  readonly io: IamSessionIo;
}

type State = 'token' | 'upstream' | 'done';

export class IamLoginSession {
  private state: State = 'token';
  private clientBuf: Buffer = Buffer.alloc(0);
  private upstreamBuf: Buffer = Buffer.alloc(0);
  /** The sequence id of the next packet the client expects from the server. */
  private clientSeq: number;

  constructor(private readonly spec: IamSessionSpec) {
    this.clientSeq = spec.loginSeq + 1;
  }

  /** Begin: switch the client to mysql_clear_password (or take the token it already sent with it). */
  start(): void {
    const { login, greeting } = this.spec;
    if ((login.capabilities & CLIENT_PLUGIN_AUTH) === 0 || !greeting) {
      // a client that cannot switch plugins cannot send a token
      this.deny();
      return;
    }
    if (login.plugin === CLEAR_PASSWORD) {
      this.verify(clearPasswordToken(login.authResponse));
      return;
    }
    this.spec.io.toClient(framePacket(this.clientSeq, authSwitchRequest(CLEAR_PASSWORD, greeting.scramble)));
    this.clientSeq += 2; // the client answers with clientSeq + 1
  }

  /** Bytes from the client while the exchange runs. */
  fromClient(chunk: Buffer): void {
    this.clientBuf = this.clientBuf.length > 0 ? Buffer.concat([this.clientBuf, chunk]) : chunk;
    if (this.state !== 'token') return; // kept until the login ends
    const packet = readPacket(this.clientBuf);
    if (!packet) return;
    this.clientBuf = this.clientBuf.subarray(packet.size);
    this.verify(clearPasswordToken(packet.payload));
  }

  /** Bytes from the upstream server while the exchange runs. */
  fromUpstream(chunk: Buffer): void {
    this.upstreamBuf = this.upstreamBuf.length > 0 ? Buffer.concat([this.upstreamBuf, chunk]) : chunk;
    while (this.state === 'upstream') {
      const packet = readPacket(this.upstreamBuf);
      if (!packet) return;
      this.upstreamBuf = this.upstreamBuf.subarray(packet.size);
      this.upstreamPacket(packet.seq, packet.payload);
    }
  }

  private verify(token: string): void {
    let accepted = false;
    try {
      accepted = this.spec.iam.verify(token, this.spec.port).ok;
    } catch {
      accepted = false; // a verifier that throws refuses
    }
    if (!accepted) {
      this.deny();
      return;
    }
    const { login, loginSeq, greeting, iam } = this.spec;
    const auth = nativePasswordResponse(iam.upstreamPassword, greeting!.scramble);
    this.state = 'upstream';
    this.spec.io.toUpstream(framePacket(loginSeq, buildHandshakeResponse(login, auth, NATIVE_PASSWORD)));
  }

  private upstreamPacket(seq: number, payload: Buffer): void {
    const kind = payload[0];
    if (kind === 0x00) {
      this.state = 'done';
      this.spec.io.toClient(framePacket(this.clientSeq, payload));
      const rest = [this.upstreamBuf, this.clientBuf];
      this.upstreamBuf = Buffer.alloc(0);
      this.clientBuf = Buffer.alloc(0);
      this.spec.io.loggedIn(rest[0]!, rest[1]!);
      return;
    }
    if (kind === 0xff) {
      // the engine's own refusal (its text names the user, never a password)
      this.state = 'done';
      this.spec.io.refuse(framePacket(this.clientSeq, payload));
      return;
    }
    const upstreamSwitch = kind === 0xfe ? parseAuthSwitch(payload) : undefined;
    const password = this.spec.iam.upstreamPassword;
    if (upstreamSwitch?.plugin === NATIVE_PASSWORD) {
      this.spec.io.toUpstream(framePacket(seq + 1, nativePasswordResponse(password, upstreamSwitch.data)));
      return;
    }
    if (upstreamSwitch?.plugin === CLEAR_PASSWORD) {
      // the leg to the engine is TLS too
      this.spec.io.toUpstream(framePacket(seq + 1, Buffer.from(`${password}\0`, 'utf8')));
      return;
    }
    // another plugin (ed25519, caching_sha2 …): not something this proxy speaks upstream
    this.deny();
  }

  private deny(): void {
    this.state = 'done';
    this.spec.io.refuse(
      framePacket(this.clientSeq, accessDenied(this.spec.login.user, this.spec.clientHost)),
    );
  }
}
