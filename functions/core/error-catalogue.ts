/**
 * The closed catalogue of every code hcx answers or logs with: each code once, with its HTTP
 * status, its public title and what it means. `HcxError` and its subclasses (./errors.ts) take a
 * code of this catalogue and derive status, title and retryability from it, so a code is never
 * spelled with a status anywhere else; the contract's Errors section (docs/contract.md) is generated
 * from it (`npm run build:errors`, checked by `npm run check:errors`), and
 * test/core/error-catalogue.test.ts checks that the catalogue and the code base use the same codes.
 *
 * Adding a code: add it here (the union types follow), run `npm run build:errors`, use it.
 * Pure data: no imports, no I/O.
 */

/** One problem code: what the caller sees (`status`, `title`) and what it means. */
export interface ErrorSpec {
  /** HTTP status of the RFC 9457 answer. */
  readonly status: number;
  /** Public, caller-safe title (the problem's `title`). */
  readonly title: string;
  /** One line for the contract: when the code is answered. */
  readonly meaning: string;
  /** A client may retry the same request later (a 503 also carries `Retry-After`). */
  readonly retryable?: boolean;
}

/** Every problem `code` of an hcx answer (RFC 9457 `code`; `type` is its kebab-case URI). */
export const ERRORS = {
  // Requests
  REQUEST_INVALID: {
    status: 400,
    title: 'The request is not valid',
    meaning: 'The body or a parameter does not match its schema or limits; `detail` says which.',
  },
  MALFORMED: {
    status: 400,
    title: 'The JWS is malformed',
    meaning: 'A compact JWS is not well formed (segments, base64url, JSON, typ, kid).',
  },
  UNSUPPORTED_ALG: {
    status: 400,
    title: 'The JWS algorithm is not supported',
    meaning: 'A JWS names an algorithm its profile does not allow.',
  },
  FORBIDDEN_HEADER: {
    status: 400,
    title: 'The JWS has a forbidden header',
    meaning: 'A JWS header carries a member hcx never accepts (jwk, jku, x5c, crit, b64, zip…).',
  },
  SIGNATURE_INVALID: {
    status: 400,
    title: 'The JWS signature is not valid',
    meaning: 'A JWS signature is not of the size or encoding of its algorithm.',
  },
  KEY_REJECTED: {
    status: 400,
    title: 'The key is not acceptable',
    meaning:
      'A key offered for publication is refused at intake; `detail` starts with the key reason (below).',
  },
  RETENTION_EXCEEDED: {
    status: 400,
    title: "The code would outlive the province's retention policy",
    meaning: "`validitySeconds` is longer than the province's retention policy allows.",
  },
  UNAUTHORIZED: {
    status: 401,
    title: 'Authentication failed',
    meaning: 'A signed request or a bearer token is not authentic; the precise reason is only logged.',
  },
  FORBIDDEN: {
    status: 403,
    title: 'Not allowed',
    meaning: 'The caller is authenticated but its role may not call this route.',
  },
  ERASURE_NOT_ALLOWED: {
    status: 403,
    title: "The province's retention policy does not allow erasure",
    meaning: 'The province keeps its records until the code expires; erasure on request is off.',
  },
  NOT_FOUND: {
    status: 404,
    title: 'Not found',
    meaning: 'No route has this path, or the named resource does not exist.',
  },
  DELTA_UNAVAILABLE: {
    status: 404,
    title: 'No delta is published from this version',
    meaning:
      '`GET /v1/trust-list?since=` names a version no stored delta starts from (never published, or expired): fetch the full list.',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    title: 'Method not allowed',
    meaning: 'The path exists with other methods (listed in `Allow`).',
  },
  // Conflicts with the state of the federation or the node
  PROVINCE_EXISTS: {
    status: 409,
    title: 'The province is already registered',
    meaning: 'A province is registered twice.',
  },
  FEDERATION_FULL: {
    status: 409,
    title: 'The federation has no room for another province',
    meaning: 'The federation already has as many provinces as it allows.',
  },
  KEY_ALREADY_KNOWN: {
    status: 409,
    title: 'The key is already known to the federation',
    meaning: 'A key (or an enrollment key) is published twice.',
  },
  SHORT_KID_TAKEN: {
    status: 409,
    title:
      'Another key of the federation has the same short kid (the first 11 characters of its thumbprint): generate a new key',
    meaning: "The new key's short kid collides with another key's: generate another key.",
  },
  TOO_MANY_KEYS: {
    status: 409,
    title: 'The province has published too many keys',
    meaning: 'The province reached the number of keys the federation allows.',
  },
  KEY_ALREADY_REVOKED: {
    status: 409,
    title: 'The key is already revoked',
    meaning: 'A key is revoked twice.',
  },
  ISSUER_KEY_NOT_HELD: {
    status: 409,
    title: 'This node holds no issuer key with that kid',
    meaning: 'Key rotation step 3 names a key the node does not hold.',
  },
  KEY_NOT_VISIBLE: {
    status: 409,
    title:
      "The key is not an active key of this province in the node's trust list: publish it and wait for a sync",
    meaning: "The key is not yet active in the node's trust list: publish it and wait for a sync.",
    retryable: true,
  },
  CODE_REVOCATIONS_FULL: {
    status: 409,
    title: 'The province holds too many revocations by code id',
    meaning: 'The province reached its live revocations by code id: revoke by status index instead.',
  },
  SEGMENT_REV_STALE: {
    status: 409,
    title: 'A newer revision of the segment is already published',
    meaning: 'A status publication carries a segment revision older than the one held.',
  },
  STATUS_SEGMENTS_FULL: {
    status: 409,
    title: 'The province has too many live status segments',
    meaning: 'The province reached the number of live status segments the federation allows.',
  },
  SEGMENT_SHRINKS: {
    status: 409,
    title: 'A status publication may not undo a revocation',
    meaning: 'A new segment revision expires earlier or does not cover every revocation of the one held.',
  },
  SEGMENT_BASE_STALE: {
    status: 409,
    title: 'The segment patch is not based on the revision held',
    meaning:
      'A segment patch names a base (revision, digest, batch) that is not the live revision the exchange holds: publish the full segment.',
  },
  SEGMENT_CHAIN_FULL: {
    status: 409,
    title: 'The segment has as many patches as allowed since its last full publication',
    meaning:
      'A segment patch would make the chain of patches since the last full publication longer than MAX_PATCH_CHAIN: publish the full segment.',
  },
  SEGMENT_PATCH_MISMATCH: {
    status: 400,
    title: 'The segment patch does not give the content it commits to',
    meaning:
      'Applying a segment patch to its base does not give its count and digest, or it adds an offset the base already holds.',
  },
  PROVINCE_NOT_SUSPENDED: {
    status: 409,
    title: 'The province is not suspended',
    meaning: 'Only a suspended province can be re-enrolled (suspend it first).',
  },
  TOO_MANY_ENROLLMENT_KEYS: {
    status: 409,
    title: 'The province has had too many enrollment keys',
    meaning: 'A re-enrollment would pass the number of enrollment keys a trust list holds per province.',
  },
  PROVINCE_SUNSET: {
    status: 410,
    title: 'This province has ended its health-code service (sunset)',
    meaning: 'The province node is sunset: it issues and revokes nothing any more.',
  },
  FEDERATION_SUNSET: {
    status: 410,
    title: 'The federation has ended (sunset)',
    meaning: 'The federation is sunset: the exchange accepts no more changes.',
  },
  REQUEST_TOO_LARGE: {
    status: 413,
    title: 'The request body is too large',
    meaning: "The body is larger than the route's cap.",
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    title: 'Unsupported content type',
    meaning: 'The body has a content type the route does not take.',
  },
  // Failures on the server side or of a dependency
  INTERNAL: {
    status: 500,
    title: 'Internal error',
    meaning: 'A bug or a misconfiguration; nothing more is shown.',
  },
  SEGMENT_BASE_UNREADABLE: {
    status: 500,
    title: 'The exchange cannot rebuild the segment revision it holds',
    meaning:
      'A stored link of the content of the held revision is missing or does not give its digest: the publication is refused and nothing is written (an operator restores the item).',
  },
  SIGNATURE_ENCODING_INVALID: {
    status: 500,
    title: 'The signature is not a strict DER ECDSA signature',
    meaning: 'The signing service (KMS) answered a signature that is not strict DER.',
  },
  NOT_IMPLEMENTED: {
    status: 501,
    title: 'Not implemented in this runtime',
    meaning: 'The embedded runtime has no handler for this route.',
  },
  TRUST_LIST_REJECTED: {
    status: 502,
    title: 'The trust list was refused',
    meaning: 'A trust list or delta from the exchange failed a check (trust-list reason below, logged).',
  },
  EXCHANGE_REFUSED: {
    status: 502,
    title: 'The exchange refused the request',
    meaning: 'The exchange answered a province node with a 4xx or an unusable answer.',
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    title: 'Temporarily unavailable, retry later',
    meaning: 'A dependency (DynamoDB, KMS, S3) is throttled or down.',
    retryable: true,
  },
  EXCHANGE_UNAVAILABLE: {
    status: 503,
    title: 'The exchange is unreachable, retry later',
    meaning: 'A province node could not reach the exchange, or it answered 5xx.',
    retryable: true,
  },
  HOLDER_CHECK_BUSY: {
    status: 503,
    title: 'Too many holder checks in progress, retry later',
    meaning:
      "The node's bounded holder checks (scrypt) are all taken and its queue is full; see `Retry-After`.",
    retryable: true,
  },
  APPEND_LANE_BUSY: {
    status: 503,
    title: "Too many of this caller's changes are in flight, retry later",
    meaning:
      'The province (or operator) already has the most appends in flight at the exchange, across all its instances; see `Retry-After`. Only the sender of the many requests waits.',
    retryable: true,
  },
  HOLDER_CHECKS_PER_CALLER: {
    status: 429,
    title: 'Too many holder checks from this caller, retry later',
    meaning:
      'This caller (a keyed hash of its address or IAM principal) ran the most holder checks a window allows; see `Retry-After`.',
    retryable: true,
  },
  DEADLINE_EXCEEDED: {
    status: 504,
    title: 'The request ran out of time; retry it',
    meaning: "The invocation's time was up before its next write; nothing further was started.",
    retryable: true,
  },
  GATEWAY_TIMEOUT: {
    status: 504,
    title: 'The service did not answer in time',
    meaning: 'The embedded runtime stopped waiting for a handler.',
  },
} as const satisfies Record<string, ErrorSpec>;

