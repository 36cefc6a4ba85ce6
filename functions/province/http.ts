/** Small pieces the province handlers share: the code id path parameter and metric flushing. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { metrics } from '../aws/observability';
import { isCodeId } from '../core/schemas/validators';
import { pathParam } from '../http';

/** The `{codeId}` path parameter, checked against the code-id schema (400 otherwise). */
export function codeIdParam(event: APIGatewayProxyEventV2): string {
  return pathParam(event, 'codeId', isCodeId);
}

/** Run `fn`, then publish the metrics it counted (aggregate counters only). */
export async function withMetrics<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
}
