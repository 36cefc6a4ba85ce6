/**
 * The invocation a piece of code runs for, kept per request with AsyncLocalStorage: its Lambda
 * context (so a log line names the function it was written for, even when one process serves
 * several functions at once, as the embedded runtime does) and its deadline (an AbortSignal that
 * fires when the context's remaining time is up).
 *
 * In AWS one process serves one invocation at a time and Lambda stops it at its timeout. The
 * embedded runtime answers `504` after the gateway timeout while the handler's promise is still
 * running: code that would start a new effect (a log append) calls {@link throwIfPastDeadline} first,
 * so a handler stops at its next such step instead of carrying on after the caller was told it failed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import { HcxError } from './errors';

/** What is kept for one invocation. */
export interface Invocation {
  readonly context: Context;
  /** Aborted once the context's remaining time is up. */
  readonly signal: AbortSignal;
  /** Powertools' cold-start flag, read once per invocation (observability.ts). */
  coldStart?: boolean;
}

const invocations = new AsyncLocalStorage<Invocation>();

/** Run `fn` as the invocation of `context`, with a deadline at its remaining time. */
export async function runInvocation<T>(context: Context, fn: () => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const remaining =
    typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
  const timer =
    remaining === undefined || !Number.isFinite(remaining)
      ? undefined
      : setTimeout(() => controller.abort(), Math.max(0, remaining));
  timer?.unref();
  try {
    return await invocations.run({ context, signal: controller.signal }, fn);
  } finally {
    clearTimeout(timer);
  }
}

/** `handler`, each call run as the invocation of its context (see {@link runInvocation}). */
export function asInvocation<E, R>(
  handler: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return (event, context) => runInvocation(context, () => handler(event, context));
}

/** The invocation the caller runs for, if any. */
export function currentInvocation(): Invocation | undefined {
  return invocations.getStore();
}

/** `504 DEADLINE_EXCEEDED`: the invocation's time is up; nothing further was started. */
export class DeadlineExceeded extends HcxError {
  constructor() {
    super('DEADLINE_EXCEEDED');
  }
}

/** Throw {@link DeadlineExceeded} when the current invocation's deadline has passed. */
export function throwIfPastDeadline(): void {
  if (invocations.getStore()?.signal.aborted) throw new DeadlineExceeded();
}