/** A problem code of {@link ERRORS}. */
export type ErrorCode = keyof typeof ERRORS;

/** The codes of {@link ERRORS} answered with HTTP status `S`. */
export type ErrorCodeWithStatus<S extends number> = {
  [K in ErrorCode]: (typeof ERRORS)[K]['status'] extends S ? K : never;
}[ErrorCode];

/** Every problem code, in catalogue order. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/** Reason codes of a verification result (docs/contract.md, "Verification result"). */
export const VERIFICATION_REASONS = {
  MALFORMED: 'The code is not a well-formed HCX1/HCX2 code or compact JWS.',
  UNSUPPORTED_ALG: 'The code is signed with an algorithm the federation does not allow.',
  FORBIDDEN_HEADER: 'The code carries a JWS header member hcx never accepts.',
  UNKNOWN_KEY: 'No key of the trust list has the kid of the code.',
  KEY_NOT_FOR_ISSUER: 'The signing key belongs to another province than the code names.',
  KEY_REVOKED: 'The signing key was revoked.',
  KEY_NOT_VALID_AT_ISSUANCE: 'The code was issued outside its key’s validity.',
  SIGNATURE_INVALID: 'The signature does not verify.',
  CLAIMS_INVALID: 'The claims do not follow the code schema.',
  NOT_YET_VALID: 'The code is not valid yet.',
  EXPIRED: 'The code has expired.',
  CODE_REVOKED: 'The issuing province revoked the code.',
  HOLDER_MISMATCH: 'The presented document does not match the holder binding.',
  ISSUER_SUSPENDED: 'The issuing province is suspended.',
  TRUST_LIST_STALE: 'The trust list the decision used is older than allowed (indeterminate).',
  ISSUER_SUNSET: 'The issuing province ended its service.',
  FEDERATION_SUNSET: 'The federation has ended: every code, first and alone.',
} as const satisfies Record<string, string>;

