import { Match, Template } from 'aws-cdk-lib/assertions';
import { ROUTES } from '../../functions/routes';
import type { ProvinceStack } from '../../lib/stacks/province-stack';
import {
  buildApp,
  defaultConfig,
  logicalId,
  refOf,
  rolesAllowed,
  type Statement,
  statementsOf,
  toArray,
} from './fixture';

let stack: ProvinceStack;
let template: Template;

beforeAll(() => {
  // prepare: the Zhejiang node from the default configuration
  stack = buildApp({ province: '330000' }).stacks.provinces[0];
  template = Template.fromStack(stack);
});

const READ_ONLY_DYNAMODB =
  /^dynamodb:(BatchGetItem|GetItem|Query|Scan|ConditionCheckItem|DescribeTable|GetRecords|GetShardIterator)$/;

describe('ProvinceStack', () => {
  it('lets the verify function read the province table, update only its CALLER# counters and the SEGMENT_CHECK item, read only the caller key', () => {
    // act
    const verify = stack.functions.get('province-verify');
    const statements = statementsOf(template, verify.role);

    // assert: DynamoDB reads on the province table (BatchGetItem too: the segment items), one
    // PutItem limited to the SEGMENT_CHECK item and one UpdateItem limited to CALLER#… items
    const dynamo = statements.filter((s) => toArray(s.Action).some((a) => a.startsWith('dynamodb:')));
    const writes = dynamo.filter((s) => toArray(s.Action).some((a) => !READ_ONLY_DYNAMODB.test(a)));
    expect(writes).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:PutItem',
        Effect: 'Allow',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SEGMENT_CHECK*'] } },
      }),
      expect.objectContaining({
        Action: 'dynamodb:UpdateItem',
        Effect: 'Allow',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['CALLER#*'] } },
      }),
    ]);
    expect(dynamo.flatMap((s) => toArray(s.Action))).toContain('dynamodb:BatchGetItem');
    const tableId = logicalId(stack.table);
    expect(
      dynamo
        .flatMap((s) => toArray(s.Resource))
        .map(refOf)
        .filter((r) => r && r !== tableId),
    ).toEqual([]);
    // KMS only on the data key (table items, the caller key secret), never the issuer key
    const kms = statements.filter((s) => toArray(s.Action).some((a) => a.startsWith('kms:')));
    expect(kms.flatMap((s) => toArray(s.Action)).filter((a) => /Sign|GetPublicKey/.test(a))).toEqual([]);
    expect(kms.flatMap((s) => toArray(s.Resource)).map(refOf)).not.toContain(logicalId(stack.issuerKey.key));
    // Secrets Manager: the caller key only, never the enrollment key
    const secrets = statements.filter((s) => toArray(s.Action).some((a) => a.startsWith('secretsmanager:')));
    expect(secrets.flatMap((s) => toArray(s.Resource)).map(refOf)).toEqual([logicalId(stack.callerKey)]);
    // and nothing beyond its own log group
    const services = new Set(statements.flatMap((s) => toArray(s.Action)).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'kms', 'logs', 'secretsmanager']);
    // the limit's size comes from the settings
    expect(template.toJSON().Resources[logicalId(verify.function)].Properties.Environment.Variables).toEqual(
      expect.objectContaining({
        HOLDER_CHECKS_PER_CALLER: '30',
        CALLER_KEY_SECRET_ARN: { Ref: logicalId(stack.callerKey) },
      }),
    );
  });

  it('lets only the issue function sign with the issuer key', () => {
    // act
    const signers = rolesAllowed(template, 'kms:Sign');
    const issue = stack.functions.get('province-issue');

    // assert: one IAM grant, on the issuer key, and a key policy denying every other principal
    expect(signers).toEqual([logicalId(issue.role)]);
    const signStatements = statementsOf(template, issue.role).filter((s) =>
      toArray(s.Action).includes('kms:Sign'),
    );
    expect(signStatements.flatMap((s) => toArray(s.Resource)).map(refOf)).toEqual([
      logicalId(stack.issuerKey.key),
    ]);
    template.hasResourceProperties('AWS::KMS::Key', {
      KeySpec: 'ECC_NIST_P256',
      KeyUsage: 'SIGN_VERIFY',
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'kms:Sign',
            Condition: {
              ArnNotEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [logicalId(issue.role), 'Arn'] }] },
            },
          }),
        ]),
      },
    });
  });

  it('lets only the functions that sign requests to the exchange read the enrollment secret', () => {
    // act
    const callerKey = logicalId(stack.callerKey);
    const readers = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) =>
        (p.Properties.PolicyDocument.Statement as Statement[]).some(
          (s) =>
            s.Effect === 'Allow' &&
            toArray(s.Action).includes('secretsmanager:GetSecretValue') &&
            toArray(s.Resource).some((r) => refOf(r) !== callerKey),
        ),
      )
      .flatMap((p) => (p.Properties.Roles as unknown[]).map((r) => refOf(r)!))
      .sort();

    // assert: revoke publishes a revocation at once, sync the ones left pending, sunset signs province.sunset
    expect(readers).toEqual(
      ['province-revoke-code', 'province-sunset', 'province-sync']
        .map((fn) => logicalId(stack.functions.get(fn).role))
        .sort(),
    );
  });

  it('requires IAM authorization on every internal route', () => {
    // prepare
    const internal = ROUTES.filter((r) => r.service === 'province' && r.auth === 'internal');

    // assert
    expect(internal.length).toBeGreaterThan(0);
    for (const r of internal) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: `${r.method} ${r.path}`,
        AuthorizationType: 'AWS_IAM',
      });
    }
  });

  it('expires issued-code records by TTL on the province table', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });

  it('keeps the province table recoverable, undeletable and encrypted with its own key', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [
        Match.objectLike({
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { KMSMasterKeyId: Match.anyValue() },
        }),
      ],
    });
  });

  it('runs the sync function every minute', () => {
    const sync = stack.functions.get('province-sync');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(sync.function), 'Arn'] } })],
    });
  });

  it('alarms when the replica is stale or the sync stops reporting its age', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'hcx',
      MetricName: 'ReplicaAgeSeconds',
      Dimensions: [{ Name: 'service', Value: 'hcx-province-330000' }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 1800,
      TreatMissingData: 'breaching',
    });
  });

  it('lets only the issue function sign with either issuer key during a rotation, the active one first', () => {
    // prepare: generation 2 introduced next to generation 1
    const config = defaultConfig();
    const rotating = {
      ...config,
      provinces: config.provinces.map((p) =>
        p.region === '330000' ? { ...p, signingKey: { active: 1, next: 2 } } : p,
      ),
    };
    const node = buildApp({ province: '330000', config: rotating }).stacks.provinces[0];
    const rotatingTemplate = Template.fromStack(node);
    const issue = node.functions.get('province-issue');

    // act
    const keys = rotatingTemplate.findResources('AWS::KMS::Key', {
      Properties: { KeySpec: 'ECC_NIST_P256' },
    });
    const activeId = logicalId(node.issuerKey.key);
    const nextId = Object.keys(keys).find((id) => id !== activeId)!;
    const signResources = statementsOf(rotatingTemplate, issue.role)
      .filter((st) => toArray(st.Action).includes('kms:Sign'))
      .flatMap((st) => toArray(st.Resource))
      .map(refOf);
    const env = rotatingTemplate.findResources('AWS::Lambda::Function')[logicalId(issue.function)].Properties
      .Environment.Variables as Record<string, unknown>;

    // assert: the issuer may sign with both generations and follows the active kid the rotation
    // stores; every other principal is denied Sign on both keys by their key policies
    expect(Object.keys(keys)).toHaveLength(2);
    expect(rolesAllowed(rotatingTemplate, 'kms:Sign')).toEqual([logicalId(issue.role)]);
    expect(signResources.sort()).toEqual([activeId, nextId].sort());
    expect(env.ISSUER_KMS_KEY_ID).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [activeId, 'Arn'] }, ',', { 'Fn::GetAtt': [nextId, 'Arn'] }]],
    });
    for (const id of [activeId, nextId]) {
      const deny = keys[id].Properties.KeyPolicy.Statement.find(
        (st: { Effect: string; Action: unknown }) => st.Effect === 'Deny' && st.Action === 'kms:Sign',
      );
      expect(deny).toMatchObject({
        Principal: { AWS: '*' },
        Condition: {
          ArnNotEquals: { 'aws:PrincipalArn': [{ 'Fn::GetAtt': [logicalId(issue.role), 'Arn'] }] },
        },
      });
    }
  });

  it('keeps verify instances initialised behind an alias the API calls when the province asks for it', () => {
    // prepare
    const config = defaultConfig();
    const warm = buildApp({
      province: '330000',
      config: {
        ...config,
        provinces: config.provinces.map((p) =>
          p.region === '330000' ? { ...p, verifyProvisionedConcurrency: 2 } : p,
        ),
      },
    }).stacks.provinces[0];
    const warmTemplate = Template.fromStack(warm);

    // act
    const aliases = warmTemplate.findResources('AWS::Lambda::Alias');
    const verifyFn = logicalId(warm.functions.get('province-verify').function);
    const integrations = Object.values(warmTemplate.findResources('AWS::ApiGatewayV2::Integration'));
    const aliasIds = Object.keys(aliases);
    const targets = integrations.map((i) => refOf(i.Properties.IntegrationUri));

    // assert: one alias, on verify, with 2 provisioned instances, and the API invokes it
    expect(
      Object.values(aliases).map((a) => [
        refOf(a.Properties.FunctionName),
        a.Properties.ProvisionedConcurrencyConfig,
      ]),
    ).toEqual([[verifyFn, { ProvisionedConcurrentExecutions: 2 }]]);
    expect(targets.filter((t) => aliasIds.includes(t!))).toHaveLength(1);
    expect(targets).not.toContain(verifyFn);
    // and none by default
    expect(template.findResources('AWS::Lambda::Alias')).toEqual({});
  });
  it("tells every function the exchange's static site when the configuration names one, and only then", () => {
    // prepare
    const config = defaultConfig();
    const staticUrl = 'https://trust.hcx.example';
    const node = buildApp({
      province: '330000',
      config: { ...config, exchange: { ...config.exchange, staticUrl } },
    }).stacks.provinces[0];

    // act
    const envOf = (t: Template) =>
      Object.values(t.findResources('AWS::Lambda::Function')).map(
        (f) => (f.Properties.Environment?.Variables ?? {}) as Record<string, unknown>,
      );
    const withStatic = envOf(Template.fromStack(node));

    // assert
    expect(withStatic.length).toBeGreaterThan(0);
    expect(withStatic.filter((v) => 'REGION_CODE' in v).map((v) => v.EXCHANGE_STATIC_URL)).toEqual(
      withStatic.filter((v) => 'REGION_CODE' in v).map(() => staticUrl),
    );
    expect(envOf(template).some((v) => 'EXCHANGE_STATIC_URL' in v)).toBe(false);
  });
});
