/**
 * Strict compact-JWS parsing, shared by every artefact hcx reads (codes, trust lists, deltas,
 * signed requests). Each artefact has a profile with its exact `typ` and size cap, so a token of one
 * kind can never pass as another.
 *
 * Order matters: the size cap comes before anything else, the header is checked (forbidden members,
 * registered algorithm, exact `typ`, thumbprint-shaped `kid`) before any key is looked up, and the
 * signature length is fixed by the algorithm (a DER signature never reaches OpenSSL).
 */
import { algorithmByName, type SignatureAlgorithm } from '../algorithms';
import { b64urlDecodedLength, decodeB64url, decodeB64urlBytes } from '../b64';
import { JwsRejected, type JwsReason } from '../errors';
import { parseStrictJson, readCompactFlatJson } from '../json';

/** What an artefact's JWS must look like. */
export interface JwsProfile {
  /** Exact `typ` header value. */
  readonly typ: string;
  /** Largest accepted token, in characters, checked before anything is decoded. */
  readonly maxLength: number;
  /** Deepest nesting of the payload JSON (a code is flat; a trust list nests keys). */
  readonly maxDepth: number;
  /** Shape of the `kid` (default: a full RFC 7638 thumbprint, 43 characters). */
  readonly kid?: RegExp;
}

/** A structurally valid compact JWS whose signature is not yet verified. */
export interface ParsedJws {
  readonly alg: SignatureAlgorithm;
  readonly kid: string;
  /** The decoded payload (strict JSON object). */
  readonly payload: Record<string, unknown>;
  /** ASCII bytes of `header.payload`, what the signature covers. */
  readonly signingInput: Uint8Array;
  readonly signature: Uint8Array;
}

/** Header members that would let a token bring its own key or change how it is processed. */
const FORBIDDEN_HEADERS = new Set([
  'jwk',
  'jku',
  'x5u',
  'x5c',
  'x5t',
  'x5t#S256',
  'crit',
  'b64',
  'zip',
  'enc',
]);
const ALLOWED_HEADERS = new Set(['alg', 'kid', 'typ']);
const KID = /^[A-Za-z0-9_-]{43}$/;
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function reject(reason: JwsReason, title: string): never {
  throw new JwsRejected(reason, title);
}

/**
 * Where a small payload is decoded on its way to the claims reader or the JSON parser: its bytes
 * are read once, at once (the reader and the decoder copy them into strings), so one buffer serves
 * every token that fits and the hot path allocates none. Larger payloads (trust lists) and headers
 * (checked once each, then cached) are decoded by Node's decoder.
 */
const SCRATCH = Buffer.allocUnsafeSlow(4096);
/** Views of the first n bytes of SCRATCH, by n, made once each (a view per call was measurable). */
const SCRATCH_VIEWS: Uint8Array[] = [];

/** The JSON object that `token`'s characters `start` to `end` encode (a header, or a large payload). */
function jsonObject(
  token: string,
  start: number,
  end: number,
  what: string,
  maxDepth: number,
): Record<string, unknown> {
  return jsonOf(decodeB64url(token.slice(start, end)), what, maxDepth);
}

