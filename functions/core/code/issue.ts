/**
 * Issuing a code: from the provincial system's issue request to the minimal signed claim set.
 * Only the masked name, the ID document type, a slow salted holder binding, the status and the
 * validity leave the node; the ID number, the full name and every other element stay behind.
 *
 * Codes are issued in the current format, HCX2, unless the province is configured for HCX1, the
 * first format, which tools written for it still expect
 * (docs/code-format.md#issuing-hcx1-codes-compatibility-option).
 */
import { randomBytes } from 'node:crypto';
import { encodeB64url } from '../b64';
import { RequestInvalid } from '../errors';
import { bindHolder, holderBindingClaim, LEGACY_HOLDER_BINDING_ALG, type HolderBinding } from '../holder';
import { signCompactJws } from '../jws/sign';
import { shortKid } from '../keys';
import {
  CODE_PREFIX,
  CODE_PROFILE,
  LEGACY_CODE_PREFIX,
  LEGACY_CODE_PROFILE,
  LIMITS,
  type CodeFormat,
} from '../profiles';
import type { CodeClaims, IssueRequest, LegacyCodeClaims } from '../schemas/types.gen';
import type { Signer } from '../signer';

/** A freshly issued code (its claims: `CodeClaims` for HCX2, `LegacyCodeClaims` for HCX1). */
export interface IssuedCode<Claims extends CodeClaims | LegacyCodeClaims = CodeClaims | LegacyCodeClaims> {
  /**
   * The code: `HCX2:` + compact JWS (its QR symbol carries the same JWS as digits: `qrSegments`),
   * or, issued as HCX1, `HCX1:` + compact JWS (its own QR text).
   */
  readonly code: string;
  readonly codeId: string;
  readonly claims: Claims;
  /** The holder binding of `claims.hb`, as the province keeps it. */
  readonly holderBinding: HolderBinding;
}

/** Options for {@link issueCode}. */
export interface IssueOptions {
  /** The issuing province's region code. */
  readonly issuer: string;
  /** Current time in NumericDate seconds (tests pin it). */
  readonly now?: number;
  /** The code's status index (`si`), when the issuer assigns one (docs/scale.md); HCX2 only. */
  readonly statusIndex?: number;
  /** The format to issue in (default HCX2, `DEFAULT_CODE_FORMAT`). */
  readonly format?: CodeFormat;
}

/**
 * Mask a name for display: its first character and two asterisks, whatever its length, so the
 * masked form does not even reveal how long the name is (`张三丰` → `张**`).
 */
export function maskName(name: string): string {
  const first = Array.from(name.trim())[0];
  if (!first) throw new RequestInvalid('holder.name is empty');
  return `${first}**`;
}

/** Build the minimal claim set for `request` (validated against the issue-request schema already). */
export async function buildClaims(
  request: IssueRequest,
  options: IssueOptions,
): Promise<{ claims: CodeClaims | LegacyCodeClaims; holderBinding: HolderBinding }> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const lifetime = request.validitySeconds ?? LIMITS.defaultCodeLifetime;
  if (!Number.isInteger(lifetime) || lifetime <= 0 || lifetime > LIMITS.maxCodeLifetime) {
    throw new RequestInvalid(`validitySeconds must be between 1 and ${LIMITS.maxCodeLifetime}`);
  }
  const { idType, idNumber } = request.holder;
  const window = { iss: options.issuer, jti: encodeB64url(randomBytes(16)), iat: now, exp: now + lifetime };
  if (options.format === 'HCX1') {
    // The HCX1 claim set (schemas/code-claims-v1.json) has no status index: its codes are revoked by id.
    if (options.statusIndex !== undefined) throw new TypeError('an HCX1 code has no status index (si)');
    const holderBinding = await bindHolder(idType, idNumber, LEGACY_HOLDER_BINDING_ALG);
    // In this order, as HCX1 issued them: a version claim, then `hb` as an object.
    const claims = {
      v: 1,
      ...window,
      st: request.status,
      hn: maskName(request.holder.name),
      hb: { alg: holderBinding.alg, salt: holderBinding.salt, tag: holderBinding.tag },
      idt: idType,
    } as LegacyCodeClaims;
    return { claims, holderBinding };
  }
  const holderBinding = await bindHolder(idType, idNumber);
  // Flat, and in this order: the format (HCX2) has no version claim, its `typ` is the marker.
  const claims = {
    ...window,
    st: request.status,
    hn: maskName(request.holder.name),
    hb: holderBindingClaim(holderBinding),
    idt: idType,
    ...(options.statusIndex !== undefined ? { si: options.statusIndex } : {}),
  } as CodeClaims;
  return { claims, holderBinding };
}

/** Issue a code for `request`, signed by `signer`, in `options.format` (default HCX2). */
export async function issueCode(
  signer: Signer,
  request: IssueRequest,
  options: IssueOptions & { readonly format?: 'HCX2' },
): Promise<IssuedCode<CodeClaims>>;
export async function issueCode(
  signer: Signer,
  request: IssueRequest,
  options: IssueOptions,
): Promise<IssuedCode>;
export async function issueCode(
  signer: Signer,
  request: IssueRequest,
  options: IssueOptions,
): Promise<IssuedCode> {
  const { claims, holderBinding } = await buildClaims(request, options);
  // HCX1: `typ` hcx-code+jws and the full thumbprint as kid; HCX2: `typ` hcx2 and the short kid.
  const code =
    options.format === 'HCX1'
      ? `${LEGACY_CODE_PREFIX}${await signCompactJws(signer, LEGACY_CODE_PROFILE.typ, claims)}`
      : `${CODE_PREFIX}${await signCompactJws(signer, CODE_PROFILE.typ, claims, shortKid(signer.kid))}`;
  return { code, codeId: claims.jti, claims, holderBinding };
}
