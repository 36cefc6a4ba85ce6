/**
 * The schema documents of schemas/ (the single source of truth) and the `$id` of every schema a
 * validator exists for. Only the OpenAPI builder, the validator generator and the tests need the
 * documents; handlers validate with the precompiled functions of validators.gen.ts.
 */
import activeKeySchema from '../../../schemas/active-key.json';
import legacyCodeClaimsSchema from '../../../schemas/code-claims-v1.json';
import codeClaimsSchema from '../../../schemas/code-claims.json';
import codeHeaderSchema from '../../../schemas/code-header.json';
import codeRecordSchema from '../../../schemas/code-record.json';
import codeRevocationsResultSchema from '../../../schemas/code-revocations-result.json';
import commonSchema from '../../../schemas/common.json';
import deletionReportSchema from '../../../schemas/deletion-report.json';
import exchangeProvinceRetentionSchema from '../../../schemas/exchange-province-retention.json';
import exchangeProvinceSunsetSchema from '../../../schemas/exchange-province-sunset.json';
import federationInfoSchema from '../../../schemas/federation-info.json';
import federationSunsetSchema from '../../../schemas/federation-sunset.json';
import idDocumentSchema from '../../../schemas/id-document.json';
import issueRequestSchema from '../../../schemas/issue-request.json';
import issueResponseSchema from '../../../schemas/issue-response.json';
import jwksSchema from '../../../schemas/jwks.json';
import logEntrySchema from '../../../schemas/log-entry.json';
import logPageSchema from '../../../schemas/log-page.json';
import nationalitySchema from '../../../schemas/nationality.json';
import problemDetailsSchema from '../../../schemas/problem-details.json';
import provinceListSchema from '../../../schemas/province-list.json';
import provinceReenrollmentSchema from '../../../schemas/province-reenrollment.json';
import provinceRegistrationSchema from '../../../schemas/province-registration.json';
import provinceResumptionSchema from '../../../schemas/province-resumption.json';
import provinceSuspensionSchema from '../../../schemas/province-suspension.json';
import provinceSunsetSchema from '../../../schemas/province-sunset.json';
import provinceSchema from '../../../schemas/province.json';
import publicJwkSchema from '../../../schemas/public-jwk.json';
import publishedKeySchema from '../../../schemas/published-key.json';
import regionSchema from '../../../schemas/region.json';
import registryStatusSchema from '../../../schemas/registry-status.json';
import revokedKeySchema from '../../../schemas/revoked-key.json';
import sexSchema from '../../../schemas/sex.json';
import signedRequestSchema from '../../../schemas/signed-request.json';
import statusPublishResultSchema from '../../../schemas/status-publish-result.json';
import trustListDeltaSchema from '../../../schemas/trust-list-delta.json';
import trustListSchema from '../../../schemas/trust-list.json';
import verificationRequestSchema from '../../../schemas/verification-request.json';
import verificationResultSchema from '../../../schemas/verification-result.json';

const BASE = 'https://hcx.example/schemas/';

/** `$id` of every schema (and of the fragments worth validating on their own, e.g. path parameters). */
export const SCHEMA_IDS = {
  common: `${BASE}common.json`,
  region: `${BASE}region.json`,
  provinceRegion: `${BASE}region.json#/$defs/province`,
  sex: `${BASE}sex.json`,
  nationality: `${BASE}nationality.json`,
  idDocument: `${BASE}id-document.json`,
  idType: `${BASE}id-document.json#/$defs/idType`,
  kid: `${BASE}common.json#/$defs/thumbprint`,
  codeId: `${BASE}common.json#/$defs/codeId`,
  issueRequest: `${BASE}issue-request.json`,
  issueResponse: `${BASE}issue-response.json`,
  codeHeader: `${BASE}code-header.json`,
  codeClaims: `${BASE}code-claims.json`,
  legacyCodeClaims: `${BASE}code-claims-v1.json`,
  shortKid: `${BASE}common.json#/$defs/shortKid`,
  verificationRequest: `${BASE}verification-request.json`,
  verificationResult: `${BASE}verification-result.json`,
  publicJwk: `${BASE}public-jwk.json`,
  jwks: `${BASE}jwks.json`,
  trustList: `${BASE}trust-list.json`,
  trustListDelta: `${BASE}trust-list-delta.json`,
  logEntry: `${BASE}log-entry.json`,
  logPage: `${BASE}log-page.json`,
  signedRequest: `${BASE}signed-request.json`,
  keyPublishRequest: `${BASE}signed-request.json#/$defs/keyPublish`,
  keyRevokeRequest: `${BASE}signed-request.json#/$defs/keyRevoke`,
  codeRevokeRequest: `${BASE}signed-request.json#/$defs/codeRevoke`,
  provinceRegistration: `${BASE}province-registration.json`,
  province: `${BASE}province.json`,
  provinceList: `${BASE}province-list.json`,
  federationInfo: `${BASE}federation-info.json`,
  problemDetails: `${BASE}problem-details.json`,
  codeRecord: `${BASE}code-record.json`,
  codeRevocationsResult: `${BASE}code-revocations-result.json`,
  provinceSuspension: `${BASE}province-suspension.json`,
  publishedKey: `${BASE}published-key.json`,
  registryStatus: `${BASE}registry-status.json`,
  revokedKey: `${BASE}revoked-key.json`,
  statusPublishResult: `${BASE}status-publish-result.json`,
  deletionReport: `${BASE}deletion-report.json`,
  provinceSunsetRequest: `${BASE}signed-request.json#/$defs/provinceSunset`,
  retentionPolicy: `${BASE}common.json#/$defs/retentionPolicy`,
  exchangeProvinceRetention: `${BASE}exchange-province-retention.json`,
  exchangeProvinceSunset: `${BASE}exchange-province-sunset.json`,
  provinceRetentionRequest: `${BASE}signed-request.json#/$defs/provinceRetention`,
  federationSunset: `${BASE}federation-sunset.json`,
  provinceSunset: `${BASE}province-sunset.json`,
  activeKey: `${BASE}active-key.json`,
  provinceReenrollment: `${BASE}province-reenrollment.json`,
  provinceResumption: `${BASE}province-resumption.json`,
} as const;

/** Every schema document, in file-name order (for the OpenAPI builder and the tests). */
export const SCHEMA_DOCUMENTS: readonly Readonly<Record<string, unknown>>[] = [
  activeKeySchema,
  legacyCodeClaimsSchema,
  codeClaimsSchema,
  codeHeaderSchema,
  codeRecordSchema,
  codeRevocationsResultSchema,
  commonSchema,
  deletionReportSchema,
  exchangeProvinceRetentionSchema,
  exchangeProvinceSunsetSchema,
  federationInfoSchema,
  federationSunsetSchema,
  idDocumentSchema,
  issueRequestSchema,
  issueResponseSchema,
  jwksSchema,
  logEntrySchema,
  logPageSchema,
  nationalitySchema,
  problemDetailsSchema,
  provinceListSchema,
  provinceReenrollmentSchema,
  provinceRegistrationSchema,
  provinceResumptionSchema,
  provinceSunsetSchema,
  provinceSuspensionSchema,
  provinceSchema,
  publicJwkSchema,
  publishedKeySchema,
  regionSchema,
  registryStatusSchema,
  revokedKeySchema,
  sexSchema,
  signedRequestSchema,
  statusPublishResultSchema,
  trustListDeltaSchema,
  trustListSchema,
  verificationRequestSchema,
  verificationResultSchema,
];
