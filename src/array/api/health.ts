// GET /v1/health (liveness and identity) and GET /metrics (Prometheus text).
import { API, type HealthResponse } from '../../protocol/control.js';
import type { ArrayMetrics } from '../metrics.js';
import type { ApiPlugin } from './server.js';

export interface HealthDeps {
  name: string;
  startedAt: number;
  metrics: ArrayMetrics;
  /** Whether the peer link is up; reported false until a peer layer supplies it. */
  peerConnected: () => boolean;
}

export function healthRoutes(deps: HealthDeps): ApiPlugin {
  return (app) => {
    app.get(API.health, async (): Promise<HealthResponse> => ({
      result: 'NORMAL',
      name: deps.name,
      peerConnected: deps.peerConnected(),
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
    }));
    app.get(API.metrics, async (_req, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.text()));
  };
}
