import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * Where the signed trust list is read from: a private S3 bucket behind CloudFront (origin access
 * control). The exchange writes the list on every change, so reads never touch Lambda and a
 * verifier fleet refreshing every minute costs the exchange nothing. The list is signed, so a cache
 * can serve it stale but never forge it; clients refuse it once past its own `expiresAt`.
 */
export class TrustListSite extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const logs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront standard logging writes with ACLs.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const cachePolicy = new CachePolicy(this, 'CachePolicy', {
      comment: 'hcx trust list: short TTL, the object carries its own Cache-Control',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(30),
      maxTtl: Duration.minutes(5),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'hcx signed trust list',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });
    const acks: [string, string][] = [
      [
        'AwsSolutions-CFR1',
        'No geo restriction: travellers and offline verifier apps fetch the list from anywhere, and it holds only public keys and revocations.',
      ],
      [
        'AwsSolutions-CFR2',
        'No WAF: the distribution serves one signed, cached, read-only object from S3; there is no application behind it to protect, and CloudFront absorbs request floods.',
      ],
      [
        'AwsSolutions-CFR4',
        'The default *.cloudfront.net certificate has a security policy fixed at TLSv1; a custom domain with its certificate and minimumProtocolVersion TLS_V1_2_2021 is the production setting (docs/deploy.md). Integrity does not rest on TLS: the list is a JWS verified against the out-of-band federation key.',
      ],
    ];
    for (const [ackId, reason] of acks) Validations.of(this.distribution).acknowledge({ id: ackId, reason });
  }

  /** The HTTPS base URL of the distribution. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}
