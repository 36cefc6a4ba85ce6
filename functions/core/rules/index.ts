/**
 * The federation's rules, one pure function each, in one index (docs/contract.md "Federation
 * rules" lists the same). Every place a rule applies calls its function; like jose's
 * `validateClaimsSet`, a rule is never restated inline. Each answers a stable reason code or a
 * verdict; callers turn it into their own error, answer or exit code.
 *
 * | Rule | Function | Applied by |
 * | --- | --- | --- |
 * | Issuer binding: a kid belongs to one province | {@link keyBelongsToIssuer} (`KEY_NOT_FOR_ISSUER`), {@link kidRefusal} (`KEY_ALREADY_KNOWN`, `SHORT_KID_TAKEN`), {@link kidsBelongToOneHolder} (`INCONSISTENT`) | verifyCode's `claimReasons`; the exchange's registration, re-enrollment and key publication; `openTrustList` |
 * | Replay and request authenticity | `verifySignedRequest` (functions/core/signed-request.ts) | the exchange's `authenticate` |
 * | Rollback, fork, freshness of two lists | {@link compareTrustLists} (`NEWER`, `SAME`, `REISSUED_EARLIER`, `ROLLBACK`, `FORK`), {@link isNewer} | `applyDelta`; province sync (delta and full); the replica commit's DynamoDB condition; `hcx trust-list fetch`; the page |
 * | Staleness | {@link isTrustListStale}, {@link trustListAge}, {@link replicaAgeAlarms} | verifyCode (`TRUST_LIST_STALE`); `openTrustList`/`openDelta` (`EXPIRED`); the CLI's summary; the sync handler's age gauge and the replica-age alarm |
 * | Revocation semantics | {@link revocationCovers} (`KEY_REVOKED`), {@link keyRevocationChanges} (`KEY_ALREADY_REVOKED`), {@link revocationLive}, {@link beyondCodeLifetime} | verifyCode; the exchange's key and code revocations and status publications; list pruning |
 * | The exchange's acceptance, per command | {@link decideRegistration}, {@link decideSuspension}, {@link decideReenrollment}, {@link decideResumption}, {@link keyWindowRefusal}, {@link decideKeyPublication}, {@link decideKeyRevocation}, {@link codeRevocationsRefusal}, {@link decideCodeRevocation}, {@link decideProvinceSunset}, {@link decideRetentionChange} | functions/exchange/commands.ts and sunset.ts, over the state read at the log head |
 * | Status publications, per segment and per province | {@link decideSegment} (`SEGMENT_REV_STALE`), {@link segmentShrinks} (`SEGMENT_SHRINKS`), {@link liveSegmentsRefusal} (`STATUS_SEGMENTS_FULL`), {@link patchRefusal} (`SEGMENT_BASE_STALE`, `SEGMENT_CHAIN_FULL`; bound {@link MAX_PATCH_CHAIN}) | functions/exchange/status.ts |
 * | A province's retention policy to publish | {@link decideRetentionPublication} | functions/province/retention.ts, at every sync |
 */
export * from './codes';
export * from './exchange';
export * from './issuer';
export * from './lists';
export * from './revocation';
export * from './status';
export { verifySignedRequest } from '../signed-request';
