/**
 * The CDK app: reads the federation configuration (`-c config=<path>`, default
 * `federation.config.json`), validates it, and adds the exchange stack and one stack per province
 * (`-c province=330000` for that province only). cdk-nag's AwsSolutions pack runs at synthesis.
 */
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import {
  FederationConfigError,
  federationConfigWarnings,
  loadFederationConfig,
} from '../lib/config/federation-config';
import { addHcxStacks, addNagChecks } from '../lib/hcx-app';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const app = new App();
try {
  const configPath = path.resolve(String(app.node.tryGetContext('config') ?? 'federation.config.json'));
  const province = app.node.tryGetContext('province') as string | number | undefined;
  const config = loadFederationConfig(configPath);
  for (const w of federationConfigWarnings(config))
    console.warn(`${configPath}: warning ${w.code}: ${w.field}: ${w.message}`);
  addHcxStacks(app, config, {
    province: province === undefined ? undefined : String(province),
    pagesDir: (app.node.tryGetContext('pagesDir') as string | undefined) ?? undefined,
  });
} catch (error) {
  if (!(error instanceof FederationConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
addNagChecks(app);
app.synth();
