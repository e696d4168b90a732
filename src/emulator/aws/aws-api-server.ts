/**
 * One cluster's loopback AWS-API endpoint: plain HTTP, the AWS JSON 1.1 protocol (`POST /`,
 * `X-Amz-Target: <prefix>.<Operation>`), every request SigV4-verified against the cluster's test
 * account and refused with AWS's error shape otherwise, so the real SDK clients talk to it
 * through their `endpoint` option and throw the exception AWS would. Serves Secrets Manager
 * (GetSecretValue, DescribeSecret); other services join through `services`.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { AuroraHaError } from '../../core/errors.js';
import { SecretsManagerError, type SecretsStore } from './secrets-store.js';
import { verifyHeaderSigned, type SigV4Refusal } from './sigv4.js';
import type { TestAwsAccount } from './test-account.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** An error as AWS answers it: HTTP status, the exception's name (`__type`) and a message. */
export class AwsApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'AwsApiError';
  }
}

/** One AWS JSON service: its `X-Amz-Target` prefix, the service name it is signed for, its operations. */
export interface AwsJsonService {
  readonly targetPrefix: string;
  readonly signingName: string;
  readonly operations: Readonly<Record<string, (input: JsonObject) => JsonValue>>;
}

export interface AwsApiServerOptions {
  readonly account: TestAwsAccount;
  /** Loopback address to listen on (default 127.0.0.1); port 0 = any free one. */
  readonly host?: string;
  readonly port?: number;
  readonly secrets?: SecretsStore;
  readonly services?: readonly AwsJsonService[];
  /** Largest request body accepted (default 64 KiB): 413 beyond, connection closed. */
  readonly maxBodyBytes?: number;
  /** Bound on the signature date's distance from the server's clock (default 5 minutes). */
  readonly maxClockSkewMs?: number;
  readonly now?: () => number;
}

export interface AwsApiStats {
  /** Requests answered 200, by `X-Amz-Target`. */
  readonly served: Readonly<Record<string, number>>;
  /** Requests refused, by the error type answered. */
  readonly refused: Readonly<Record<string, number>>;
}

