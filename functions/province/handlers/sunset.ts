/**
 * `POST /v1/sunset` (province-internal): the province ends its service. Answers the signed deletion
 * report. The only province function granted `kms:DisableKey` and `kms:ScheduleKeyDeletion` on the
 * issuer keys (lib/constructs/sunset-access.ts) and `secretsmanager:DeleteSecret` on the enrollment
 * secret (lib/stacks/province-stack.ts).
 */
import { kmsSignerFor } from '../../aws/kms-signer';
import { kmsShredder } from '../../aws/kms-shredder';
import { secretShredder } from '../../aws/secret-shredder';
import { httpHandler, json, lazyHandler } from '../../http';
import { routeOf } from '../../routes';
import { provinceDepsFromEnv, type ProvinceDeps } from '../deps';
import { secretSignerFor } from '../../aws/enrollment-secret';
import { sunsetProvince } from '../sunset';

const route = routeOf('province-sunset');

export const create = (deps: ProvinceDeps) =>
  httpHandler({ route }, async () => json(200, await sunsetProvince(deps)));

/** Dependencies from the Lambda environment (no I/O), with the KMS and Secrets Manager services it uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ProvinceDeps =>
  provinceDepsFromEnv(env, {
    kmsSigner: kmsSignerFor,
    secretSigner: secretSignerFor,
    kmsShredder,
    secretShredder: (id, kid) => secretShredder(id, kid),
  });

export const handler = lazyHandler(() => create(fromEnv()));
