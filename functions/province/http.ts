/** What the province handlers share: the code id path parameter. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isCodeId } from '../core/schemas/validators';
import { pathParam } from '../http';

/** The `{codeId}` path parameter, checked against the code-id schema (400 otherwise). */
export function codeIdParam(event: APIGatewayProxyEventV2): string {
  return pathParam(event, 'codeId', isCodeId);
}
