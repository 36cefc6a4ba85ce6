/**
 * The static signed artefacts the exchange publishes beside its API (docs/exchange.md, "Static
 * artefacts"): the full trust list, each stored delta, and each status batch the list names, written
 * to a sink (S3 behind CloudFront in AWS, the embedded runtime's `/static/` folder locally) under the
 * same relative paths, so a node or an offline client fetches them without any exchange function
 * running. Every object is stored gzip-compressed (`Content-Encoding: gzip`): what a node downloads is
 * what was stored, whatever the edge does.
 *
 * | path | content | Cache-Control |
 * | --- | --- | --- |
 * | `v1/trust-list` | the signed full list (the "latest" pointer) | `public, max-age=60` |
 * | `v1/trust-list/deltas/<from>` | the signed delta from version `<from>` to the head it was published at | `public, max-age=60` |
 * | `v1/status-batches/<sha256>` | a province-signed status batch, verbatim (content-addressed) | `public, max-age=31536000, immutable` |
 *
 * The list and the deltas are versioned keys whose content moves on with the head (short cache); a
 * batch is named by the SHA-256 the log and the list commit to, so it never changes (immutable).
 */
import { gzipSync } from 'node:zlib';
import {
  DELTA_KEY_PREFIX,
  STATIC_OBJECT_KEYS,
  STATUS_BATCH_KEY_PREFIX,
  TRUST_LIST_OBJECT_KEY,
} from '../aws/names';

/** The media type of every artefact (compact JWS). */
export const ARTEFACT_CONTENT_TYPE = 'application/jose';

/** Short: a client sees a change within a minute; the list re-signs every 15 minutes anyway. */
export const TRUST_LIST_CACHE_CONTROL = 'public, max-age=60';
/** A status batch is content-addressed: cached for good. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

// The keys, shared with the stacks (functions/aws/names.ts: pure data).
export { DELTA_KEY_PREFIX, STATIC_OBJECT_KEYS, STATUS_BATCH_KEY_PREFIX };

/** The key of the delta from version `from`. */
export const deltaKey = (from: number): string => `${DELTA_KEY_PREFIX}${from}`;
/** The key of the status batch with SHA-256 (base64url) `hash`. */
export const statusBatchKey = (hash: string): string => `${STATUS_BATCH_KEY_PREFIX}${hash}`;

/** One object of the static site, ready to store. */
export interface StaticObject {
  /** Relative path (S3 key), e.g. `v1/trust-list/deltas/12`. */
  readonly key: string;
  /** The gzip-compressed content. */
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly contentEncoding: 'gzip';
  readonly cacheControl: string;
  /** Kept beside the object for operators (S3 user metadata), e.g. the list's own ETag. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A static artefact's key: the list, a delta from a version, or a batch by its SHA-256. */
const ARTEFACT_KEY = new RegExp(
  `^(?:${TRUST_LIST_OBJECT_KEY}|${DELTA_KEY_PREFIX}[0-9]{1,15}|${STATUS_BATCH_KEY_PREFIX}[A-Za-z0-9_-]{43})$`,
);

/** Whether `key` names a static artefact (anything else is never stored nor served). */
export const isArtefactKey = (key: string): boolean => ARTEFACT_KEY.test(key);

/** The `Cache-Control` of the artefact at `key`: immutable for a batch, short otherwise. */
export const cacheControlOf = (key: string): string =>
  key.startsWith(STATUS_BATCH_KEY_PREFIX) ? IMMUTABLE_CACHE_CONTROL : TRUST_LIST_CACHE_CONTROL;

function artefact(key: string, jws: string, metadata?: Record<string, string>): StaticObject {
  return {
    key,
    body: gzipSync(Buffer.from(jws, 'utf8'), { level: 9 }),
    contentType: ARTEFACT_CONTENT_TYPE,
    contentEncoding: 'gzip',
    cacheControl: cacheControlOf(key),
    ...(metadata ? { metadata } : {}),
  };
}

/** The full list (ours, version-naming, ETag kept as metadata: S3 answers its own content ETag). */
export const trustListObject = (jws: string, etag: string): StaticObject =>
  artefact(TRUST_LIST_OBJECT_KEY, jws, { 'hcx-etag': etag });

/** The delta from `from`, as stored at a publication. */
export const deltaObject = (from: number, jws: string): StaticObject => artefact(deltaKey(from), jws);

/** A status batch, verbatim, under its hash. */
export const statusBatchObject = (hash: string, jws: string): StaticObject =>
  artefact(statusBatchKey(hash), jws);

/** Where the static artefacts are written (S3 in AWS, a folder or memory in the embedded runtime). */
export interface StaticSink {
  put(object: StaticObject): Promise<void>;
  /** Remove the object at `key` (the deltas at the federation's sunset); no error when absent. */
  remove(key: string): Promise<void>;
}