export interface AwsApiServer {
  /** `http://host:port` — what an SDK client takes as `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  stats(): AwsApiStats;
  /** Stops listening and closes every open connection. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
const JSON_CONTENT_TYPES = new Set(['application/x-amz-json-1.1', 'application/x-amz-json-1.0']);
/** How long a client may take to send a request's headers / whole request. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;

const SIGNATURE_ERRORS: Readonly<Record<SigV4Refusal, { status: number; type: string; message: string }>> = {
  malformed: {
    status: 400,
    type: 'IncompleteSignatureException',
    message: 'The request signature does not conform to AWS standards.',
  },
  'wrong-key': {
    status: 403,
    type: 'UnrecognizedClientException',
    message: 'The security token included in the request is invalid.',
  },
  'bad-signature': {
    status: 403,
    type: 'InvalidSignatureException',
    message:
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
  },
  'wrong-service': {
    status: 403,
    type: 'InvalidSignatureException',
    message: 'Credential should be scoped to correct service.',
  },
  'wrong-region': {
    status: 403,
    type: 'InvalidSignatureException',
    message: 'Credential should be scoped to a valid region.',
  },
  expired: { status: 403, type: 'InvalidSignatureException', message: 'Signature expired.' },
  'not-yet-valid': { status: 403, type: 'InvalidSignatureException', message: 'Signature not yet current.' },
};

function epochSeconds(ms: number): number {
  return ms / 1000;
}

/** The Secrets Manager operations the emulator serves, on `store`. */
export function secretsManagerService(store: SecretsStore): AwsJsonService {
  const secretId = (input: JsonObject): string => {
    const id = input.SecretId;
    if (typeof id !== 'string' || id.length === 0 || id.length > 2048) {
      throw new AwsApiError(400, 'InvalidParameterException', 'SecretId must be a non-empty string.');
    }
    return id;
  };
  const optionalString = (input: JsonObject, key: string): string | undefined => {
    const v = input[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > 256) {
      throw new AwsApiError(400, 'InvalidParameterException', `${key} must be a non-empty string.`);
    }
    return v;
  };
  return {
    targetPrefix: 'secretsmanager',
    signingName: 'secretsmanager',
    operations: {
      GetSecretValue: (input) => {
        const versionId = optionalString(input, 'VersionId');
        const versionStage = optionalString(input, 'VersionStage');
        const v = store.getSecretValue(secretId(input), {
          ...(versionId !== undefined ? { versionId } : {}),
          ...(versionStage !== undefined ? { versionStage } : {}),
        });
        return {
          ARN: v.arn,
          Name: v.name,
          VersionId: v.versionId,
          SecretString: v.secretString,
          VersionStages: [...v.stages],
          CreatedDate: epochSeconds(v.createdAt),
        };
      },
      DescribeSecret: (input) => {
        const d = store.describeSecret(secretId(input));
        const out: JsonObject = {
          ARN: d.arn,
          Name: d.name,
          CreatedDate: epochSeconds(d.createdAt),
          LastChangedDate: epochSeconds(d.lastChangedAt),
          RotationEnabled: false,
          VersionIdsToStages: Object.fromEntries(d.versions.map((v) => [v.versionId, [...v.stages]])),
        };
        if (d.description !== undefined) out.Description = d.description;
        if (d.lastAccessedAt !== undefined) {
          // Secrets Manager reports the day of the last access, at midnight UTC.
          out.LastAccessedDate = epochSeconds(Math.floor(d.lastAccessedAt / 86_400_000) * 86_400_000);
        }
        return out;
      },
    },
  };
}

class BodyTooLarge extends Error {}

function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (Number.isFinite(declared) && declared > max) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new BodyTooLarge());
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startAwsApiServer(options: AwsApiServerOptions): Promise<AwsApiServer> {
  const { account } = options;
  const now = options.now ?? Date.now;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const services = new Map<string, AwsJsonService>();
  if (options.secrets !== undefined) {
    const sm = secretsManagerService(options.secrets);
    services.set(sm.targetPrefix, sm);
  }
  for (const s of options.services ?? []) services.set(s.targetPrefix, s);

  const served: Record<string, number> = {};
  const refused: Record<string, number> = {};
  const sockets = new Set<Socket>();
  let requestCounter = 0;

  const send = (res: http.ServerResponse, status: number, body: JsonValue, errorType?: string): void => {
    const text = JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': `emulator-${process.pid}-${++requestCounter}`,
    };
    if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
    res.writeHead(status, headers);
    res.end(text);
  };
  const fail = (res: http.ServerResponse, err: AwsApiError): void => {
    refused[err.type] = (refused[err.type] ?? 0) + 1;
    send(res, err.status, { __type: err.type, message: err.message }, err.type);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    let body: Buffer;
    try {
      body = await readBody(req, maxBody);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        res.setHeader('connection', 'close');
        fail(
          res,
          new AwsApiError(
            413,
            'RequestEntityTooLargeException',
            `The request body exceeds ${maxBody} bytes.`,
          ),
        );
        res.on('finish', () => req.socket.destroy());
      } else {
        req.socket.destroy();
      }
      return;
    }
    if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') {
      fail(
        res,
        new AwsApiError(404, 'UnknownOperationException', 'Only POST / is served (AWS JSON protocol).'),
      );
      return;
    }
    const target = req.headers['x-amz-target'];
    const dot = typeof target === 'string' ? target.lastIndexOf('.') : -1;
    const service = dot > 0 ? services.get((target as string).slice(0, dot)) : undefined;
    if (service === undefined) {
      fail(
        res,
        new AwsApiError(400, 'UnknownOperationException', 'The X-Amz-Target names no service served here.'),
      );
      return;
    }
    const verdict = verifyHeaderSigned(
      { method: req.method, url: req.url ?? '/', headers: req.headers, body },
      {
        key: account,
        service: service.signingName,
        now: now(),
        ...(options.maxClockSkewMs !== undefined ? { maxClockSkewMs: options.maxClockSkewMs } : {}),
      },
    );
    if (!verdict.ok) {
      const e = SIGNATURE_ERRORS[verdict.reason];
      fail(
        res,
        new AwsApiError(
          e.status,
          e.type,
          verdict.reason === 'malformed' ? `${e.message} ${verdict.detail}` : e.message,
        ),
      );
      return;
    }
    const operation = service.operations[(target as string).slice(dot + 1)];
    if (operation === undefined) {
      fail(
        res,
        new AwsApiError(400, 'UnknownOperationException', 'The operation is not served by the emulator.'),
      );
      return;
    }
    const contentType = String(req.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    if (!JSON_CONTENT_TYPES.has(contentType)) {
      fail(
        res,
        new AwsApiError(400, 'SerializationException', 'Content-Type must be application/x-amz-json-1.1.'),
      );
      return;
    }
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      fail(res, new AwsApiError(400, 'SerializationException', 'The request body is not JSON.'));
      return;
    }
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      fail(res, new AwsApiError(400, 'SerializationException', 'The request body is not a JSON object.'));
      return;
    }
    try {
      const output = operation(input as JsonObject);
      served[target as string] = (served[target as string] ?? 0) + 1;
      send(res, 200, output);
    } catch (err) {
      if (err instanceof AwsApiError) fail(res, err);
      else if (err instanceof SecretsManagerError) fail(res, new AwsApiError(400, err.type, err.message));
      else fail(res, new AwsApiError(500, 'InternalServiceError', 'The emulator failed to answer.'));
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent)
        fail(res, new AwsApiError(500, 'InternalServiceError', 'The emulator failed to answer.'));
      else res.destroy();
    });
  });
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void =>
      reject(
        new AuroraHaError('AWS_API_LISTEN', `The emulator's AWS-API server could not listen on ${host}`, {
          cause: err,
        }),
      );
    server.once('error', onError);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.unref();
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;

  return {
    endpoint,
    port,
    stats: () => ({ served: { ...served }, refused: { ...refused } }),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
