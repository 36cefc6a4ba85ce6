/**
 * Imported first by the bench and soak entry points: it sets the environment before any domain
 * module loads. An assignment written above the imports of the entry file itself does not do
 * that, because imports are hoisted (tsx/esbuild emit them before the file's own statements), and
 * functions/aws/observability.ts reads `HCX_LOG_SILENT` once, when it is first imported.
 */
// The runtime under test would otherwise log and emit a metric line per request.
process.env.HCX_LOG_SILENT ??= 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
