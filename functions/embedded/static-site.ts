/**
 * The embedded runtime's copy of the static site the exchange publishes to S3 in AWS
 * (functions/exchange/static-artefacts.ts): the same objects, gzip'd, at the same relative paths
 * under `<exchange URL>/static/` (`/static/v1/trust-list`, `/static/v1/trust-list/deltas/<from>`,
 * `/static/v1/status-batches/<hash>`), with the same `Content-Type`, `Content-Encoding` and
 * `Cache-Control`. Serving them runs no exchange function. Kept in `<data>/static/` (one file per
 * object, written atomically), or in memory with `--memory`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { writeAtomically } from '../core/files';
import {
  ARTEFACT_CONTENT_TYPE,
  cacheControlOf,
  isArtefactKey,
  type StaticObject,
  type StaticSink,
} from '../exchange/static-artefacts';
import type { ExtraRoute } from './server';

/** The path prefix the static site is served under, on the exchange's server. */
export const STATIC_PATH = '/static/';

/** A folder (or memory) holding the static artefacts, and the route serving them. */
export class LocalStaticSite implements StaticSink {
  private readonly memory = new Map<string, Uint8Array>();

  /** `dir`: where the objects are kept; undefined: in memory. */
  constructor(private readonly dir?: string) {
    if (dir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  // One flat file per key (`/` escaped): no key can name a path outside the folder.
  private file(key: string): string {
    return join(this.dir as string, encodeURIComponent(key));
  }

  async put(object: StaticObject): Promise<void> {
    if (!isArtefactKey(object.key)) throw new Error(`not a static artefact key: ${object.key}`);
    if (this.dir) writeAtomically(this.file(object.key), object.body, 0o644);
    else this.memory.set(object.key, object.body);
  }

  async remove(key: string): Promise<void> {
    if (!isArtefactKey(key)) return;
    if (this.dir) rmSync(this.file(key), { force: true });
    else this.memory.delete(key);
  }

  /** The stored (gzip'd) body at `key`, or undefined. */
  get(key: string): Uint8Array | undefined {
    if (!isArtefactKey(key)) return undefined;
    if (!this.dir) return this.memory.get(key);
    const file = this.file(key);
    return existsSync(file) ? readFileSync(file) : undefined;
  }

  /** GET `/static/<key>`: the object as S3 and CloudFront serve it (gzip unless not accepted). */
  readonly route: ExtraRoute = ({ path, headers }) => {
    const key = path.slice(STATIC_PATH.length);
    const body = this.get(key);
    if (!body) {
      return {
        statusCode: 404,
        headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' },
        body: '',
      };
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const common = { 'cache-control': cacheControlOf(key), etag, vary: 'accept-encoding' };
    if (headers['if-none-match'] === etag) return { statusCode: 304, headers: common };
    const gzip = /\bgzip\b/.test(headers['accept-encoding'] ?? '');
    return {
      statusCode: 200,
      headers: {
        ...common,
        'content-type': ARTEFACT_CONTENT_TYPE,
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      },
      body: Buffer.from(gzip ? body : gunzipSync(body)).toString('base64'),
      isBase64Encoded: true,
    };
  };
}
