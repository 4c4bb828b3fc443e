import client from 'prom-client';

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
