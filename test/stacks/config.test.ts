import { type FederationConfigError, validateFederationConfig } from '../../lib/config/federation-config';
import { buildApp, defaultConfig } from './fixture';

/** The default configuration as plain JSON, to break one field at a time. */
function raw(): Record<string, unknown> & { provinces: Record<string, unknown>[] } {
  return JSON.parse(JSON.stringify(defaultConfig()));
}

function errorOf(input: unknown): FederationConfigError {
  try {
    validateFederationConfig(input);
  } catch (error) {
    return error as FederationConfigError;
  }
  throw new Error('the configuration was accepted');
}

describe('federation configuration', () => {
  it('accepts the default configuration with an exchange and three provinces', () => {
    const config = defaultConfig();
    expect(config.provinces.map((p) => p.region)).toEqual(['330000', '440000', '350000']);
  });

  it('names the bad field when an account id is malformed', () => {
    // prepare
    const input = raw();
    (input.provinces[1].aws as Record<string, unknown>).account = '12345';

    // act
    const error = errorOf(input);

    // assert
    expect(error.code).toBe('FEDERATION_CONFIG_INVALID');
    expect(error.field).toBe('provinces[1].aws.account');
  });

  it('names a missing required field', () => {
    const input = raw();
    delete input.provinces[2].name;
    expect(errorOf(input).field).toBe('provinces[2].name');
  });

  it('names an unknown field instead of ignoring it', () => {
    const input = raw();
    input.provinces[0].sleepTracking = true;
    expect(errorOf(input).field).toBe('provinces[0].sleepTracking');
  });

  it('refuses a region code that is not province level', () => {
    const input = raw();
    input.provinces[0].region = '330100';
    expect(errorOf(input).field).toBe('provinces[0].region');
  });

  it('refuses a staleness alarm below the re-issue period, which would fire in every window', () => {
    // prepare
    const input = raw();
    (input.settings as Record<string, unknown>).syncStaleAfterSeconds = 600;

    // act
    const error = errorOf(input);

    // assert
    expect(error.code).toBe('FEDERATION_CONFIG_INVALID');
    expect(error.field).toBe('settings.syncStaleAfterSeconds');
  });

  it('refuses the same province twice', () => {
    const input = raw();
    input.provinces[2].region = '330000';
    expect(errorOf(input).field).toBe('provinces[2].region');
  });

  it('refuses a private key member in the federation JWKS', () => {
    const input = raw();
    const x = 'A'.repeat(43);
    input.federationJwks = { keys: [{ kty: 'EC', crv: 'P-256', x, y: x, kid: x, d: x }] };
    expect(errorOf(input).field).toBe('federationJwks.keys[0].d');
  });

  it('refuses a rotation whose next key generation is the active one', () => {
    const input = raw();
    input.provinces[1].signingKey = { active: 3, next: 3 };
    expect(errorOf(input).field).toBe('provinces[1].signingKey.next');
  });

  it('synthesizes only the selected province, without the exchange', () => {
    const { stacks } = buildApp({ province: '440000' });
    expect(stacks.exchange).toBeUndefined();
    expect(stacks.provinces.map((s) => s.stackName)).toEqual(['HcxProvince440000']);
  });

  it('names the province context value when it is not in the configuration', () => {
    let error: FederationConfigError | undefined;
    try {
      buildApp({ province: '110000' });
    } catch (e) {
      error = e as FederationConfigError;
    }
    expect(error?.field).toBe('province');
  });
});
