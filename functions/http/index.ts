/** The shared HTTP layer of every hcx Lambda handler (middy 6, API Gateway HTTP API payload 2.0). */
export {
  callerIdentity,
  header,
  jose,
  json,
  noContent,
  pathParam,
  queryEnum,
  queryInteger,
  queryParam,
  type HttpEvent,
  type HttpLambdaHandler,
  type HttpResponse,
  type ParamCheck,
} from './event';
export {
  httpHandler,
  lazyHandler,
  scheduledHandler,
  type HttpHandlerOptions,
  type HttpImpl,
  type ScheduledImpl,
} from './handler';
export {
  PROBLEM_TYPE_BASE,
  isRetryableDependencyError,
  problemDetails,
  problemResponse,
  problemType,
  toHcxError,
  type ProblemDetailsOptions,
} from './problem-details';
export {
  DEFAULT_MAX_BODY_BYTES,
  mediaType,
  readBody,
  type BodyType,
  type ReadBodyOptions,
} from './read-body';
export { securityHeaders, withSecurityHeaders, type SecurityHeadersOptions } from './security-headers';
export { bodyValidator, validateBody, type BodySchema, type BodyValidator } from './validate-body';
