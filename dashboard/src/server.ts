import fastifySwagger from '@fastify/swagger'
import {
  type HealthCheck,
  type Logger,
  type Registry,
  registerOpsRoutes,
  type Store,
} from '@peregrine/common'
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify'
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod'
import type { Retention } from './resolution.ts'
import { monitorRoutes } from './routes/monitor.ts'

export interface ServerDeps {
  store: Store
  log: Logger
  registries: Registry[]
  health: HealthCheck
  retention: Retention
}

/** The dashboard's HTTP server: monitor API, OpenAPI document, health and metrics. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // Per-request logs would drown the API's own; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issue = err.validation[0]
      const field = issue?.instancePath.replace(/^\//, '').replaceAll('/', '.') ?? ''
      return reply.code(400).send({
        error: 'Bad Request',
        field,
        message: `${err.validationContext ?? 'request'}${field ? `.${field}` : ''}: ${issue?.message ?? 'invalid'}`,
      })
    }
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500
    if (status >= 500) req.log.error({ err, url: req.url }, 'request failed')
    return reply
      .code(status)
      .send({ error: status >= 500 ? 'Internal Server Error' : err.name, message: err.message })
  })
  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Peregrine API', version: '1' },
    },
    transform: jsonSchemaTransform,
  })
  registerOpsRoutes(app, deps.registries, deps.health)
  monitorRoutes(app, deps.store, deps.retention)
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  return app
}
