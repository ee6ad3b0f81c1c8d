/** Optional Prometheus endpoint: GET /metrics serves the counters declared in daemon/stats.ts. */
import http from 'node:http';
import type net from 'node:net';
import type { Logger } from 'winston';
import { parseListen } from '../rules/listen';
import { metricsText, METRICS_CONTENT_TYPE } from './stats';

export async function startMetricsServer(listen: string, log: Logger): Promise<net.Server> {
  const parsed = parseListen(listen);
  if (!parsed.ok) throw new Error(`--metrics ${listen}: ${parsed.why}`);
  const { host, port } = parsed;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    metricsText().then(
      (body) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => resolve());
  });
  log.info(`metrics on http://${listen}/metrics`);
  return server;
}
