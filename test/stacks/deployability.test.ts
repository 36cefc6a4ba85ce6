/**
 * What makes the stacks deploy, and work once deployed, in the shipped regions and in AWS China
 * (issue 13). One claim per test; `npm run lint:cfn` checks the same templates against each
 * region's resource specification.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ROUTES, SCHEDULED } from '../../functions/routes';
import {
  type FederationConfigError,
  federationConfigWarnings,
  loadFederationConfig,
  validateFederationConfig,
} from '../../lib/config/federation-config';
import { CLOUDFRONT_LOGS_STACK_NAME } from '../../lib/hcx-app';
import { SIGN_CONDITION, TABLE_ACTIONS } from '../../lib/constructs/hcx-function';
import { buildApp, defaultConfig, logicalId, rolesAllowed, statementsOf, toArray } from './fixture';

const GLOBAL_EXAMPLE = path.resolve(__dirname, '..', '..', 'federation.global.example.json');

const china = buildApp();
const chinaExchange = Template.fromStack(china.stacks.exchange!);
const chinaProvince = Template.fromStack(china.stacks.provinces[0]);
const global = buildApp({ config: loadFederationConfig(GLOBAL_EXAMPLE) });
const globalExchange = Template.fromStack(global.stacks.exchange!);

describe('the shipped configurations', () => {
  it('keep every province of the default configuration in AWS China', () => {
    expect(defaultConfig().provinces.map((p) => p.aws.region.startsWith('cn-'))).toEqual([true, true, true]);
    expect(federationConfigWarnings(defaultConfig())).toEqual([]);
  });

  it('warn for each province whose personal information would leave the mainland', () => {
    const warnings = federationConfigWarnings(loadFederationConfig(GLOBAL_EXAMPLE));
    expect(warnings.map((w) => [w.code, w.field])).toEqual([
      ['DATA_LEAVES_MAINLAND', 'provinces[0].aws.region'],
      ['DATA_LEAVES_MAINLAND', 'provinces[1].aws.region'],
      ['DATA_LEAVES_MAINLAND', 'provinces[2].aws.region'],
    ]);
  });

  it('refuse an exchange in AWS China without the ICP-filed domain and its IAM certificate', () => {
    const raw = JSON.parse(JSON.stringify(defaultConfig()));
    delete raw.exchange.trustListDomain;
    let error: FederationConfigError | undefined;
    try {
      validateFederationConfig(raw);
    } catch (e) {
      error = e as FederationConfigError;
    }
    expect([error?.code, error?.field]).toEqual([
      'FEDERATION_CONFIG_INVALID',
      'exchange.trustListDomain.iamCertificateId',
    ]);
  });
});

describe('trust-list distribution', () => {
  it('in AWS China serves the ICP-filed domain with its IAM certificate', () => {
    chinaExchange.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['trust.hcx.example.cn'],
        ViewerCertificate: {
          IamCertificateId: 'ASCAPLACEHOLDER0000000',
          SslSupportMethod: 'sni-only',
          MinimumProtocolVersion: 'TLSv1.2_2021',
        },
      }),
    });
  });

  it('in AWS China has no origin access control, a type that partition lacks', () => {
    chinaExchange.resourceCountIs('AWS::CloudFront::OriginAccessControl', 0);
  });

  it('in an opt-in region delivers its standard logs to a bucket in us-east-1', () => {
    const logs = global.stacks.cloudFrontLogs!;
    expect([logs.stackName, logs.region]).toEqual([CLOUDFRONT_LOGS_STACK_NAME, 'us-east-1']);
    const bucketName = Template.fromStack(logs).findResources('AWS::S3::Bucket');
    const name = Object.values(bucketName)[0].Properties.BucketName as string;
    globalExchange.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Logging: Match.objectLike({ Bucket: Match.stringLikeRegexp(`^${name}\\.s3\\.us-east-1\\.`) }),
      }),
    });
  });

  it('lets the configured browser origins GET and HEAD it and read its ETag', () => {
    chinaExchange.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: Match.objectLike({
        CorsConfig: Match.objectLike({
          AccessControlAllowOrigins: { Items: ['https://hcx.example.cn'] },
          AccessControlAllowMethods: { Items: ['GET', 'HEAD'] },
          AccessControlExposeHeaders: { Items: ['ETag'] },
          AccessControlAllowCredentials: false,
        }),
      }),
    });
  });
});

describe('operations', () => {
  it('lets CloudWatch alarms of the account publish to the alarm topic', () => {
    chinaProvince.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '222222222222' } }),
          }),
        ]),
      },
    });
  });

  it('turns off Lambda asynchronous retries of every scheduled function', () => {
    const scheduled = SCHEDULED.filter((s) => s.service === 'province').map((s) => s.fn);
    for (const fn of scheduled) {
      chinaProvince.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: logicalId(china.stacks.provinces[0].functions.get(fn).function) },
        MaximumRetryAttempts: 0,
      });
    }
  });

  it('lets the operator role invoke exactly the operator routes', () => {
    const operator = ROUTES.filter((r) => r.service === 'exchange' && r.auth === 'operator');
    const statements = statementsOf(chinaExchange, china.stacks.exchange!.operatorRole);
    const resources = statements.flatMap((s) => toArray(s.Resource));
    expect(statements.flatMap((s) => toArray(s.Action))).toEqual(['execute-api:Invoke']);
    expect(JSON.stringify(resources).match(/\/\$default\/[A-Z]+\/[^"]+/g)).toEqual(
      operator.map((r) => `/$default/${r.method}${r.path.replace(/\{[^}]+\}/g, '*')}`),
    );
  });

  it('lets the health-system role invoke exactly the internal routes', () => {
    const internal = ROUTES.filter((r) => r.service === 'province' && r.auth === 'internal');
    const statements = statementsOf(chinaProvince, china.stacks.provinces[0].healthSystemRole);
    expect(
      JSON.stringify(statements.flatMap((s) => toArray(s.Resource))).match(/\/\$default\/[A-Z]+\/[^"]+/g),
    ).toEqual(internal.map((r) => `/$default/${r.method}${r.path.replace(/\{[^}]+\}/g, '*')}`));
  });

  it('records the calling identity in the access logs', () => {
    chinaProvince.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: { Format: Match.stringLikeRegexp('"caller":"\\$context.identity.userArn"') },
    });
  });

  it('grants no DynamoDB action beyond the item calls the handlers make', () => {
    const allowed = new Set(Object.values(TABLE_ACTIONS).flat());
    const granted = Object.values(chinaProvince.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
      .flatMap((s) => toArray(s.Action))
      .filter((a) => a.startsWith('dynamodb:'));
    expect(granted.filter((a) => !allowed.has(a))).toEqual([]);
  });

  it('grants every DynamoDB call the deployed code makes (each command of the repositories has its action)', () => {
    // The embedded runtime's engine and table creation (functions/embedded, createTable) never run in Lambda.
    const sources = [
      'functions/province/dynamo-repository.ts',
      'functions/province/caller-limit.ts',
      'functions/exchange/dynamo-repository.ts',
      'functions/exchange/lane-leases.ts',
      'functions/aws/segment-items.ts',
    ].map((f) => readFileSync(path.resolve(__dirname, '..', '..', f), 'utf8'));
    const used = new Set(sources.flatMap((src) => [...src.matchAll(/new (\w+)Command\(/g)].map((m) => m[1])));
    expect([...used].sort()).toEqual(['BatchGet', 'Delete', 'Get', 'Put', 'Query', 'Scan', 'Update']);
    const actionOf = (command: string) =>
      `dynamodb:${command}${['Get', 'Put', 'Update', 'Delete', 'BatchGet'].includes(command) ? 'Item' : ''}`;
    const granted = new Set(
      [chinaProvince, chinaExchange].flatMap((t) =>
        Object.values(t.findResources('AWS::IAM::Policy'))
          .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[] }[])
          .flatMap((st) => toArray(st.Action)),
      ),
    );
    expect([...used].map(actionOf).filter((a) => !granted.has(a))).toEqual([]);
  });

  it('grants Scan to the sunset functions only (their erasure visits every item)', () => {
    const scanners = (t: Template) => rolesAllowed(t, 'dynamodb:Scan');
    expect(scanners(chinaProvince)).toEqual([
      logicalId(china.stacks.provinces[0].functions.get('province-sunset').role),
    ]);
    expect(scanners(chinaExchange)).toEqual([
      logicalId(china.stacks.exchange!.functions.get('exchange-sunset-federation').role),
    ]);
  });

  it('conditions every kms:Sign grant on the one algorithm and message type the signer uses', () => {
    const signs = Object.values(chinaExchange.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: unknown; Condition?: unknown }[])
      .filter((s) => toArray(s.Action as string).includes('kms:Sign'));
    expect(signs.length).toBeGreaterThan(0);
    for (const s of signs) expect(s.Condition).toEqual({ StringEquals: SIGN_CONDITION });
  });

  it('alarms on a signing key policy change', () => {
    chinaProvince.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.kms'],
        detail: Match.objectLike({ eventName: Match.arrayWith(['PutKeyPolicy']) }),
      }),
    });
  });

  it('alarms on signing by a principal other than the signer', () => {
    chinaProvince.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      EventPattern: Match.objectLike({ detail: Match.objectLike({ eventName: ['Sign'] }) }),
    });
  });

  it('gives the signed exchange routes their own throttle', () => {
    const signed = ROUTES.filter((r) => r.service === 'exchange' && r.auth === 'signed');
    const settings = Object.fromEntries(
      signed.map((r) => [`${r.method} ${r.path}`, { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 }]),
    );
    chinaExchange.hasResourceProperties('AWS::ApiGatewayV2::Stage', { RouteSettings: settings });
  });

  it('gives POST /v1/codes/verify (the holder check: one scrypt each) its own, lower throttle', () => {
    // Route-wide: HTTP APIs have no per-caller usage plans or API-key throttling.
    chinaProvince.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
      RouteSettings: { 'POST /v1/codes/verify': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } },
    });
  });

  it('reserves concurrency for a flood of junk on the signed routes', () => {
    const signed = ROUTES.filter((r) => r.service === 'exchange' && r.auth === 'signed');
    for (const r of signed) {
      const fn = china.stacks.exchange!.functions.get(r.fn).function;
      const props = chinaExchange.findResources('AWS::Lambda::Function')[logicalId(fn)].Properties;
      expect([r.fn, props.ReservedConcurrentExecutions]).toEqual([r.fn, 10]);
    }
  });

  it('turns termination protection on for every stack', () => {
    const stacks = [china.stacks.exchange!, ...china.stacks.provinces, global.stacks.cloudFrontLogs!];
    expect(stacks.map((s) => s.terminationProtection)).toEqual(stacks.map(() => true));
  });

  it('names each API distinctly', () => {
    const names = [chinaExchange, ...china.stacks.provinces.map((s) => Template.fromStack(s))].map(
      (t) => Object.values(t.findResources('AWS::ApiGatewayV2::Api'))[0].Properties.Name,
    );
    expect(names).toEqual([
      'hcx-exchange-hcx-cn',
      'hcx-province-330000',
      'hcx-province-440000',
      'hcx-province-350000',
    ]);
  });
});

describe('caller roles in the functions', () => {
  it('names the health-system role to every function behind an internal route, and to no other', () => {
    const stack = china.stacks.provinces[0];
    const roleArn = { 'Fn::GetAtt': [logicalId(stack.healthSystemRole), 'Arn'] };
    const fns = chinaProvince.findResources('AWS::Lambda::Function');
    const named = Object.entries(fns)
      .filter(([, f]) => f.Properties.Environment?.Variables?.CALLER_ROLE_ARN !== undefined)
      .map(([id, f]) => [id, f.Properties.Environment.Variables.CALLER_ROLE_ARN]);
    const internal = [
      ...new Set(ROUTES.filter((r) => r.service === 'province' && r.auth === 'internal').map((r) => r.fn)),
    ];
    expect(named.sort()).toEqual(
      internal.map((fn) => [logicalId(stack.functions.get(fn).function), roleArn]).sort(),
    );
  });
});

describe('sizing', () => {
  it('gives the issue function one full vCPU (1769 MB) for its scrypt holder binding', () => {
    chinaProvince.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'hcx province-issue',
      MemorySize: 1769,
    });
  });
});
