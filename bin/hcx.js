#!/usr/bin/env node
// The `hcx` command (package.json "bin"): TypeScript run through tsx, a runtime dependency.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
require('tsx/cjs');
require('./hcx.ts');
