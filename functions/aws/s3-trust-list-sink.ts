/** The trust-list sink of the AWS deployment: one object in the bucket CloudFront serves. */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  TRUST_LIST_CACHE_CONTROL,
  TRUST_LIST_OBJECT_KEY,
  type TrustListSink,
} from '../exchange/trust-list-sink';

/** Puts the signed list at `v1/trust-list` (`application/jose`, short `Cache-Control`). */
export class S3TrustListSink implements TrustListSink {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string = TRUST_LIST_OBJECT_KEY,
  ) {}

  async put(jws: string, etag: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key,
        Body: jws,
        ContentType: 'application/jose',
        CacheControl: TRUST_LIST_CACHE_CONTROL,
        // S3 answers its own (content hash) ETag; ours names the version, kept for operators.
        Metadata: { 'hcx-etag': etag },
      }),
    );
  }
}

// One S3 client per process, created by the first sink.
let sharedClient: S3Client | undefined;

/**
 * The sink of `bucket` on the process's one S3 client. Importing this module loads the S3 SDK, so
 * only the handlers that publish the list pass this factory to `exchangeDepsFromEnv`.
 */
export function s3TrustListSinkFor(bucket: string): S3TrustListSink {
  sharedClient ??= new S3Client({});
  return new S3TrustListSink(sharedClient, bucket);
}
