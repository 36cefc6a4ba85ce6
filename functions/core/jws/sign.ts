/** Producing compact JWS with any {@link Signer}: header `{alg, kid, typ}`, JSON payload. */
import { encodeB64url } from '../b64';
import type { Signer } from '../signer';

/** Sign `payload` as a compact JWS of type `typ` with `signer` (`kid`: the signer's, unless given). */
export async function signCompactJws(
  signer: Signer,
  typ: string,
  payload: object,
  kid: string = signer.kid,
): Promise<string> {
  const header = encodeB64url(JSON.stringify({ alg: signer.alg, kid, typ }));
  const body = encodeB64url(JSON.stringify(payload));
  const signingInput = `${header}.${body}`;
  const signature = await signer.sign(Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${encodeB64url(signature)}`;
}
