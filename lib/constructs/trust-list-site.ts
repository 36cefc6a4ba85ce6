import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  type CfnDistribution,
  Distribution,
  HttpVersion,
  type IOrigin,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { type CloudFrontDomain, isChinaRegion } from '../config/federation-config';
import { DELTA_KEY_PREFIX, STATUS_BATCH_KEY_PREFIX } from './env';

/**
 * A private bucket that receives access logs: S3 server access logs, or CloudFront standard logs
 * (which CloudFront writes with ACLs, hence object-writer ownership). Kept 90 days.
 */
export function accessLogBucket(scope: Construct, id: string, bucketName?: string): Bucket {
  const logs = new Bucket(scope, id, {
    bucketName,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: ObjectOwnership.OBJECT_WRITER,
    lifecycleRules: [{ expiration: Duration.days(90) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(logs).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This is an access-log bucket itself; logging it into itself would loop.',
  });
  return logs;
}

export interface TrustListSiteProps {
  /** Browser origins allowed to read the list (CORS on the distribution); none: no CORS headers. */
  readonly allowedOrigins?: readonly string[];
  /** The custom domain and its certificate; required in AWS China. */
  readonly domain?: CloudFrontDomain;
  /**
   * Where CloudFront writes its standard logs when the stack's region cannot receive them (an
   * opt-in region): a bucket in us-east-1. @default the stack's own access-log bucket
   */
  readonly cloudFrontLogBucket?: IBucket;
}

/**
 * Where the signed trust list, its deltas and the status batches are read from (the exchange's
 * static site: functions/exchange/static-artefacts.ts): a private S3 bucket behind CloudFront (origin access
 * control; an origin access identity in AWS China, which has no OAC). The exchange writes the list
 * on every change, so reads never touch Lambda and a verifier fleet refreshing every minute costs
 * the exchange nothing. The list is signed, so a cache can serve it stale but never forge it;
 * clients refuse it once past its own `expiresAt`.
 */
export class TrustListSite extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly responseHeadersPolicy?: ResponseHeadersPolicy;
  private readonly domainName?: string;

  constructor(scope: Construct, id: string, props: TrustListSiteProps = {}) {
    super(scope, id);
    const china = isChinaRegion(Stack.of(this).region);
    const logs = accessLogBucket(this, 'AccessLogs');
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [
        { noncurrentVersionExpiration: Duration.days(30) },
        // A delta lives 24 hours (and the current ones are re-put at every publication): an old one
        // would only be refused as EXPIRED by a node, which then asks the API.
        { prefix: DELTA_KEY_PREFIX, expiration: Duration.days(2) },
      ],
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
    // Status batches are content-addressed (their Cache-Control says immutable): cached for good.
    const batchCachePolicy = new CachePolicy(this, 'StatusBatchCachePolicy', {
      comment: 'hcx status batches: content-addressed, immutable',
      minTtl: Duration.days(1),
      defaultTtl: Duration.days(365),
      maxTtl: Duration.days(365),
    });
    const origins = props.allowedOrigins ?? [];
    // A checkpoint page on a configured origin fetches the list (and revalidates it by ETag).
    this.responseHeadersPolicy =
      origins.length === 0
        ? undefined
        : new ResponseHeadersPolicy(this, 'Cors', {
            comment: 'hcx trust list: readable by the configured browser origins',
            corsBehavior: {
              accessControlAllowOrigins: [...origins],
              accessControlAllowMethods: ['GET', 'HEAD'],
              accessControlAllowHeaders: ['if-none-match'],
              accessControlExposeHeaders: ['ETag'],
              accessControlAllowCredentials: false,
              accessControlMaxAge: Duration.hours(1),
              originOverride: true,
            },
          });
    const origin: IOrigin = china
      ? S3BucketOrigin.withOriginAccessIdentity(this.bucket)
      : S3BucketOrigin.withOriginAccessControl(this.bucket);
    const domain = props.domain;
    this.domainName = domain?.domainName;
    const acmCertificate =
      domain?.certificateArn && !china
        ? Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn)
        : undefined;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'hcx signed trust list',
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy,
        responseHeadersPolicy: this.responseHeadersPolicy,
      },
      // The list and the deltas (`v1/trust-list/deltas/<from>`) take the default behaviour (short).
      additionalBehaviors: {
        [`/${STATUS_BATCH_KEY_PREFIX}*`]: {
          origin,
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: batchCachePolicy,
          responseHeadersPolicy: this.responseHeadersPolicy,
        },
      },
      // CloudFront in China is operated apart from the global network: HTTP/2, no HTTP/3.
      httpVersion: china ? HttpVersion.HTTP2 : HttpVersion.HTTP2_AND_3,
      ...(acmCertificate
        ? {
            certificate: acmCertificate,
            domainNames: [domain!.domainName],
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
          }
        : {}),
      enableLogging: true,
      logBucket: props.cloudFrontLogBucket ?? logs,
      logFilePrefix: 'cloudfront/',
    });
    if (china && domain?.iamCertificateId) {
      // ACM certificates cannot be attached to CloudFront in China: the certificate is uploaded to IAM.
      const cfn = this.distribution.node.defaultChild as CfnDistribution;
      cfn.addPropertyOverride('DistributionConfig.Aliases', [domain.domainName]);
      cfn.addPropertyOverride('DistributionConfig.ViewerCertificate', {
        IamCertificateId: domain.iamCertificateId,
        SslSupportMethod: 'sni-only',
        MinimumProtocolVersion: 'TLSv1.2_2021',
      });
    }
    const acks: [string, string][] = [
      [
        'AwsSolutions-CFR1',
        'No geo restriction: travellers and offline verifier apps fetch the list from anywhere, and it holds only public keys and revocations.',
      ],
      [
        'AwsSolutions-CFR2',
        'No WAF: the distribution serves one signed, cached, read-only object from S3; there is no application behind it to protect, and CloudFront absorbs request floods.',
      ],
    ];
    if (china) {
      acks.push([
        'AwsSolutions-CFR7',
        'AWS China has no origin access control: an origin access identity, the only private-origin mechanism there, is used instead.',
      ]);
      acks.push([
        'AwsSolutions-CFR4',
        'The viewer certificate is the IAM server certificate of exchange.trustListDomain with TLSv1.2_2021, set by property override (ACM cannot be attached in China), which the rule does not read.',
      ]);
    } else if (!domain) {
      acks.push([
        'AwsSolutions-CFR4',
        'The default *.cloudfront.net certificate has a security policy fixed at TLSv1; a custom domain (exchange.trustListDomain) with TLSv1.2_2021 is the production setting (docs/deploy.md). Integrity does not rest on TLS: the list is a JWS verified against the out-of-band federation key.',
      ]);
    }
    for (const [ackId, reason] of acks) Validations.of(this.distribution).acknowledge({ id: ackId, reason });
  }

  /** The HTTPS base URL of the list: the custom domain when there is one. */
  get url(): string {
    return `https://${this.domainName ?? this.distribution.distributionDomainName}`;
  }
}