/** Why a trust list, a delta or a log entry was refused (`TrustListRejected.reason`, the sync's error). */
export const TRUST_LIST_REASONS = {
  TOO_LARGE: 'The list, delta or answer is larger, or has more entries, than allowed.',
  MALFORMED: 'The list is not a well-formed signed document.',
  SIGNATURE_INVALID: 'The list signature does not verify.',
  UNKNOWN_KEY: 'The list is not signed by a federation key.',
  FEDERATION_KEYS_INVALID: 'The federation JWKS configured is not usable.',
  FEDERATION_MISMATCH: 'The list or delta belongs to another federation.',
  SCHEMA_INVALID: 'The list or delta does not follow its schema.',
  NOT_YET_VALID: 'The list is issued in the future, or expires before it is issued.',
  EXPIRED: 'The list or delta has expired.',
  INCONSISTENT: 'The list names a province or a key twice.',
  ROLLBACK: 'The list or delta is older than the one held.',
  FORK: 'The list disagrees with the one held at the same version, or its log does not chain.',
  GAP: 'The delta or log entries do not start where the list held ends.',
  BAD_HASH: 'A log entry does not match its hash.',
  INVALID_ENTRY: 'A log entry cannot apply to the state (unknown province, key known twice…).',
  PROVINCE_SIGNATURE_INVALID: 'A log entry does not carry a valid request signed by its province.',
  SEGMENT_MISSING: 'A status segment the list names is not held.',
  BATCH_MISMATCH: 'A status batch does not hold, or does not match, the segment the list names.',
  NOT_PUBLISHED:
    'A static artefact (list, delta or status batch) is not on the static site, or the site did not answer: asked from the exchange API instead.',
} as const satisfies Record<string, string>;

