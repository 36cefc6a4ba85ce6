/** The shared test kit: domain fixtures, event builders, a Lambda context, log capture, dynalite tables (the in-process federation is ./federation). */
export { apiEvent, lambdaContext, type ApiEventInput } from './events';
export { captureLogs, withCapturedLogs, type CapturedLogs } from './logs';
export { dynaliteTables, localDynamoClient, type DynaliteTables } from './dynalite';
export { thrown } from './thrown';
export * from './domain';
