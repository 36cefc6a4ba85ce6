/** The trust-list sink of the AWS deployment: one object in the bucket CloudFront serves. */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TRUST_LIST_CACHE_CONTROL, TRUST_LIST_OBJECT_KEY, type TrustListSink } from './trust-list-sink';

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
