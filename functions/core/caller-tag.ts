/**
 * Who a caller is, for a per-caller limit, without keeping who they are: a caller is its IAM
 * principal when the request was IAM-authorized, else its source address (an IPv6 address by its
 * /64 prefix, which one subscriber typically holds whole: counting single IPv6 addresses would let
 * one caller count as 2^64). What is stored is never the address but {@link callerTag}: an HMAC of
 * the caller and the window under a node secret, truncated to 128 bits. Without the secret the tag
 * cannot be tested against candidate addresses (the IPv4 space is small enough to enumerate, which
 * is why a plain hash would not do), and the window in the MAC makes the tags of one caller in two
 * windows unlinkable. Pure: node:crypto only.
 */
import { createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { encodeB64url } from './b64';

/**
 * The partition-key prefix of the per-caller counters in a province table (the stack lets the verify
 * function update only items whose key starts with it: `dynamodb:LeadingKeys`).
 */
export const CALLER_PK_PREFIX = 'CALLER#';

/** The caller identity the limit counts (never stored or logged as such). */
export function callerOf(sourceIp: string | undefined, principal: string | null | undefined): string {
  if (principal) return `iam:${principal}`;
  const ip = (sourceIp ?? '').trim();
  const family = isIP(ip);
  if (family === 6) return `ip6:${ipv6Prefix64(ip)}`;
  if (family === 4) return `ip4:${ip}`;
  // No usable address (not seen from API Gateway): one shared caller, limited together.
  return 'unknown';
}

/** The first four groups (the /64 prefix) of an IPv6 address, expanded; an IPv4-mapped one as IPv4. */
function ipv6Prefix64(ip: string): string {
  const lower = ip.toLowerCase().replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return `v4:${mapped[1]}`;
  const [head, tail] = lower.includes('::') ? lower.split('::') : [lower, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // A trailing embedded IPv4 (a.b.c.d) takes two groups; it is past the /64 prefix anyway.
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(Math.max(0, 8 - width(left) - width(right))).fill('0'), ...right];
  return groups
    .slice(0, 4)
    .map((g) => g.padStart(4, '0'))
    .join(':');
}

/** The stored tag of `caller` in the window starting at `windowStart` (epoch seconds). */
export function callerTag(secret: Uint8Array, caller: string, windowStart: number): string {
  const mac = createHmac('sha256', secret).update(`hcx-caller-limit\n${windowStart}\n${caller}`).digest();
  return encodeB64url(mac.subarray(0, 16));
}
