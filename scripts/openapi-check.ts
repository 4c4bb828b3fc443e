import { compileErrors, validate } from '@readme/openapi-parser';
import { operationsWithoutSuccessResponse } from '../src/http/api';

/**
 * What is wrong with an OpenAPI document, as messages (empty: nothing): the validator's
 * (@readme/openapi-parser, which knows OpenAPI 3.1 as the hub emits it), and every operation
 * that declares no success response.
 */
export async function openApiProblems(doc: Record<string, unknown>): Promise<string[]> {
  // validate() dereferences the document it is given: give it a copy.
  const result = await validate(structuredClone(doc) as any, { validate: { errors: { colorize: false } } });
  const problems = result.valid ? [] : [compileErrors(result)];
  const missing = operationsWithoutSuccessResponse(doc);
  if (missing.length) problems.push(`operations without a declared success response: ${missing.join(', ')}`);
  return problems;
}
