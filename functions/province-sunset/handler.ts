/**
 * `POST /v1/sunset` (province-internal): the province ends its service. Answers the signed deletion
 * report. The only province function granted `kms:DisableKey` and `kms:ScheduleKeyDeletion` on the
 * issuer keys (lib/constructs/sunset-access.ts) and `secretsmanager:DeleteSecret` on the enrollment
 * secret (lib/stacks/province-stack.ts).
 */
import { kmsSignerFor } from '../core/kms-signer';
import { kmsShredder } from '../core/sunset/kms-shredder';
import { secretShredder } from '../core/sunset/secret-shredder';
import { httpHandler, json, lazyHandler } from '../http';
import { provinceDepsFromEnv, type ProvinceDeps } from '../province/deps';
import { secretSignerFor } from '../province/enrollment-secret';
import { withMetrics } from '../province/http';
import { sunsetProvince } from '../province/sunset';

export const create = (deps: ProvinceDeps) =>
  httpHandler({}, async () => withMetrics(async () => json(200, await sunsetProvince(deps))));

/** Dependencies from the Lambda environment (no I/O), with the KMS and Secrets Manager services it uses. */
export const fromEnv = (env: NodeJS.ProcessEnv = process.env): ProvinceDeps =>
  provinceDepsFromEnv(env, {
    kmsSigner: kmsSignerFor,
    secretSigner: secretSignerFor,
    kmsShredder,
    secretShredder: (id, kid) => secretShredder(id, kid),
  });

export const handler = lazyHandler(() => create(fromEnv()));
