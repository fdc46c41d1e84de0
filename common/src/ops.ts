import Fastify, { type FastifyInstance } from 'fastify'
import type { Registry } from 'prom-client'

export type HealthCheck = () => Promise<{ ok: boolean; detail?: Record<string, unknown> }>

/** `/healthz` and `/metrics` routes, for a service's own HTTP server or a small dedicated one. */
export function registerOpsRoutes(app: FastifyInstance, registries: Registry[], health: HealthCheck): void {
  app.get('/healthz', async (_req, reply) => {
    const h = await health().catch((err: Error) => ({ ok: false, detail: { error: err.message } }))
    return reply.code(h.ok ? 200 : 503).send({ status: h.ok ? 'ok' : 'unhealthy', ...h.detail })
  })
  app.get('/metrics', async (_req, reply) => {
    const texts = await Promise.all(registries.map((r) => r.metrics()))
    return reply.type('text/plain; version=0.0.4').send(texts.join('\n'))
  })
}

/** A server with only the ops routes, for services without an HTTP API of their own. */
export async function startOpsServer(
  o: { host: string; port: number },
  registries: Registry[],
  health: HealthCheck,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  registerOpsRoutes(app, registries, health)
  await app.listen({ host: o.host, port: o.port })
  return app
}
