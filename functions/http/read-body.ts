/**
 * `readBody({ types, maxBytes })`: turns the raw payload 2.0 body into `event.parsed`, refusing
 * before the handler runs: an unlisted content type (415), a body over the cap, measured in bytes
 * before anything is decoded or parsed (413), invalid UTF-8 (400), and for JSON anything
 * `parseStrictJson` refuses (duplicate or prototype keys, too deep: 400). A missing body is a 400.
 */
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MediaTypeUnsupported, RequestInvalid, RequestTooLarge } from '../core/errors';
import { parseStrictJson } from '../core/json';
import { header, type HttpEvent } from './event';

/** Body content types a route may take. */
export type BodyType = 'application/json' | 'application/jose';

/** Options of {@link readBody}. */
export interface ReadBodyOptions {
  /** Accepted content types (parameters such as `charset` are ignored). */
  readonly types: readonly BodyType[];
  /** Largest accepted body in bytes, after base64 decoding (default 16 KiB). */
  readonly maxBytes?: number;
  /** Deepest JSON nesting accepted (default: `parseStrictJson`'s, 16). */
  readonly maxDepth?: number;
}

/** Default body cap: 16 KiB. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;

const KNOWN_TYPES: ReadonlySet<string> = new Set<BodyType>(['application/json', 'application/jose']);
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `application/json; charset=utf-8` -> `application/json`. */
export function mediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  return contentType.split(';', 1)[0].trim().toLowerCase();
}

/** Base64 body length once decoded, computed without decoding (so the cap holds before any work). */
function decodedBase64Length(b64: string): number {
  const len = b64.length;
  const padding = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return Math.floor((len * 3) / 4) - padding;
}

/** The raw body bytes, refusing a body over `maxBytes` before decoding it. */
function bodyBytes(event: { body?: string; isBase64Encoded?: boolean }, maxBytes: number): Uint8Array {
  const body = event.body ?? '';
  if (event.isBase64Encoded) {
    if (decodedBase64Length(body) > maxBytes) throw new RequestTooLarge();
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new RequestInvalid('The body is not valid base64');
    }
    return Buffer.from(body, 'base64');
  }
  // A JS string of n UTF-16 units is at most 3n UTF-8 bytes and at least n: check cheaply first.
  if (body.length > maxBytes) throw new RequestTooLarge();
  if (body.length * 3 > maxBytes && Buffer.byteLength(body, 'utf8') > maxBytes) throw new RequestTooLarge();
  if (!body.isWellFormed()) throw new RequestInvalid('The body is not valid UTF-8');
  return Buffer.from(body, 'utf8');
}

/** Middleware: check, cap, decode and parse the request body into `event.parsed`. */
export function readBody(opts: ReadBodyOptions): MiddlewareObj<APIGatewayProxyEventV2> {
  const options = { maxBytes: DEFAULT_MAX_BODY_BYTES, ...opts };
  if (!Array.isArray(options.types) || options.types.length === 0) {
    throw new TypeError('readBody: types must list at least one content type');
  }
  for (const t of options.types) {
    if (!KNOWN_TYPES.has(t)) throw new TypeError(`readBody: unsupported content type ${String(t)}`);
  }
  if (!Number.isInteger(options.maxBytes) || options.maxBytes <= 0) {
    throw new TypeError('readBody: maxBytes must be a positive integer');
  }

  const readBodyMiddlewareBefore = (request: Request<APIGatewayProxyEventV2>): void => {
    const event = request.event as HttpEvent;
    const type = mediaType(header(event, 'content-type'));
    if (type === undefined || !options.types.includes(type as BodyType)) {
      throw new MediaTypeUnsupported(`Expected ${options.types.join(' or ')}`);
    }
    const bytes = bodyBytes(event, options.maxBytes);
    if (bytes.length === 0) throw new RequestInvalid('A request body is required');
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new RequestInvalid('The body is not valid UTF-8');
    }
    if (type === 'application/json') {
      event.parsed = parseStrictJson(
        text,
        options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth },
      );
    } else {
      const trimmed = text.trim();
      if (trimmed === '') throw new RequestInvalid('A request body is required');
      event.parsed = trimmed;
    }
  };

  return { name: 'readBody', before: readBodyMiddlewareBefore };
}