/** Why a key was refused at intake (`KeyRejected.reason`; the public `detail` starts with it). */
export const KEY_REASONS = {
  NOT_A_JWK: 'The key is not a JWK object (or the KMS public key is not valid SPKI).',
  PRIVATE_MEMBER: 'The key carries private key material.',
  NOT_PRIVATE: 'A private key file holds no private key.',
  UNSUPPORTED_KEY_TYPE: 'Not an EC P-256, EC SM2 or OKP Ed25519 key.',
  UNSUPPORTED_ALG: 'The algorithm named is not supported.',
  ALG_MISMATCH: 'The key does not belong to the algorithm stated.',
  UNEXPECTED_MEMBER: 'The key has a member a public signing key does not have.',
  MISSING_MEMBER: 'The key lacks a required member.',
  WRONG_USE: 'The key is not for signatures (`use`, `key_ops`).',
  KID_MISMATCH: 'The kid is not the RFC 7638 thumbprint of the key.',
  KEY_MISMATCH: 'The private key does not belong to the public key.',
  BAD_COORDINATE: 'A coordinate is not a 32-byte base64url value.',
  NOT_ON_CURVE: 'The point is not on the curve (or a coordinate is not below the field prime).',
  NON_CANONICAL: 'The Ed25519 key is not a canonical point encoding.',
  SMALL_ORDER: 'The Ed25519 key has small order.',
  MIXED_ORDER: 'The Ed25519 key is not in the prime-order subgroup.',
  BAD_VALIDITY: '`notAfter` is not after `notBefore`.',
  LIFETIME_TOO_LONG: 'The key lifetime is longer than the federation allows.',
  NOT_BEFORE_IN_PAST: '`notBefore` is in the past.',
  NOT_BEFORE_TOO_FAR: '`notBefore` is too far in the future.',
} as const satisfies Record<string, string>;

