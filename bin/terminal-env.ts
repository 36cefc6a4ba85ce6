/**
 * Environment defaults for the processes started from a terminal (`npm start`), imported first:
 * ES module imports are hoisted, so these must live in their own module to run before the AWS SDK
 * and the logger read them.
 */
// The AWS SDK warns once per process about Node 20, which is supported here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// The handlers log and emit metrics as in Lambda; on a terminal only warnings matter (override either).
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

export {};
