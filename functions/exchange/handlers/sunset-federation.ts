/**
 * `POST /v1/federation/sunset` (operator): end the federation. Answers the signed deletion report and
 * the final trust list. The only function granted `kms:DisableKey` and `kms:ScheduleKeyDeletion` on
 * the federation key (lib/constructs/sunset-access.ts).
 */
import { kmsSignerFor } from '../../aws/kms-signer';
import { kmsShredder } from '../../aws/kms-shredder';
import { s3TrustListSinkFor } from '../../aws/s3-trust-list-sink';
import { exchangeDepsFromEnv, type ExchangeDeps } from '../deps';
import { sunsetFederation } from '../sunset';
import { httpHandler, json, lazyHandler } from '../../http';
import { routeOf } from '../../routes';
const route = routeOf('exchange-sunset-federation');

export const create = (deps: ExchangeDeps) =>
  httpHandler({ route }, async () => json(200, await sunsetFederation(deps)));

/** Dependencies from the Lambda environment (no I/O): KMS signer and shredder, and the S3 sink. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ExchangeDeps =>
  exchangeDepsFromEnv(env, { kmsSigner: kmsSignerFor, s3Sink: s3TrustListSinkFor, kmsShredder });

export const handler = lazyHandler(() => create(fromEnv()));
