/**
 * The exchange's domain: every rule about who may publish, revoke and register what, as functions
 * over an {@link ExchangeRepository}. Handlers only call these. By concern:
 *
 * - ./append.ts: the append protocol (`appendWith`, `catchUp`): one writer wins each seq.
 * - ./rules.ts: the acceptance rules that read state (authentication, active province, free kid,
 *   caps); the pure decisions are in functions/core/rules.
 * - ./commands.ts: the changes (register, suspend, re-enroll, resume, publish and revoke keys,
 *   revoke codes).
 * - ./queries.ts: the reads (provinces, a province's JWKS, federation info, log pages).
 */
export * from './append';
export * from './commands';
export * from './queries';
export * from './rules';
