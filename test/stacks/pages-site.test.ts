/**
 * The pages' site (lib/constructs/pages-site.ts): a private bucket and a distribution serving the
 * pages with their CSP and `no-cache`, and the signed trust list on the same origin with CORS for
 * any origin; cdk-nag finds nothing unacknowledged.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { PagesSite } from '../../lib/constructs/pages-site';
import { TrustListSite } from '../../lib/constructs/trust-list-site';
import { addHcxStacks, addNagChecks } from '../../lib/hcx-app';
import { defaultConfig } from './fixture';

const CSP = "default-src 'none'; script-src 'self'; style-src 'sha256-abc'";

describe('PagesSite', () => {
  let dir: string;
  let app: App;
  let template: Template;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hcx-pages-site-'));
    mkdirSync(join(dir, 'check'));
    writeFileSync(join(dir, 'check', 'index.html'), '<!doctype html>');
    writeFileSync(
      join(dir, 'headers.json'),
      JSON.stringify({ '/check/': { 'content-security-policy': CSP } }),
    );
    app = new App({ context: { [BUNDLING_STACKS]: [] } });
    const stack = new Stack(app, 'Pages', { env: { account: '111111111111', region: 'ap-east-1' } });
    const trustList = new TrustListSite(stack, 'TrustList');
    new PagesSite(stack, 'Pages', {
      pagesDir: dir,
      trustListBucket: trustList.bucket,
      trustListKey: 'v1/trust-list',
    });
    template = Template.fromStack(stack);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the pages in a private bucket behind the distribution, revalidated on each load', () => {
    template.resourceCountIs('AWS::CloudFront::Distribution', 2);
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      SystemMetadata: { 'cache-control': 'no-cache' },
      DistributionPaths: ['/check/*', '/wallet/*'],
    });
    template.hasResourceProperties('AWS::CloudFront::CachePolicy', {
      CachePolicyConfig: Match.objectLike({ DefaultTTL: 0, MinTTL: 0 }),
    });
  });

  it('serves the pages with the CSP build:pages computed, no referrer and HSTS', () => {
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        SecurityHeadersConfig: Match.objectLike({
          ContentSecurityPolicy: { ContentSecurityPolicy: CSP, Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          StrictTransportSecurity: Match.objectLike({ Override: true }),
        }),
      }),
    });
  });

  it('serves the trust list and its status batches on the pages origin, readable from any origin without credentials', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Comment: 'hcx checkpoint and traveller pages',
        CacheBehaviors: [
          Match.objectLike({ PathPattern: '/v1/trust-list', AllowedMethods: ['GET', 'HEAD', 'OPTIONS'] }),
          Match.objectLike({
            PathPattern: '/v1/status-batches/*',
            AllowedMethods: ['GET', 'HEAD', 'OPTIONS'],
          }),
        ],
      }),
    });
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        CorsConfig: Match.objectLike({
          AccessControlAllowOrigins: { Items: ['*'] },
          AccessControlAllowMethods: { Items: ['GET', 'HEAD'] },
          AccessControlAllowCredentials: false,
        }),
      }),
    });
  });

  it('refuses a folder that build:pages did not write', () => {
    const empty = mkdtempSync(join(tmpdir(), 'hcx-pages-empty-'));
    try {
      writeFileSync(join(empty, 'headers.json'), '{}');
      const stack = new Stack(new App(), 'Bad');
      const trustList = new TrustListSite(stack, 'TrustList');
      expect(
        () =>
          new PagesSite(stack, 'Pages', {
            pagesDir: empty,
            trustListBucket: trustList.bucket,
            trustListKey: 'v1/trust-list',
          }),
      ).toThrow(/run npm run build:pages/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('has nothing cdk-nag would report unacknowledged', () => {
    const nagApp = new App({ context: { [BUNDLING_STACKS]: [] } });
    const stack = new Stack(nagApp, 'PagesNag', { env: { account: '111111111111', region: 'ap-east-1' } });
    const trustList = new TrustListSite(stack, 'TrustList');
    new PagesSite(stack, 'Pages', {
      pagesDir: dir,
      trustListBucket: trustList.bucket,
      trustListKey: 'v1/trust-list',
    });
    addNagChecks(nagApp);
    expect(() => nagApp.synth()).not.toThrow();
  });
});

describe('ExchangeStack with -c pagesDir', () => {
  it('adds the pages site and its URL output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcx-pages-stack-'));
    try {
      writeFileSync(
        join(dir, 'headers.json'),
        JSON.stringify({ '/check/': { 'content-security-policy': CSP } }),
      );
      const app = new App({ context: { [BUNDLING_STACKS]: [] }, builtinCloudFormationValidation: false });
      const { exchange } = addHcxStacks(app, defaultConfig(), { pagesDir: dir });
      const template = Template.fromStack(exchange!);
      template.resourceCountIs('AWS::CloudFront::Distribution', 2);
      template.hasOutput('PagesUrl', {});
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
