/**
 * Caps spelled both as a code constant and in a JSON Schema (`maxItems`, `maxLength`, `maximum`)
 * agree: each row names the constant, the schema keyword it must equal (or stay within), and why.
 * A cap changed on one side only fails here. New caps with a schema twin get a row.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CODE_PROFILE, LIMITS, REQUEST_PROFILE, TRUST_LIST_PROFILE } from '../../functions/core/profiles';
import {
  MAX_ENROLLMENT_KEYS,
  MAX_KEYS_PER_PROVINCE,
  MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE,
  MAX_PROVINCES,
} from '../../functions/core/rules/exchange';
import { MAX_PATCH_CHAIN } from '../../functions/core/rules/status';
import { MAX_STATUS_INDEX, SEGMENT_BITS } from '../../functions/core/status/segment';
import { MAX_LIVE_SEGMENTS_PER_PROVINCE } from '../../functions/exchange/status';
import { MAX_CODES_PER_REVOCATION } from '../../functions/province/codes';
import { MAX_SEGMENTS_PER_PUBLICATION } from '../../functions/province/status';
import { routeOf } from '../../functions/routes';

/** The value at `file#pointer` (RFC 6901) in schemas/. */
function schemaValue(ref: string): unknown {
  const [file, pointer] = ref.split('#');
  let node: unknown = JSON.parse(readFileSync(join(__dirname, '../../schemas', file), 'utf8'));
  for (const part of pointer.split('/').slice(1)) {
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

const limit = routeOf('exchange-log').query?.find((q) => q.name === 'limit');
const logLimit = limit?.type === 'integer' ? limit.max : undefined;

/** [constant, its value, schema keyword it equals]. */
const EQUAL: readonly (readonly [string, number | undefined, string])[] = [
  ['GET /v1/log ?limit= max (functions/routes.ts)', logLimit, 'log-page.json#/properties/entries/maxItems'],
  ['MAX_PROVINCES', MAX_PROVINCES, 'province-list.json#/properties/provinces/maxItems'],
  ['MAX_PROVINCES', MAX_PROVINCES, 'trust-list.json#/properties/provinces/maxItems'],
  ['MAX_KEYS_PER_PROVINCE', MAX_KEYS_PER_PROVINCE, 'jwks.json#/properties/keys/maxItems'],
  [
    'MAX_KEYS_PER_PROVINCE',
    MAX_KEYS_PER_PROVINCE,
    'trust-list.json#/$defs/province/properties/keys/maxItems',
  ],
  [
    'MAX_KEYS_PER_PROVINCE (a sunset retires them all)',
    MAX_KEYS_PER_PROVINCE,
    'log-entry.json#/$defs/provinceSunsetData/properties/retired/maxItems',
  ],
  [
    'MAX_ENROLLMENT_KEYS',
    MAX_ENROLLMENT_KEYS,
    'trust-list.json#/$defs/province/properties/enrollmentKeys/maxItems',
  ],
  [
    'MAX_CODES_PER_REVOCATION',
    MAX_CODES_PER_REVOCATION,
    'signed-request.json#/$defs/codeRevoke/properties/codes/maxItems',
  ],
  [
    'MAX_SEGMENTS_PER_PUBLICATION',
    MAX_SEGMENTS_PER_PUBLICATION,
    'signed-request.json#/$defs/statusPublish/properties/segments/maxItems',
  ],
  [
    'MAX_SEGMENTS_PER_PUBLICATION',
    MAX_SEGMENTS_PER_PUBLICATION,
    'log-entry.json#/$defs/statusPublishedData/properties/segments/maxItems',
  ],
  [
    'MAX_SEGMENTS_PER_PUBLICATION',
    MAX_SEGMENTS_PER_PUBLICATION,
    'status-publish-result.json#/properties/segments/maximum',
  ],
  ['SEGMENT_BITS', SEGMENT_BITS, 'signed-request.json#/$defs/statusSegmentContent/properties/count/maximum'],
  ['SEGMENT_BITS', SEGMENT_BITS, 'log-entry.json#/$defs/statusSegmentRef/properties/count/maximum'],
  ['SEGMENT_BITS', SEGMENT_BITS, 'trust-list.json#/$defs/statusSegment/properties/count/maximum'],
  ['SEGMENT_BITS', SEGMENT_BITS, 'signed-request.json#/$defs/statusSegmentPatch/properties/count/maximum'],
  ['MAX_PATCH_CHAIN', MAX_PATCH_CHAIN, 'log-entry.json#/$defs/statusSegmentRef/properties/depth/maximum'],
  ['MAX_PATCH_CHAIN', MAX_PATCH_CHAIN, 'trust-list.json#/$defs/statusSegment/properties/depth/maximum'],
  [
    'largest segment number',
    Math.floor(MAX_STATUS_INDEX / SEGMENT_BITS),
    'signed-request.json#/$defs/statusSegmentNumber/maximum',
  ],
  ['MAX_STATUS_INDEX', MAX_STATUS_INDEX, 'code-claims.json#/properties/si/maximum'],
  [
    'LIMITS.maxCodeLifetime',
    LIMITS.maxCodeLifetime,
    'issue-request.json#/properties/validitySeconds/maximum',
  ],
  [
    'LIMITS.maxCodeLifetime',
    LIMITS.maxCodeLifetime,
    'federation-info.json#/properties/maxCodeLifetimeSeconds/maximum',
  ],
  [
    'LIMITS.maxCodeLifetime',
    LIMITS.maxCodeLifetime,
    'common.json#/$defs/retentionPolicy/properties/maxCodeLifetimeSeconds/maximum',
  ],
  ['CODE_PROFILE.maxLength', CODE_PROFILE.maxLength, 'verification-request.json#/properties/code/maxLength'],
  ['CODE_PROFILE.maxLength', CODE_PROFILE.maxLength, 'issue-response.json#/properties/code/maxLength'],
  ['REQUEST_PROFILE.maxLength', REQUEST_PROFILE.maxLength, 'common.json#/$defs/provinceRequest/maxLength'],
  [
    'TRUST_LIST_PROFILE.maxLength',
    TRUST_LIST_PROFILE.maxLength,
    'federation-sunset.json#/properties/trustList/maxLength',
  ],
];

/** [what, the code's bound, schema keyword it must stay within]: caps the schema rounds up. */
const WITHIN: readonly (readonly [string, number, string])[] = [
  [
    'MAX_PROVINCES x MAX_LIVE_SEGMENTS_PER_PROVINCE',
    MAX_PROVINCES * MAX_LIVE_SEGMENTS_PER_PROVINCE,
    'trust-list.json#/properties/statusSegments/maxItems',
  ],
  [
    'MAX_PROVINCES x MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE',
    MAX_PROVINCES * MAX_LIVE_CODE_REVOCATIONS_PER_PROVINCE,
    'trust-list.json#/properties/codeRevocations/maxItems',
  ],
  [
    'LIMITS.maxKeyLifetime',
    LIMITS.maxKeyLifetime,
    'federation-info.json#/properties/maxKeyLifetimeSeconds/maximum',
  ],
];

describe('caps spelled in code and in the schemas', () => {
  it.each(EQUAL)('%s (%d) equals %s', (_name, value, ref) => {
    // assert
    expect(typeof schemaValue(ref)).toBe('number');
    expect(value).toBe(schemaValue(ref));
  });

  it.each(WITHIN)('%s (%d) stays within %s', (_name, value, ref) => {
    // assert
    expect(typeof schemaValue(ref)).toBe('number');
    expect(value).toBeLessThanOrEqual(schemaValue(ref) as number);
  });
});
