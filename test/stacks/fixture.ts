/** Builds the hcx app from the default federation configuration with bundling switched off (fast). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import { type FederationConfig, loadFederationConfig } from '../../lib/config/federation-config';
import { addHcxStacks, addNagChecks, type HcxStackOptions, type HcxStacks } from '../../lib/hcx-app';

export const DEFAULT_CONFIG_PATH = path.resolve(__dirname, '..', '..', 'federation.config.json');

/** The default configuration shipped in the repository. */
export function defaultConfig(): FederationConfig {
  return loadFederationConfig(DEFAULT_CONFIG_PATH);
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new app without asset bundling, with the hcx stacks and, when asked, cdk-nag. */
export function buildApp(options: HcxStackOptions & { nag?: boolean; config?: FederationConfig } = {}): {
  app: App;
  stacks: HcxStacks;
} {
  // The built-in CloudFormation validation (a WASM linter, seconds per stack) runs in `cdk synth`, not here.
  // Its own output folder, removed after the file's tests (CDK would leave a `cdk.out*` in the temp folder).
  const outdir = mkdtempSync(path.join(tmpdir(), 'hcx-cdk-'));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    context: { [BUNDLING_STACKS]: [] },
    builtinCloudFormationValidation: false,
  });
  const stacks = addHcxStacks(app, options.config ?? defaultConfig(), options);
  if (options.nag) addNagChecks(app);
  return { app, stacks };
}

/** One IAM policy statement as synthesized. */
export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** The value as an array (IAM writes one action or resource as a scalar). */
export function toArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** `{ Ref }` or `{ Fn::GetAtt: [id, …] }` → the logical id it points at (otherwise undefined). */
export function refOf(value: unknown): string | undefined {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string]; 'Fn::Join'?: [string, unknown[]] };
  if (v?.Ref) return v.Ref;
  if (v?.['Fn::GetAtt']) return v['Fn::GetAtt'][0];
  if (v?.['Fn::Join']) return v['Fn::Join'][1].map(refOf).find((x) => x !== undefined);
  return undefined;
}

/** The logical id of a construct's CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).resolve(element.logicalId) as string;
}

/** Every statement of every IAM policy attached to the role. */
export function statementsOf(template: Template, role: IConstruct): Statement[] {
  const roleId = logicalId(role);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles as unknown[]).some((r) => refOf(r) === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** Logical ids of the roles whose policies allow `action`. */
export function rolesAllowed(template: Template, action: string): string[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) =>
      (p.Properties.PolicyDocument.Statement as Statement[]).some(
        (s) => s.Effect === 'Allow' && toArray(s.Action).includes(action),
      ),
    )
    .flatMap((p) => (p.Properties.Roles as unknown[]).map((r) => refOf(r)!))
    .sort();
}
