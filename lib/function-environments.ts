/**
 * The environment each deployed function gets, read from the synthesized stacks (asset bundling
 * off) with every CloudFormation token replaced by a well-formed placeholder. The stack test that
 * builds every handler from its own environment and the cold-start bench both use it, so neither
 * can pass with a variable the stack does not set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import type { FederationConfig } from './config/federation-config';
import { addHcxStacks } from './hcx-app';

/** One function as deployed: its handler folder under functions/ and its environment. */
export interface FunctionEnvironment {
  readonly fn: string;
  readonly stack: string;
  readonly env: Readonly<Record<string, string>>;
}

/** The stand-in for a caller role ARN; the bench calls IAM routes as a session of it. */
export const PLACEHOLDER_CALLER_ROLE_ARN = 'arn:aws:iam::111111111111:role/placeholder-caller';

/** A usable stand-in for a token (an ARN, a generated name), by variable name. */
function placeholder(name: string): string {
  if (name.endsWith('_URL')) return 'https://placeholder.invalid';
  if (name.endsWith('_SECRET_ARN')) {
    return 'arn:aws:secretsmanager:ap-east-1:111111111111:secret:placeholder-AbCdEf';
  }
  if (name.endsWith('_ROLE_ARN')) return PLACEHOLDER_CALLER_ROLE_ARN;
  if (name.endsWith('_KMS_KEY_ID')) {
    return 'arn:aws:kms:ap-east-1:111111111111:key/00000000-0000-0000-0000-000000000000';
  }
  return `placeholder-${name.toLowerCase().replace(/_/g, '-')}`;
}

interface CfnFunction {
  readonly Type: string;
  readonly Properties?: {
    readonly Description?: string;
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
  };
}

/** Every function of the federation described by `config`, in stack order. */
export function functionEnvironments(config: FederationConfig, tempRoot = tmpdir()): FunctionEnvironment[] {
  // The built-in CloudFormation validation (a WASM linter, seconds per stack) is not needed to read properties.
  // synthesized into a temporary folder, removed once read (CDK would leave a `cdk.out*` behind)
  const outdir = mkdtempSync(join(tempRoot, 'hcx-cdk-'));
  try {
    return readEnvironments(config, outdir);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function readEnvironments(config: FederationConfig, outdir: string): FunctionEnvironment[] {
  const app = new App({ outdir, context: { [BUNDLING_STACKS]: [] }, builtinCloudFormationValidation: false });
  const { exchange, provinces } = addHcxStacks(app, config);
  const stacks: Stack[] = [...(exchange ? [exchange] : []), ...provinces];
  const assembly = app.synth();
  return stacks.flatMap((stack) => {
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, CfnFunction>;
    };
    return Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => {
        const env: Record<string, string> = {};
        for (const [name, value] of Object.entries(r.Properties?.Environment?.Variables ?? {})) {
          env[name] = typeof value === 'string' ? value : placeholder(name);
        }
        return { fn: String(r.Properties?.Description).replace(/^hcx /, ''), stack: stack.stackName, env };
      });
  });
}