/** The JSON object of decoded segment `bytes` (`undefined`: the segment was not canonical). */
function jsonOf(bytes: Uint8Array | undefined, what: string, maxDepth: number): Record<string, unknown> {
  if (!bytes) reject('MALFORMED', `the ${what} is not canonical base64url`);
  let text: string;
  let value: unknown;
  try {
    text = UTF8.decode(bytes);
    value = parseStrictJson(text, { maxDepth });
  } catch {
    reject('MALFORMED', `the ${what} is not strict UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    reject('MALFORMED', `the ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

interface CheckedHeader {
  readonly alg: SignatureAlgorithm;
  readonly kid: string;
  /** The profile it passed for (its `typ` is in the segment, so it can pass for no other). */
  readonly profile: JwsProfile;
  /** Its base64url segment. */
  readonly segment: string;
}

/**
 * Checked headers by their base64url segment. A header segment is the same for every token a key
 * signs and its check depends on nothing else, so verifying a stream of codes checks each
 * distinct header once. Only headers that passed are kept, and at most HEADER_CACHE_SIZE of them.
 */
const headerCache = new Map<string, CheckedHeader>();
const HEADER_CACHE_SIZE = 512;

/** The header checked last: a stream of codes from one key skips even the lookup above. */
let lastHeader: CheckedHeader | undefined;

/** The checked header of `token`, whose characters `start` to `end` are its header segment. */
function checkHeader(token: string, start: number, end: number, profile: JwsProfile): CheckedHeader {
  const last = lastHeader;
  if (
    last?.profile === profile &&
    last.segment.length === end - start &&
    token.startsWith(last.segment, start)
  )
    return last;
  const segment = token.slice(start, end);
  const cached = headerCache.get(segment);
  if (cached?.profile === profile) return (lastHeader = cached);
  const header = jsonObject(segment, 0, segment.length, 'header', 2);
  for (const name of Object.keys(header)) {
    if (FORBIDDEN_HEADERS.has(name)) reject('FORBIDDEN_HEADER', 'the header carries a forbidden member');
  }
  for (const name of Object.keys(header)) {
    if (!ALLOWED_HEADERS.has(name)) reject('MALFORMED', 'the header has an unexpected member');
  }
  const alg = algorithmByName(header.alg);
  if (!alg) reject('UNSUPPORTED_ALG', 'the algorithm is not accepted');
  if (header.typ !== profile.typ) reject('MALFORMED', 'the token is not of the expected type');
  const kid = header.kid;
  if (typeof kid !== 'string' || !(profile.kid ?? KID).test(kid))
    reject('MALFORMED', 'the kid is not a key thumbprint');
  if (headerCache.size >= HEADER_CACHE_SIZE) headerCache.clear();
  const checked = { alg, kid, profile, segment };
  headerCache.set(segment, checked);
  return (lastHeader = checked);
}

/**
 * Parse `token` as a compact JWS of `profile`, or throw {@link JwsRejected} with its reason code.
 * The JWS may start at index `start` of `token` (a code after its prefix): reading it in place
 * spares the verification hot path a sliced string, each of whose characters is read through one
 * more indirection.
 */
export function parseCompactJws(token: unknown, profile: JwsProfile, start = 0): ParsedJws {
  if (typeof token !== 'string' || token.length <= start) reject('MALFORMED', 'the token is not a string');
  const end = token.length;
  if (end - start > profile.maxLength) reject('MALFORMED', 'the token is too long');
  const first = token.indexOf('.', start);
  const second = token.indexOf('.', first + 1);
  if (first <= start || second <= first + 1 || second === end - 1 || token.indexOf('.', second + 1) !== -1) {
    reject('MALFORMED', 'the token is not three non-empty segments');
  }
  const { alg, kid } = checkHeader(token, start, first, profile);
  // Every character from the header on, copied once as bytes (ASCII only: a character above U+007F
  // would be copied as its low byte): the first `length` bytes are the signing input, and the
  // payload and the signature are decoded from the copy, which is faster than from the string. The
  // signature is decoded in place, right after the signing input.
  if (Buffer.byteLength(token, 'utf8') !== end) reject('MALFORMED', 'the token is not ASCII');
  const length = second - start;
  const bytes = Buffer.allocUnsafe(end - start);
  bytes.write(start === 0 ? token : token.slice(start), 0, end - start, 'latin1');
  let payload: Record<string, unknown>;
  const size = b64urlDecodedLength(second - first - 1);
  if (size >= 0 && size <= SCRATCH.length) {
    if (decodeB64urlBytes(bytes, first + 1 - start, length, SCRATCH) !== size)
      reject('MALFORMED', 'the payload is not canonical base64url');
    payload =
      readCompactFlatJson(SCRATCH, size) ??
      jsonOf(
        (SCRATCH_VIEWS[size] ??= new Uint8Array(SCRATCH.buffer, SCRATCH.byteOffset, size)),
        'payload',
        profile.maxDepth,
      );
  } else payload = jsonObject(token, first + 1, second, 'payload', profile.maxDepth);
  // Any length is decoded first: a signature that is not canonical base64url is MALFORMED, one of
  // the wrong length SIGNATURE_INVALID (its bytes always fit: base64url is longer than its bytes).
  const signatureLength = decodeB64urlBytes(bytes, length + 1, end - start, bytes, length);
  if (signatureLength < 0) reject('MALFORMED', 'the signature is not canonical base64url');
  if (signatureLength !== alg.signatureLength)
    reject('SIGNATURE_INVALID', 'the signature has the wrong length');
  // Plain views (no Buffer species lookup): the verifiers read them as bytes.
  const signingInput = new Uint8Array(bytes.buffer, bytes.byteOffset, length);
  const signature = new Uint8Array(bytes.buffer, bytes.byteOffset + length, alg.signatureLength);
  return { alg, kid, payload, signingInput, signature };
}
