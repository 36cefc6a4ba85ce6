/** The shared test kit: event builders, a Lambda context, log capture, dynalite tables. */
export { apiEvent, lambdaContext, type ApiEventInput } from './events';
export { captureLogs, withCapturedLogs, type CapturedLogs } from './logs';
export { dynaliteTables, localDynamoClient, type DynaliteTables } from './dynalite';
export { thrown } from './thrown';
