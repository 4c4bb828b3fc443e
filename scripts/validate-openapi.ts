/**
 * Validates /api/openapi.json with a real OpenAPI validator (@readme/openapi-parser, which knows
 * OpenAPI 3.1 as the hub emits it), built the same way the server builds it (buildOpenApiDocument:
 * every registered route), without a database or a listening port:
 *   npm run validate-openapi
 * Exits 1 with the validator's messages when the document is not valid OpenAPI, or when an
 * operation declares no success response.
 */
import { compileErrors, validate } from '@readme/openapi-parser';
import { buildOpenApiDocument } from '../src/http/app';
import { closeHub, createHub } from '../src/hub';
import { operationsWithoutSuccessResponse } from '../src/http/api';
import { fail, scriptConfig } from './cli';

async function main(): Promise<void> {
  const hub = createHub(scriptConfig('validate-openapi'), { dbMax: 1 });
  try {
    const doc = buildOpenApiDocument(hub);
    // validate() dereferences the document it is given: give it a copy.
    const result = await validate(structuredClone(doc) as any, { validate: { errors: { colorize: false } } });
    if (!result.valid) fail('validate-openapi', compileErrors(result));
    const missing = operationsWithoutSuccessResponse(doc);
    if (missing.length) fail('validate-openapi', `operations without a declared success response: ${missing.join(', ')}`);
    const count = Object.values(doc.paths as Record<string, object>).reduce((n, p) => n + Object.keys(p).length, 0);
    const warnings = result.warnings?.length ? ` (${result.warnings.length} warnings: ${JSON.stringify(result.warnings)})` : '';
    console.log(`validate-openapi: OpenAPI ${String(doc.openapi)} document valid, ${count} operations${warnings}`);
  } finally {
    await closeHub(hub);
  }
}

main().catch((err) => fail('validate-openapi', err?.message ?? String(err)));
