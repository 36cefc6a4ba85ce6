/**
 * The baseline of the HTTP benchmark: the least a Node server can do to verify a code. A bare
 * `node:http` server (keep-alive) that reads the body, `JSON.parse`s it, splits the code and runs
 * raw `crypto.verify` (ES256, IEEE P1363 signature) with a key object prepared once, answering a
 * tiny JSON. No routing, no schema, no registry, no middleware: anything the real node does on top
 * of this is the overhead the benchmark measures.
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running bare server. */
export interface BareServer {
  /** `http://127.0.0.1:<port>`; any path answers. */
  readonly url: string;
  close(): Promise<void>;
}

const PREFIX = 'HCX2:';
const VALID = '{"result":"valid"}';
const INVALID = '{"result":"invalid"}';

/** True when `code` (`HCX2:<header>.<payload>.<signature>`) carries a good ES256 signature by `key`. */
export function rawVerify(code: unknown, key: KeyObject): boolean {
  if (typeof code !== 'string' || !code.startsWith(PREFIX)) return false;
  const last = code.lastIndexOf('.');
  if (last < 0) return false;
  const signingInput = Buffer.from(code.slice(PREFIX.length, last));
  const signature = Buffer.from(code.slice(last + 1), 'base64url');
  return verify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

/** Start the bare server on 127.0.0.1 (a free port) verifying against the P-256 `publicJwk`. */
export async function startBareServer(publicJwk: JsonWebKey): Promise<BareServer> {
  const key = createPublicKey({ key: publicJwk, format: 'jwk' });
  const server = createServer({ keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let ok: boolean;
      try {
        ok = rawVerify((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { code?: unknown }).code, key);
      } catch {
        ok = false;
      }
      const body = ok ? VALID : INVALID;
      res.writeHead(ok ? 200 : 400, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
