/** The static-artefact sink of the AWS deployment: objects in the bucket CloudFront serves. */
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { StaticObject } from '../exchange/static-artefacts';
import type { TrustListSink } from '../exchange/trust-list-sink';

/**
 * Puts each artefact at its key (`v1/trust-list`, `v1/trust-list/deltas/<from>`,
 * `v1/status-batches/<hash>`) gzip-compressed, `application/jose`, with its `Cache-Control`.
 */
export class S3TrustListSink implements TrustListSink {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(object: StaticObject): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: object.key,
        Body: object.body,
        ContentType: object.contentType,
        ContentEncoding: object.contentEncoding,
        CacheControl: object.cacheControl,
        // S3 answers its own (content hash) ETag; the list's own one (naming its version) is kept here.
        ...(object.metadata ? { Metadata: { ...object.metadata } } : {}),
      }),
    );
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
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
