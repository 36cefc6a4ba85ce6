/**
 * `Buffer` in the page: the `buffer` package (Node's Buffer API for browsers) with the one encoding
 * it lacks, base64url, which the core's strict decoder (functions/core/b64.ts) uses. Decoding goes
 * through the package's base64 decoder, whose alphabet already takes `-` and `_` and which, like
 * Node's, drops characters outside it (and everything from a `=` on); b64.ts's checks then refuse
 * anything but canonical base64url, exactly as on the server.
 */
import { Buffer } from 'buffer';

type FromArgs = Parameters<typeof Buffer.from>;
const from = Buffer.from.bind(Buffer) as (...args: unknown[]) => Buffer;
(Buffer as unknown as { from: (...args: unknown[]) => Buffer }).from = (...args: unknown[]) =>
  typeof args[0] === 'string' && args[1] === 'base64url'
    ? from(args[0], 'base64')
    : from(...(args as FromArgs));

const write = Buffer.prototype.write as (this: Buffer, ...args: unknown[]) => number;
(Buffer.prototype as unknown as { write: (...args: unknown[]) => number }).write = function (
  this: Buffer,
  ...args: unknown[]
): number {
  return write.apply(
    this,
    args.map((a) => (a === 'base64url' ? 'base64' : a)),
  );
};

const toString = Buffer.prototype.toString;
Buffer.prototype.toString = function (this: Buffer, encoding?: string, start?: number, end?: number): string {
  if (encoding !== 'base64url') return toString.call(this, encoding as BufferEncoding, start, end);
  return toString.call(this, 'base64', start, end).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

export { Buffer };
