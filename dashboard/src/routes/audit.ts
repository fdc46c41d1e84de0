import { AuditQuery, AuditResponse } from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { queryAudit } from '../audit-queries.ts'
import { type ConfigContext, principalOf } from '../config/context.ts'
import { responses } from './responses.ts'

/** The change history: a scoped token reads the records that concern its subtree. */
export function auditRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Search the change history, newest first',
        querystring: AuditQuery,
        response: responses(200, AuditResponse, [400]),
      },
    },
    async (req) => {
      return { records: await queryAudit(ctx.store, { ...req.query, scope: principalOf(req).scope }) }
    },
  )
}
