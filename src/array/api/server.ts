// The command device (SPEC §5): a fastify app where every route needs the bearer token and
// every body is a CommandResult. Routes come from small plugins so later layers add their own.
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { z } from 'zod';
import { abnormal, REASONS, type CommandResult, type Reason } from '../../core/types.js';
import { httpStatusFor } from '../../protocol/control.js';
import type { Logger } from '../../log.js';

export type ApiPlugin = (app: FastifyInstance) => void;

/** Thrown by a route to answer ABNORMAL END with this reason. */
export class ApiError extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Any error that carries a known `reason` (ApiError, VolumeError, ...) is an ABNORMAL END. */
function reasonOf(err: unknown): Reason | undefined {
  const reason = (err as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' && (REASONS as readonly string[]).includes(reason) ? (reason as Reason) : undefined;
}

export function send(reply: FastifyReply, result: CommandResult): FastifyReply {
  return reply.code(result.result === 'NORMAL' ? 200 : httpStatusFor(result.reason)).send(result);
}

/** Validate request input with zod; a failure is a 400 naming each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : what}: ${i.message}`);
  throw new ApiError('bad-request', `invalid ${what}: ${problems.join('; ')}`);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

export function buildControlApi(opts: { token: string; logger: Logger; plugins: ApiPlugin[] }): FastifyInstance {
  const app = Fastify({ logger: false, return503OnClosing: true });
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const expected = digest(`Bearer ${opts.token}`);

  app.addHook('onRequest', async (req, reply) => {
    const given = req.headers.authorization ?? '';
    if (!timingSafeEqual(digest(given), expected)) {
      return send(reply, abnormal('unauthorized', given === '' ? 'missing bearer token' : 'wrong bearer token'));
    }
  });

  app.setNotFoundHandler((req, reply) => send(reply, abnormal('not-found', `no route ${req.method} ${req.url}`)));

  app.setErrorHandler((err, req, reply) => {
    const reason = reasonOf(err);
    if (reason) return send(reply, abnormal(reason, (err as Error).message));
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) return send(reply, abnormal('bad-request', (err as Error).message));
    opts.logger.error({ err, method: req.method, url: req.url }, 'control API request failed');
    return send(reply, abnormal('io-error', `internal error: ${(err as Error).message}`));
  });

  for (const plugin of opts.plugins) plugin(app);
  return app;
}
