/**
 * The `npm start` state file (`--state-file F`): where the local federation runs and the local
 * stand-ins for IAM. The CLI fills its connection options from it, so a user never copies a token.
 */
import type { FederationState } from '../embedded/federation';
import { processAlive } from '../embedded/local-files';
import { InputFileError, ServiceError, UsageError } from './errors';
import { readJson } from './files';

export type { FederationState };
export type StateProvince = FederationState['provinces'][number];

const isString = (x: unknown): x is string => typeof x === 'string' && x.length > 0;

/** Read and check a state file written by `npm start -- --state-file F`. */
export function loadState(path: string): FederationState {
  let s: Partial<FederationState> | null;
  try {
    s = readJson(path, 'the state file') as Partial<FederationState> | null;
  } catch (e) {
    if (!(e instanceof InputFileError)) throw e;
    throw new InputFileError(`${e.message} (it is written by \`npm start -- --state-file ${path}\`)`);
  }
  const provinces = s?.provinces;
  const ok =
    s !== null &&
    typeof s === 'object' &&
    isString(s.federationId) &&
    isString(s.exchangeUrl) &&
    isString(s.operatorToken) &&
    typeof s.federationJwks === 'object' &&
    Array.isArray(provinces) &&
    provinces.every((p) => isString(p?.region) && isString(p?.url) && isString(p?.internalToken));
  if (!ok) {
    throw new InputFileError(
      `${path} is not an npm start state file (run \`npm start -- --state-file ${path}\`)`,
    );
  }
  // a state file left by a run that was killed: its URLs and key files are gone with it
  const state = s as FederationState;
  if (typeof state.pid === 'number' && !processAlive(state.pid)) {
    throw new ServiceError(
      `the federation of ${path} is not running (its process ${state.pid} has stopped); start it again with npm start`,
    );
  }
  return state;
}

/** The province `region` of the state file, or its first province. */
export function pickProvince(state: FederationState, region?: string): StateProvince {
  if (region === undefined) return state.provinces[0];
  const p = state.provinces.find((x) => x.region === region);
  if (!p) {
    const known = state.provinces.map((x) => x.region).join(', ');
    throw new UsageError(`province ${region} is not in the state file (it runs ${known})`);
  }
  return p;
}
