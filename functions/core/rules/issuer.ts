/**
 * Issuer binding: a kid belongs to exactly one province (and a federation key to none). Pure.
 */
import { refused } from './codes';

/** A code's key must be its issuer's: keys are looked up by kid, `(iss, kid)` must match. */
export function keyBelongsToIssuer(key: { readonly region: string }, iss: string): boolean {
  return key.region === iss;
}

/** What the federation already holds under a kid, read before a key may enter it. */
export interface KidHolders {
  /** The federation's own signing kid(s). */
  readonly federationKids: readonly string[];
  /** Whoever holds this exact kid (a province's signing or enrollment key), if anyone. */
  readonly owner?: { readonly kid: string };
  /** Whoever holds a kid with the same short form (what an HCX2 code names), if anyone. */
  readonly shortKidOwner?: { readonly kid: string };
}

/**
 * Whether a new key (signing or enrollment, any province) may take `kid`: not when the federation
 * already knows it for any role (`KEY_ALREADY_KNOWN`), nor when another key has its short kid
 * (`SHORT_KID_TAKEN`), so every kid and every short kid in the trust list names one key of one
 * province. `undefined`: free.
 */
export function kidRefusal(
  kid: string,
  holders: KidHolders,
): 'KEY_ALREADY_KNOWN' | 'SHORT_KID_TAKEN' | undefined {
  if (holders.federationKids.includes(kid) || holders.owner) return refused('KEY_ALREADY_KNOWN');
  if (holders.shortKidOwner && holders.shortKidOwner.kid !== kid) return refused('SHORT_KID_TAKEN');
  return undefined;
}

/**
 * The same rule over a whole list: every province kid (signing and enrollment) appears once, and
 * none is a federation key. A list that breaks it is `INCONSISTENT`.
 */
export function kidsBelongToOneHolder(
  provinceKids: readonly string[],
  federationKids: readonly string[],
): boolean {
  return new Set([...provinceKids, ...federationKids]).size === provinceKids.length + federationKids.length;
}
