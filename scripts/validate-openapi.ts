/**
 * Validates /api/openapi.json with a real OpenAPI validator, built the same way the server builds
 * it (buildOpenApiDocument: every registered route), without a database or a listening port:
 *   npm run validate-openapi
 * Exits 1 with the validator's messages when the document is not valid OpenAPI, or when an
 * operation declares no success response. `.ci/run` runs it before the tests.
 */
import { buildOpenApiDocument } from '../src/http/app';
import { closeHub, createHub } from '../src/hub';
import { openApiProblems } from './openapi-check';
import { fail, scriptConfig } from './cli';

async function main(): Promise<void> {
  const hub = createHub(scriptConfig('validate-openapi'), { dbMax: 1 });
  try {
    const doc = buildOpenApiDocument(hub);
    const problems = await openApiProblems(doc);
    if (problems.length) fail('validate-openapi', problems.join('\n'));
    const count = Object.values(doc.paths as Record<string, object>).reduce((n, p) => n + Object.keys(p).length, 0);
    console.log(`validate-openapi: OpenAPI ${String(doc.openapi)} document valid, ${count} operations`);
  } finally {
    await closeHub(hub);
  }
}

main().catch((err) => fail('validate-openapi', err?.message ?? String(err)));
