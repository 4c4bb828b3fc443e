import type http from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Hub } from '../hub';
import { Problem } from '../errors';
import { QUERY_CANCELED } from '../db';
import { Api, API_JSON_LIMIT_BYTES, rememberBodySize } from './api';
import { methodNotAllowed } from './methods';
import { createMetrics, metricsHandler, metricsOnMainApp, type Metrics } from '../metrics';
import { pingRedis } from '../redis';
import { registerMemberRoutes } from '../members/routes';
import { registerStaffRoutes } from '../auth/routes';
import { registerReferenceRoutes } from '../geography/routes';
import { registerTemplateRoutes } from '../render';
import { mountConsent, registerConsentRoutes, registerProviderEventRoutes } from '../consent';
import { mountWeb } from '../web';
import { registerBallotRoutes } from '../ballots';
import { registerPrivacyRoutes } from '../privacy';
import { registerAudienceRoutes } from '../audience';
import { registerCampaignRoutes } from '../campaigns';
import { registerVocabularyRoutes } from '../vocabulary/routes';
import { registerWebRoutes } from '../web/routes';
import { registerSessionRoutes } from '../web/session-routes';
import { registerStrikeRoutes } from '../strikes';

/**
 * How long the hub keeps an idle keep-alive connection open. Longer than the idle timeout of what
 * sits in front of it: the usual proxies and load balancers keep 60 s, and undici (Node's fetch)
 * keeps a pooled connection for the server's `Keep-Alive: timeout` hint less a second. With Node's
 * 5 s default the server closed a connection at about the moment a client reused it, and that
 * request failed with ECONNRESET (seen in CI on a busy machine: a test's fetch after a pause).
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** The app's HTTP server, listening (production, tests and benches start it this one way). */
export function listenApp(app: express.Express, port: number, host?: string): Promise<http.Server> {
  return new Promise<http.Server>((resolve, reject) => {
    const s = host === undefined ? app.listen(port) : app.listen(port, host);
    s.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    s.once('listening', () => resolve(s));
    s.once('error', reject);
  });
}

export interface AppOptions {
  metrics?: Metrics;
}

/** The internal metrics listener's app (METRICS_PORT): `/metrics` only, nothing else. */
export function buildMetricsApp(hub: Hub, metrics: Metrics): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', metricsHandler(hub.config, metrics, { internal: !hub.config.metrics.token }));
  app.use((_req, res) => { res.status(404).end(); });
  return app;
}

/** Routes of each part of the hub; a part adds its own `register…Routes(api)` here. */
const ROUTE_MODULES: ((api: Api) => void)[] = [
  registerStaffRoutes,
  registerMemberRoutes,
  registerReferenceRoutes,
  registerTemplateRoutes,
  registerConsentRoutes,
  registerProviderEventRoutes,
  registerBallotRoutes,
  registerPrivacyRoutes,
  registerCampaignRoutes,
  registerAudienceRoutes,
  registerVocabularyRoutes,
  registerWebRoutes,
  registerSessionRoutes,
  registerStrikeRoutes,
];

/** Mounts outside /api (webhooks, member pages, staff web pages), each given the app. */
const APP_MODULES: ((app: express.Express, hub: Hub) => void)[] = [
  mountConsent,
  mountWeb,
];

/** The /api/openapi.json document of an Api whose routes are registered (OpenAPI 3.1). */
export function openApiDocument(api: Api): Record<string, unknown> {
  const openapi = api.openapi();
  return {
    openapi: '3.1.0',
    info: { title: 'Budstikke API', version: '1' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Problem: {
          type: 'object',
          properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, errors: { type: 'array' } },
        },
        ...openapi.schemas,
      },
    },
    paths: openapi.paths,
  };
}

/**
 * The document the server serves, built the same way (every ROUTE_MODULES registration) without
 * listening: for `npm run validate-openapi` and the tests that check every declared operation.
 */
export function buildOpenApiDocument(hub: Hub): Record<string, unknown> {
  const api = new Api(hub, '/api');
  for (const register of ROUTE_MODULES) register(api);
  return openApiDocument(api);
}

export function buildApp(hub: Hub, opts: AppOptions = {}): express.Express {
  const app = express();
  const metrics = opts.metrics ?? createMetrics();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameSrc: ["'self'"],
        frameAncestors: ["'self'"],
        formAction: ["'self'"],
        objectSrc: ["'none'"],
      },
    },
  }));

  app.use((req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ?? 'unmatched';
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      end({ method: req.method, route });
    });
    next();
  });

  app.get('/healthz', (_req, res) => { res.json({ status: 'ok' }); });
  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    try { await hub.db.query('SELECT 1'); checks.postgres = 'ok'; } catch (e: any) { checks.postgres = e.message; }
    try { await pingRedis(hub.config.redisUrl); checks.redis = 'ok'; } catch (e: any) { checks.redis = e.message; }
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
  });
  if (metricsOnMainApp(hub.config)) app.get('/metrics', metricsHandler(hub.config, metrics));

  for (const mount of APP_MODULES) mount(app, hub);

  const api = new Api(hub, '/api');
  // JSON bodies are parsed before authentication, so the limit is small (1 MB; routes may take
  // less, RouteSpec.maxBodyBytes). The member import reads its own body after authentication,
  // with its own limit.
  const json = express.json({ limit: API_JSON_LIMIT_BYTES, type: ['application/json', 'application/*+json'], verify: rememberBodySize });
  api.router.use((req, res, next) => (req.path === '/members/import' ? next() : json(req, res, next)));
  for (const register of ROUTE_MODULES) register(api);
  const openapi = openApiDocument(api);
  app.get('/api/openapi.json', (_req, res) => { res.json(openapi); });
  app.use('/api', api.router);

  app.use(methodNotAllowed(() => (app as unknown as { router: { stack: unknown[] } }).router.stack));
  app.use((req, _res, next) => next(Problem.notFound(`Finnes ikke: ${req.method} ${req.path}.`)));
  app.use((err: any, req: Request, res: Response, _next: NextFunction) => {
    let p: Problem;
    if (err instanceof Problem) p = err;
    else if (err?.type === 'entity.parse.failed') p = Problem.badRequest('Innholdet i forespørselen er ikke gyldig JSON.');
    else if (err?.type === 'entity.too.large') {
      p = new Problem(413, 'Content Too Large', `Innholdet i forespørselen er større enn ${err.limit} byte, det meste som tas imot her.`, { extra: { limit: 'body', max: err.limit } });
    } else if (err?.code === QUERY_CANCELED) {
      p = new Problem(503, 'Service Unavailable', 'Forespørselen tok lengre tid enn databasens tidsgrense (DB_STATEMENT_TIMEOUT_MS) og ble stoppet.');
    }
    else if (err?.status && err.status >= 400 && err.status < 500) p = new Problem(err.status, err.message || 'Bad Request');
    else {
      hub.log.error({ err: { message: err?.message, stack: err?.stack }, path: req.path }, 'unhandled error');
      p = new Problem(500, 'Internal Server Error', 'Noe gikk galt; feilen er logget.');
    }
    if (res.headersSent) return;
    res.status(p.status).type('application/problem+json').send(JSON.stringify(p.toJSON(req.originalUrl)));
  });
  return app;
}
