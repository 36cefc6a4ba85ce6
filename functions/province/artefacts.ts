/**
 * Fetching a signed artefact (the full list, a delta, a status batch) the way nodes and offline
 * clients do (docs/exchange.md, "Static artefacts"): from the exchange's static site first (S3 +
 * CloudFront in AWS, `<exchange>/static` locally: no exchange function runs), then, when it is not
 * there or is refused, from the exchange's API route. A static copy is never trusted for being
 * static: it goes through the same checks (`open`) as the API's, and one that fails them is refused
 * with its reason code (logged, and reported in the sync outcome) before the API is asked.
 */
import type { Logger } from '../aws/lambda-log';
import { toHcxError, TrustListRejected } from '../core/errors';
import { logger as rootLogger } from '../aws/observability';
import type { ArtefactSource, ExchangeAnswer, ExchangeClient } from './exchange-client';

/** Which artefact a refusal was about. */
export type ArtefactKind = 'list' | 'delta' | 'batch';

/** A static artefact refused (then asked from the API): which one and the reason code. */
export interface StaticRefusal {
  readonly artefact: ArtefactKind;
  readonly reason: string;
}

/** Where refusals of static copies are reported (the sync outcome collects them). */
export type RefusalSink = (refusal: StaticRefusal) => void;

/** The reason code of a failed static fetch or check. */
function reasonOf(e: unknown): string {
  if (e instanceof TrustListRejected) return e.reason;
  return toHcxError(e).code;
}

/**
 * `open(answer)` of the artefact from the static site when the client has one, else (or when the
 * static copy is missing, unreachable or fails `open`) from the API route. `open` receives every
 * answer, 200 or not, and decides (a non-200 static answer is refused as `NOT_PUBLISHED` first).
 */
export async function fetchArtefact<T>(
  exchange: ExchangeClient,
  artefact: ArtefactKind,
  get: (source: ArtefactSource) => Promise<ExchangeAnswer>,
  open: (answer: ExchangeAnswer, source: ArtefactSource) => Promise<T>,
  options: { readonly refused?: RefusalSink; readonly logger?: Logger } = {},
): Promise<T> {
  if (exchange.staticBaseUrl) {
    try {
      const answer = await get('static');
      if (answer.status !== 200) {
        throw new TrustListRejected('NOT_PUBLISHED', `the static site answered ${answer.status}`);
      }
      return await open(answer, 'static');
    } catch (e) {
      const reason = reasonOf(e);
      (options.logger ?? rootLogger).warn('static artefact refused, asking the exchange API', {
        artefact,
        reason,
      });
      options.refused?.({ artefact, reason });
    }
  }
  return open(await get('api'), 'api');
}
