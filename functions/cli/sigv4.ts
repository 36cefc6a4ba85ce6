/**
 * SigV4 for the CLI's calls to an hcx API deployed on AWS, whose operator and internal routes are
 * IAM-authorized: the AWS SDK's own signer (`@smithy/signature-v4`) with credentials from the
 * standard AWS chain (`@aws-sdk/credential-provider-node`: environment, shared config and SSO
 * profiles, web identity, container and instance roles). The embedded runtime takes bearer tokens
 * instead: a call is signed only when no token is given and the target is an AWS endpoint.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';

/** The SHA-256 the signer takes (its `HashConstructor` shape), over node:crypto. */
export class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash =
      secret === undefined
        ? createHash('sha256')
        : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

const EXECUTE_API_HOST =
  /^[a-z0-9]+\.execute-api\.([a-z]{2}(?:-gov)?-[a-z]+-[0-9])\.amazonaws\.com(?:\.cn)?$/;

/**
 * The AWS region to sign a call to `url` for: from an `execute-api` host name, or `HCX_AWS_REGION`
 * for an API behind a custom domain; undefined when the target is not an AWS endpoint.
 */
export function sigv4RegionFor(url: URL, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return EXECUTE_API_HOST.exec(url.hostname)?.[1] ?? (env.HCX_AWS_REGION || undefined);
}

/** A request as the signer sees it. */
export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** The signer for `execute-api` in `region`, with credentials from the standard AWS chain. */
export function executeApiSigner(region: string): SignatureV4 {
  return new SignatureV4({
    service: 'execute-api',
    region,
    credentials: defaultProvider(),
    sha256: Sha256,
  });
}

/** The headers of `request` with SigV4 added (`authorization`, `x-amz-date`, and the session token if any). */
export async function signRequest(
  signer: SignatureV4,
  request: SignableRequest,
  signingDate?: Date,
): Promise<Record<string, string>> {
  const query: Record<string, string> = {};
  request.url.searchParams.forEach((v, k) => (query[k] = v));
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      port: request.url.port ? Number(request.url.port) : undefined,
      path: request.url.pathname,
      query,
      headers: { ...request.headers, host: request.url.host },
      body: request.body,
    },
    signingDate ? { signingDate } : {},
  );
  const headers = { ...(signed.headers as Record<string, string>) };
  // fetch sets Host itself.
  delete headers.host;
  return headers;
}
