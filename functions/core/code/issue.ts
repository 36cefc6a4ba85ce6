/**
 * Issuing a code: from the provincial system's issue request to the minimal signed claim set.
 * Only the masked name, the ID document type, a slow salted holder binding, the status and the
 * validity leave the node; the ID number, the full name and every other element stay behind.
 */
import { randomBytes } from 'node:crypto';
import { encodeB64url } from '../b64';
import { RequestInvalid } from '../errors';
import { bindHolder, holderBindingClaim, type HolderBinding } from '../holder';
import { signCompactJws } from '../jws/sign';
import { shortKid } from '../keys';
import { CODE_PREFIX, CODE_PROFILE, LIMITS } from '../profiles';
import type { CodeClaims, IssueRequest } from '../schemas/types.gen';
import type { Signer } from '../signer';

/** A freshly issued code. */
export interface IssuedCode {
  /** The code: `HCX2:` + compact JWS (its QR symbol carries the same JWS as digits: `qrSegments`). */
  readonly code: string;
  readonly codeId: string;
  readonly claims: CodeClaims;
  /** The holder binding of `claims.hb`, as the province keeps it. */
  readonly holderBinding: HolderBinding;
}

/** Options for {@link issueCode}. */
export interface IssueOptions {
  /** The issuing province's region code. */
  readonly issuer: string;
  /** Current time in NumericDate seconds (tests pin it). */
  readonly now?: number;
  /** The code's status index (`si`), when the issuer assigns one (docs/scale.md). */
  readonly statusIndex?: number;
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
): Promise<{ claims: CodeClaims; holderBinding: HolderBinding }> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const lifetime = request.validitySeconds ?? LIMITS.defaultCodeLifetime;
  if (!Number.isInteger(lifetime) || lifetime <= 0 || lifetime > LIMITS.maxCodeLifetime) {
    throw new RequestInvalid(`validitySeconds must be between 1 and ${LIMITS.maxCodeLifetime}`);
  }
  const holderBinding = await bindHolder(request.holder.idType, request.holder.idNumber);
  // Flat, and in this order: the format (HCX2) has no version claim, its `typ` is the marker.
  const claims = {
    iss: options.issuer,
    jti: encodeB64url(randomBytes(16)),
    iat: now,
    exp: now + lifetime,
    st: request.status,
    hn: maskName(request.holder.name),
    hb: holderBindingClaim(holderBinding),
    idt: request.holder.idType,
    ...(options.statusIndex !== undefined ? { si: options.statusIndex } : {}),
  } as CodeClaims;
  return { claims, holderBinding };
}

/** Issue a code for `request`, signed by `signer`. */
export async function issueCode(
  signer: Signer,
  request: IssueRequest,
  options: IssueOptions,
): Promise<IssuedCode> {
  const { claims, holderBinding } = await buildClaims(request, options);
  const jws = await signCompactJws(signer, CODE_PROFILE.typ, claims, shortKid(signer.kid));
  return { code: `${CODE_PREFIX}${jws}`, codeId: claims.jti, claims, holderBinding };
}
