import { STATUS_CODES } from 'node:http'
import fastifySwagger from '@fastify/swagger'
import {
  ConflictError,
  type HealthCheck,
  InvalidValueError,
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
import { HttpError } from './auth.ts'
import { FieldError } from './config/checks.ts'
import type { ConfigContext } from './config/context.ts'
import type { Retention } from './resolution.ts'
import { accessRoutes } from './routes/access.ts'
import { ackLinkRoutes } from './routes/ack-link.ts'
import { ackRoutes } from './routes/acks.ts'
import { alarmPolicyRoutes } from './routes/alarm-policies.ts'
import { auditRoutes } from './routes/audit.ts'
import { eventRoutes } from './routes/events.ts'
import { healthRoutes } from './routes/health.ts'
import { hostRoutes } from './routes/hosts.ts'
import { monitorRoutes } from './routes/monitor.ts'
import { notificationRoutes } from './routes/notifications.ts'
import { screenRoutes } from './routes/screens.ts'
import { silenceRoutes } from './routes/silences.ts'
import { strategyRoutes } from './routes/strategies.ts'
import { treeRoutes } from './routes/tree.ts'
import { trialRoutes } from './routes/trials.ts'
import { BUILT_UI_DIR, uiRoutes } from './ui.ts'
import { Visibility } from './visibility.ts'

export interface ServerDeps {
  store: Store
  log: Logger
  registries: Registry[]
  health: HealthCheck
  retention: Retention
  /** The configuration API and the token authentication of every /api/v1 route. */
  configApi: ConfigContext
  /** The built web UI served at `/`; default the one `npm run build:ui` makes. */
  uiDir?: string
}

/** The dashboard's HTTP server: monitor API, OpenAPI document, health and metrics. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    // Host names (255), tree paths (512) and acknowledgement link tokens exceed the default of 100.
    routerOptions: { maxParamLength: 1024 },
    // Per-request logs would drown the API's own; errors are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const known = knownError(err)
    if (known) {
      const { status, ...body } = known
      return reply.code(status).send(body)
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issue = err.validation[0]
      const field = fieldOf(issue)
      return reply.code(400).send({
        error: 'Bad Request',
        field,
        message: `${err.validationContext ?? 'request'}${field ? `.${field}` : ''}: ${issue?.message ?? 'invalid'}`,
      })
    }
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500
    if (status >= 500) {
      req.log.error({ err, url: req.url }, 'request failed')
      return reply.code(500).send({ error: STATUS_CODES[500], message: 'internal error; see the server log' })
    }
    // The framework's own refusals (a body that is not JSON, too large, of a wrong type) in the
    // same shape as every other 4xx.
    const body = err.code?.startsWith('FST_ERR_CTP') ? { field: 'body' } : {}
    return reply.code(status).send({ error: STATUS_CODES[status] ?? 'Error', ...body, message: err.message })
  })
  await app.register(fastifySwagger, {
    openapi: {
      // 3.1: JSON Schema's null type, which documents a 204 as having no content.
      openapi: '3.1.0',
      info: { title: 'Peregrine API', version: '1' },
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'pgt_<id>_<secret>',
            description: 'An API token, from POST /api/v1/tokens (or the admin token printed at first start)',
          },
        },
      },
    },
    // Every /api/v1 route is behind the token check; documented here so no route can forget it.
    transform: (route) => {
      const out = jsonSchemaTransform(route)
      if (!route.url.startsWith('/api/v1/')) return out
      return { ...out, schema: { ...out.schema, security: [{ bearerAuth: [] }] } }
    },
  })
  registerOpsRoutes(app, deps.registries, deps.health)
  app.decorateRequest('principal', null)
  app.decorateRequest('visibility', null)
  // Every /api/v1 route lives in this one plugin, whose hook authenticates: the router decides
  // which routes are protected, so no spelling of a URL can reach one without a token.
  await app.register(async (api) => {
    const ctx = deps.configApi
    api.addHook('onRequest', async (req) => {
      req.principal = await ctx.auth.authenticate(req.headers.authorization)
      req.visibility = new Visibility(req.principal, ctx)
    })
    treeRoutes(api, ctx)
    hostRoutes(api, ctx)
    strategyRoutes(api, ctx)
    trialRoutes(api, ctx)
    accessRoutes(api, ctx)
    auditRoutes(api, ctx)
    eventRoutes(api, ctx)
    ackRoutes(api, ctx)
    notificationRoutes(api, ctx)
    silenceRoutes(api, ctx)
    alarmPolicyRoutes(api, ctx)
    screenRoutes(api, ctx)
    healthRoutes(api, ctx)
    monitorRoutes(api, deps.store, deps.retention)
  })
  // Outside /api/v1: a link in a message works without an API token, its signature is the permission.
  await ackLinkRoutes(app, deps.configApi)
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  await uiRoutes(app, deps.uiDir || BUILT_UI_DIR)
  return app
}

/** The dotted path of the field at fault; for an unknown field, that field (not the object holding it). */
function fieldOf(issue: { instancePath: string; params: Record<string, unknown> } | undefined): string {
  const path = issue?.instancePath.split('/').filter(Boolean) ?? []
  const keys = issue?.params.keys
  if (Array.isArray(keys) && typeof keys[0] === 'string') path.push(keys[0])
  return path.join('.')
}

/** Errors with a meaning for the caller: status and message. */
function knownError(err: Error): { status: number; error: string; field?: string; message: string } | null {
  if (err instanceof FieldError)
    return { status: 400, error: 'Bad Request', field: err.field, message: err.message }
  if (err instanceof HttpError)
    return { status: err.statusCode, error: STATUS_CODES[err.statusCode] ?? 'Error', message: err.message }
  if (err instanceof ConflictError) return { status: 409, error: 'Conflict', message: err.message }
  if (err instanceof InvalidValueError) return { status: 400, error: 'Bad Request', message: err.message }
  return null
}
