/** The `npm start` state file: read, checked, and the province picked from it. */
import { writeFileSync } from 'node:fs';
import { EXIT, type CliError } from '../../functions/cli/errors';
import { loadState, pickProvince } from '../../functions/cli/state';
import { tempDir } from './fixtures';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const STATE = {
  federationId: 'hcx-local',
  exchangeUrl: 'http://127.0.0.1:8710',
  operatorToken: 'operator',
  federationJwks: { keys: [] },
  provinces: [
    {
      region: '330000',
      name: 'Zhejiang',
      url: 'http://127.0.0.1:8711',
      internalToken: 'a',
      enrollmentKeyFile: 'zj',
    },
    {
      region: '440000',
      name: 'Guangdong',
      url: 'http://127.0.0.1:8712',
      internalToken: 'b',
      enrollmentKeyFile: 'gd',
    },
  ],
};

function stateFile(name: string, text: string): string {
  const file = tmp.file(name);
  writeFileSync(file, text);
  return file;
}

function thrown(fn: () => unknown): CliError {
  try {
    fn();
  } catch (e) {
    return e as CliError;
  }
  throw new Error('expected a failure');
}

describe('the state file', () => {
  it('fills the province asked for, or the first one', () => {
    const state = loadState(stateFile('state.json', JSON.stringify(STATE)));

    expect(pickProvince(state, '440000').url).toBe('http://127.0.0.1:8712');
    expect(pickProvince(state).region).toBe('330000');
  });

  it('is an input file error (exit 4) when it is not JSON, or not a state file', () => {
    const truncated = thrown(() => loadState(stateFile('truncated.json', '{"federationId": "hcx-local",')));
    const other = thrown(() => loadState(stateFile('other.json', '{"federationId": "hcx-local"}')));

    expect(truncated.exitCode).toBe(EXIT.INPUT);
    expect(other.exitCode).toBe(EXIT.INPUT);
  });

  it('refuses a province it does not run as a usage error (exit 2)', () => {
    const state = loadState(stateFile('state2.json', JSON.stringify(STATE)));

    expect(thrown(() => pickProvince(state, '350000')).exitCode).toBe(EXIT.USAGE);
  });
});
