import { callerOf, callerTag } from '../../functions/core/caller-tag';

describe('callerOf', () => {
  it.each([
    ['198.51.100.7', null, 'ip4:198.51.100.7'],
    ['2001:db8:1:2::1', null, 'ip6:2001:0db8:0001:0002'],
    ['2001:DB8:1:2:ffff:0:0:9', null, 'ip6:2001:0db8:0001:0002'],
    ['2001:db8::', null, 'ip6:2001:0db8:0000:0000'],
    ['::1', null, 'ip6:0000:0000:0000:0000'],
    ['fe80::1%eth0', null, 'ip6:fe80:0000:0000:0000'],
    ['::ffff:198.51.100.7', null, 'ip6:v4:198.51.100.7'],
    ['64:ff9b::198.51.100.7', null, 'ip6:0064:ff9b:0000:0000'],
    ['not an address', null, 'unknown'],
    [undefined, null, 'unknown'],
    [
      '198.51.100.7',
      'arn:aws:iam::123456789012:user/checkpoint',
      'iam:arn:aws:iam::123456789012:user/checkpoint',
    ],
  ])('%s (principal %s) → %s', (ip, principal, expected) => {
    expect(callerOf(ip, principal)).toBe(expected);
  });
});

describe('callerTag', () => {
  const secret = Buffer.alloc(32, 7);
  it('is 128 bits, base64url, stable within a window, different across windows and secrets', () => {
    const tag = callerTag(secret, 'ip4:198.51.100.7', 1_790_000_040);
    expect(tag).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(callerTag(secret, 'ip4:198.51.100.7', 1_790_000_040)).toBe(tag);
    expect(callerTag(secret, 'ip4:198.51.100.7', 1_790_000_100)).not.toBe(tag);
    expect(callerTag(Buffer.alloc(32, 8), 'ip4:198.51.100.7', 1_790_000_040)).not.toBe(tag);
    expect(callerTag(secret, 'ip4:198.51.100.8', 1_790_000_040)).not.toBe(tag);
  });
});
