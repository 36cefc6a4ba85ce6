/**
 * Self-authenticating trust lists for tests that build a list by hand: {@link selfAuthenticated}
 * gives every province an enrollment key (one per region, made once per test process) and every key
 * the province's signed `key.publish` (and a revoked key its `key.revoke`), signed synchronously
 * with node:crypto so that synchronous list builders stay synchronous. The exchange writes the same
 * thing from the requests it really received.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { thumbprintOf } from '../../functions/core/keys';
import { REQUEST_PROFILE } from '../../functions/core/profiles';
import type { PublicJwk, TrustList, TrustListEnrollmentKey } from '../../functions/core/schemas/types.gen';

interface Enrollment {
  readonly key: PublicJwk;
  readonly privateKey: KeyObject;
}

const enrollments = new Map<string, Enrollment>();

/** The test enrollment key of `region` (ES256, the same for the whole test process). */
export function enrollmentOf(region: string): Enrollment {
  let e = enrollments.get(region);
  if (!e) {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { kty, crv, x, y } = publicKey.export({ format: 'jwk' }) as Record<string, string>;
    const material = { kty, crv, x, y };
    e = { key: { ...material, kid: thumbprintOf(material as never), alg: 'ES256' } as PublicJwk, privateKey };
    enrollments.set(region, e);
  }
  return e;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A request signed (synchronously) with `region`'s test enrollment key. */
export function provinceRequest(federation: string, region: string, body: Record<string, unknown>): string {
  const { key, privateKey } = enrollmentOf(region);
  const header = b64({ alg: 'ES256', kid: key.kid, typ: REQUEST_PROFILE.typ });
  const payload = b64({
    aud: federation,
    iat: 1_700_000_000,
    jti: 'testtesttesttesttesttest',
    region,
    ...body,
  });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

/** `list` with enrollment keys and every key's signed requests filled in (what is there is replaced). */
export function selfAuthenticated(list: TrustList): TrustList {
  return {
    ...list,
    provinces: list.provinces.map((p) => {
      const enrollmentKeys: TrustListEnrollmentKey[] = [{ key: enrollmentOf(p.region).key, from: 0 }];
      return {
        ...p,
        enrollmentKeys,
        keys: p.keys.map((k) => {
          const request = provinceRequest(list.federation, p.region, {
            op: 'key.publish',
            key: { ...k.jwk },
            alg: k.alg,
            notBefore: k.notBefore,
            notAfter: k.notAfter,
          });
          if (k.status !== 'revoked') return { ...k, request };
          const revokeRequest = provinceRequest(list.federation, p.region, {
            op: 'key.revoke',
            kid: k.kid,
            reason: k.reason,
            revokedAt: k.revokedAt,
          });
          return { ...k, request, revokeRequest };
        }),
      };
    }),
  };
}