/** Why a request was not authentic (`AuthenticationFailed.reason`): logged only, the caller sees 401. */
export const AUTHENTICATION_REASONS = {
  JWS_MALFORMED: 'The signed request is not a well-formed request JWS.',
  JWS_UNSUPPORTED_ALG: 'The signed request names an algorithm the profile does not allow.',
  JWS_FORBIDDEN_HEADER: 'The signed request carries a forbidden JWS header member.',
  JWS_SIGNATURE_INVALID: 'The signed request signature has the wrong size or encoding.',
  UNKNOWN_PROVINCE: 'No province is registered for the path region.',
  KID_MISMATCH: 'The request is not signed with the enrollment key of the path region.',
  ALG_MISMATCH: "The request algorithm is not the enrollment key's.",
  SIGNATURE_INVALID: 'The request signature does not verify.',
  WRONG_AUDIENCE: 'The request is for another federation.',
  STALE: '`iat` is more than the clock skew away from now.',
  OP_MISMATCH: 'The request is for another operation than the route.',
  REGION_MISMATCH: 'The payload region is not the path region.',
  PROVINCE_SUSPENDED: 'The province is suspended or sunset.',
  PROVINCE_NOT_ACTIVE: 'The province is not active any more when the change is applied.',
  BAD_NONCE: '`jti` is missing or not a nonce.',
  REPLAY: '`jti` was used already.',
  BEARER_TOKEN_INVALID: 'The embedded runtime’s bearer token is missing or wrong.',
} as const satisfies Record<string, string>;

/** Why a deletion report was refused (`DeletionReportRejected.reason`, the CLI's `REPORT_*`). */
export const DELETION_REPORT_REASONS = {
  MALFORMED: 'The report is not a deletion report JWS.',
  UNKNOWN_KEY: 'No key given has the kid of the report.',
  SIGNATURE_INVALID: 'The report signature is malformed or does not verify.',
  SCHEMA_INVALID: 'The report does not follow its schema.',
} as const satisfies Record<string, string>;

export type VerificationReason = keyof typeof VERIFICATION_REASONS;
export type TrustListReason = keyof typeof TRUST_LIST_REASONS;
export type KeyReason = keyof typeof KEY_REASONS;
export type AuthenticationReason = keyof typeof AUTHENTICATION_REASONS;
export type DeletionReportReason = keyof typeof DELETION_REPORT_REASONS;

/** The reasons a compact JWS parse refuses with: verification reasons that are also problem codes (400). */
export const JWS_REASONS = [
  'MALFORMED',
  'UNSUPPORTED_ALG',
  'FORBIDDEN_HEADER',
  'SIGNATURE_INVALID',
] as const satisfies readonly Extract<ErrorCode, VerificationReason>[];
export type JwsReason = (typeof JWS_REASONS)[number];

/** Every reason list: the error (or answer) that carries it and where a reason is seen. */
export const REASON_CATALOGUES = [
  {
    carrier: 'Verification result',
    seen: '`reasons[].code` of `POST /v1/codes/verify` and of offline verification',
    reasons: VERIFICATION_REASONS,
  },
  {
    carrier: 'KeyRejected',
    seen: 'public: the `detail` of `400 KEY_REJECTED` starts with it',
    reasons: KEY_REASONS,
  },
  {
    carrier: 'TrustListRejected',
    seen: "a node's last sync result (`GET /v1/registry`), the CLI, the logs (the problem is `502 TRUST_LIST_REJECTED`)",
    reasons: TRUST_LIST_REASONS,
  },
  {
    carrier: 'AuthenticationFailed',
    seen: 'the logs only: the caller always gets the same `401 UNAUTHORIZED`',
    reasons: AUTHENTICATION_REASONS,
  },
  {
    carrier: 'DeletionReportRejected',
    seen: '`hcx sunset verify` (`reason` of its answer, exit 1)',
    reasons: DELETION_REPORT_REASONS,
  },
] as const satisfies readonly { carrier: string; seen: string; reasons: Record<string, string> }[];
