/**
 * Crypto-erasure permissions (docs/sunset.md): only the sunset functions may disable a signing key
 * and schedule its deletion — an IAM grant to that one role, and a deny in the key policy for every
 * other principal.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, logicalId, refOf, rolesAllowed, statementsOf, toArray } from './fixture';

const exchange = buildApp().stacks.exchange!;
const province = buildApp({ province: '330000' }).stacks.provinces[0];
const exchangeTemplate = Template.fromStack(exchange);
const provinceTemplate = Template.fromStack(province);

function onlyRoleMayDestroy(template: Template, roleId: string): void {
  template.hasResourceProperties('AWS::KMS::Key', {
    KeySpec: 'ECC_NIST_P256',
    KeyPolicy: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: ['kms:DisableKey', 'kms:ScheduleKeyDeletion'],
          Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [roleId, 'Arn'] } } },
        }),
      ]),
    },
  });
}

describe.each([['kms:DisableKey'], ['kms:ScheduleKeyDeletion']])('%s', (action) => {
  it('is granted in the exchange to the federation sunset function only, on the federation key', () => {
    const sunset = exchange.functions.get('exchange-sunset-federation');
    expect(rolesAllowed(exchangeTemplate, action)).toEqual([logicalId(sunset.role)]);
    const granted = statementsOf(exchangeTemplate, sunset.role).filter((s) =>
      toArray(s.Action).includes(action),
    );
    expect(granted.flatMap((s) => toArray(s.Resource)).map(refOf)).toEqual([
      logicalId(exchange.federationKey.key),
    ]);
  });

  it('is granted in a province to the province sunset function only, on the issuer key', () => {
    const sunset = province.functions.get('province-sunset');
    expect(rolesAllowed(provinceTemplate, action)).toEqual([logicalId(sunset.role)]);
    const granted = statementsOf(provinceTemplate, sunset.role).filter((s) =>
      toArray(s.Action).includes(action),
    );
    expect(granted.flatMap((s) => toArray(s.Resource)).map(refOf)).toEqual([
      logicalId(province.issuerKey.key),
    ]);
  });
});

it('denies disabling or deleting the federation key to every principal but the federation sunset', () => {
  onlyRoleMayDestroy(exchangeTemplate, logicalId(exchange.functions.get('exchange-sunset-federation').role));
});

it('denies disabling or deleting the issuer key to every principal but the province sunset', () => {
  onlyRoleMayDestroy(provinceTemplate, logicalId(province.functions.get('province-sunset').role));
});

it('gives the province sunset no kms:Sign (it destroys keys, it never signs codes)', () => {
  const sunset = province.functions.get('province-sunset');
  expect(statementsOf(provinceTemplate, sunset.role).flatMap((s) => toArray(s.Action))).not.toContain(
    'kms:Sign',
  );
});

describe('secretsmanager:DeleteSecret', () => {
  it('is granted in a province to the province sunset function only, on the enrollment secret', () => {
    const sunset = province.functions.get('province-sunset');
    // Every secret but the per-caller counters' key, which keys nothing stored 2 minutes after the
    // last holder check (its counters expire by TTL): it goes with the stack, nobody deletes it.
    const callerKey = logicalId(province.callerKey);
    const secrets = Object.keys(provinceTemplate.findResources('AWS::SecretsManager::Secret')).filter(
      (id) => id !== callerKey,
    );

    expect(rolesAllowed(provinceTemplate, 'secretsmanager:DeleteSecret')).toEqual([logicalId(sunset.role)]);
    const granted = statementsOf(provinceTemplate, sunset.role).filter((s) =>
      toArray(s.Action).includes('secretsmanager:DeleteSecret'),
    );
    expect(granted.flatMap((s) => toArray(s.Resource)).map(refOf)).toEqual(secrets);
    expect(secrets).toHaveLength(1);
  });

  it('is granted to no function of the exchange', () => {
    expect(rolesAllowed(exchangeTemplate, 'secretsmanager:DeleteSecret')).toEqual([]);
  });
});
