import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { STATUS_BATCH_KEY_PREFIX } from './env';

export interface PagesSiteProps {
  /** The output of `npm run build:pages` (with `headers.json`), built with the federation's key. */
  readonly pagesDir: string;
  /** The trust-list bucket: served as `/v1/trust-list` on the pages' own origin (no CORS needed). */
  readonly trustListBucket: IBucket;
  /** The object key of the list in that bucket (`v1/trust-list`). */
  readonly trustListKey: string;
}

/**
 * The checkpoint page (/check/) and the traveller page (/wallet/): a private bucket behind their own
 * CloudFront distribution, which also serves the signed trust list at `/v1/trust-list` from the
 * trust-list bucket, so the page reads it from its own origin. The pages are revalidated on every
 * load (`no-cache`; their service worker serves them offline) and carry the Content-Security-Policy
 * `npm run build:pages` computed; the trust list keeps its own short `Cache-Control` and may be read
 * by any origin (CORS `*`, GET/HEAD, no credentials: it is public and signed).
 */
export class PagesSite extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: PagesSiteProps) {
    super(scope, id);
    const headers = JSON.parse(readFileSync(join(props.pagesDir, 'headers.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    const csp = headers['/check/']?.['content-security-policy'];
    if (!csp)
      throw new Error(`${props.pagesDir}/headers.json has no policy for /check/: run npm run build:pages`);

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    const pageHeaders = new ResponseHeadersPolicy(this, 'PageHeaders', {
      comment: 'hcx pages: CSP, no referrer, camera only for the page itself',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: csp, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
      customHeadersBehavior: {
        customHeaders: [{ header: 'permissions-policy', value: 'camera=(self)', override: true }],
      },
    });
    const trustListCors = new ResponseHeadersPolicy(this, 'TrustListCors', {
      comment: 'hcx trust list: public and signed, readable from any origin',
      corsBehavior: {
        accessControlAllowOrigins: ['*'],
        accessControlAllowMethods: ['GET', 'HEAD'],
        accessControlAllowHeaders: ['If-None-Match'],
        accessControlExposeHeaders: ['ETag'],
        accessControlAllowCredentials: false,
        accessControlMaxAge: Duration.hours(1),
        originOverride: true,
      },
      securityHeadersBehavior: { contentTypeOptions: { override: true } },
    });
    const revalidate = new CachePolicy(this, 'PagesCache', {
      comment: 'hcx pages: the objects say no-cache; CloudFront revalidates',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(0),
      maxTtl: Duration.days(1),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    const trustListCache = new CachePolicy(this, 'TrustListCache', {
      comment: 'hcx trust list on the pages origin: short TTL, the object carries its own Cache-Control',
      minTtl: Duration.seconds(0),
      defaultTtl: Duration.seconds(30),
      maxTtl: Duration.minutes(5),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
    });
    // Status batches are content-addressed (never change): cached for good, as their Cache-Control says.
    const batchCache = new CachePolicy(this, 'StatusBatchCache', {
      comment: 'hcx status batches: content-addressed, immutable',
      minTtl: Duration.days(1),
      defaultTtl: Duration.days(365),
      maxTtl: Duration.days(365),
    });
    const trustListOrigin = S3BucketOrigin.withOriginAccessControl(props.trustListBucket);
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'hcx checkpoint and traveller pages',
      defaultRootObject: 'check/index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: revalidate,
        responseHeadersPolicy: pageHeaders,
      },
      additionalBehaviors: {
        [`/${props.trustListKey}`]: {
          origin: trustListOrigin,
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
          cachePolicy: trustListCache,
          responseHeadersPolicy: trustListCors,
        },
        // The status batches the list names, which the checkpoint page fetches (--status-batches-url).
        [`/${STATUS_BATCH_KEY_PREFIX}*`]: {
          origin: trustListOrigin,
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
          cachePolicy: batchCache,
          responseHeadersPolicy: trustListCors,
        },
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
    });
    new BucketDeployment(this, 'Deploy', {
      sources: [Source.asset(props.pagesDir, { exclude: ['headers.json'] })],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/check/*', '/wallet/*'],
      cacheControl: [CacheControl.noCache()],
      prune: true,
    });
    const acks: [string, string][] = [
      [
        'AwsSolutions-S1',
        'The pages bucket holds only the public, versioned-in-git page files; CloudFront access is the record.',
      ],
      ['AwsSolutions-CFR1', 'No geo restriction: checkpoints and travellers open the pages from anywhere.'],
      ['AwsSolutions-CFR2', 'No WAF: static files from S3; no application behind the distribution.'],
      [
        'AwsSolutions-CFR3',
        "No access logs: the pages are public files and the logs would only hold travellers' and checkpoints' IP addresses.",
      ],
      [
        'AwsSolutions-CFR4',
        'The default *.cloudfront.net certificate has a security policy fixed at TLSv1; a custom domain with TLS_V1_2_2021 is the production setting (docs/deploy.md).',
      ],
    ];
    for (const [ackId, reason] of acks) Validations.of(this).acknowledge({ id: ackId, reason });
    // BucketDeployment's copying function is a CDK singleton at the stack's root, made here.
    const copies =
      "CDK's BucketDeployment function copies the asset objects into the pages bucket and invalidates the distribution (object wildcards on those buckets; CloudFront invalidation has no resource-level permission)";
    const copier: [string, string][] = [
      [
        'AwsSolutions-L1',
        "CDK's BucketDeployment function pins its own runtime; it runs only at deployment.",
      ],
      [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "CDK's BucketDeployment function uses the basic Lambda execution role for its logs.",
      ],
      ...[
        'Action::s3:GetObject*',
        'Action::s3:GetBucket*',
        'Action::s3:List*',
        'Action::s3:DeleteObject*',
        'Action::s3:Abort*',
        'Resource::*',
        `Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>/*`,
        `Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${Stack.of(this).account}-${Stack.of(this).region}/*`,
      ].map((what): [string, string] => [`AwsSolutions-IAM5[${what}]`, copies]),
    ];
    for (const child of Stack.of(this).node.children) {
      if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      for (const [ackId, reason] of copier) Validations.of(child).acknowledge({ id: ackId, reason });
    }
  }

  /** The HTTPS base URL of the pages (`/check/`, `/wallet/`). */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}
