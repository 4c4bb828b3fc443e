import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import client from 'prom-client';
import type { Config } from './config';

/** One registry per process (tests build several hubs in one process, each with its own). */
export interface Metrics {
  registry: client.Registry;
  httpRequests: client.Counter<'method' | 'route' | 'status'>;
  httpDuration: client.Histogram<'method' | 'route'>;
  messages: client.Counter<'channel' | 'outcome'>;
}

/**
 * Halts of a campaign's channel (provider refused our account, or retries ran out). Counted where
 * they happen (worker processes), so process-wide; every registry created here exposes it.
 */
export const campaignHaltsTotal = new client.Counter({
  name: 'budstikke_campaign_halts_total', help: 'Campaign channels halted, by channel, reason and provider',
  labelNames: ['channel', 'reason', 'provider'] as const, registers: [],
});

export function createMetrics(withDefaults = false): Metrics {
  const registry = new client.Registry();
  registry.registerMetric(campaignHaltsTotal);
  if (withDefaults) client.collectDefaultMetrics({ register: registry, prefix: 'budstikke_' });
  return {
    registry,
    httpRequests: new client.Counter({ name: 'budstikke_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [registry] }),
    httpDuration: new client.Histogram({ name: 'budstikke_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] }),
    messages: new client.Counter({ name: 'budstikke_messages_total', help: 'Messages by channel and outcome', labelNames: ['channel', 'outcome'], registers: [registry] }),
  };
}

/**
 * Whether the main app serves `/metrics`: not when a separate internal port serves it
 * (METRICS_PORT), and in production only behind METRICS_TOKEN.
 */
export function metricsOnMainApp(config: Config): boolean {
  if (config.metrics.port) return false;
  return config.nodeEnv !== 'production' || !!config.metrics.token;
}

/** `/metrics`, asking for `Authorization: Bearer $METRICS_TOKEN` when one is configured. */
export function metricsHandler(config: Config, metrics: Metrics, opts: { internal?: boolean } = {}) {
  return async (req: Request, res: Response): Promise<void> => {
    const token = config.metrics.token;
    if (token && !opts.internal) {
      const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '';
      const a = crypto.createHash('sha256').update(given).digest();
      const b = crypto.createHash('sha256').update(token).digest();
      if (!crypto.timingSafeEqual(a, b)) {
        res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').type('application/problem+json')
          .send(JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'GET /metrics needs Authorization: Bearer $METRICS_TOKEN.' }));
        return;
      }
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
}
