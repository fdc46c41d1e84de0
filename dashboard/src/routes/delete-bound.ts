import { IdParam, RevisionQuery, type Versioned } from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { type Principal, requireRole, requireScope } from '../auth.ts'
import { audit, type ConfigContext, principalOf } from '../config/context.ts'
import { NoContent, responses } from './responses.ts'

/**
 * `DELETE <url>?revision=N` of a record bound to a tree node (a strategy, a screen): by editors
 * whose scope holds its node, at the revision they read (409 when it changed since), audited
 * with what it was.
 */
export function deleteBoundRoute(
  app: FastifyInstance,
  ctx: ConfigContext,
  o: {
    /** `/api/v1/<plural>/:id`. */
    url: string
    tags: string[]
    /** The audit record's kind. */
    kind: string
    /** The record, if the caller may read it (404, 403 otherwise), and its node's path ('' for none). */
    load(p: Principal, id: string): Promise<{ s: Versioned<unknown>; path: string }>
    collection: { delete(id: string, revision: number): Promise<void> }
  },
): void {
  const schema = {
    tags: o.tags,
    params: IdParam,
    querystring: RevisionQuery,
    response: responses(204, NoContent, [400, 403, 404, 409]),
  }
  app.withTypeProvider<ZodTypeProvider>().delete(o.url, { schema }, async (req, reply) => {
    const p = principalOf(req)
    requireRole(p, 'editor')
    const { s, path } = await o.load(p, req.params.id)
    requireScope(p, path)
    await o.collection.delete(req.params.id, req.query.revision)
    await audit(ctx, req, {
      action: 'delete',
      kind: o.kind,
      id: req.params.id,
      before: s.value,
      after: null,
      paths: [path],
    })
    return reply.code(204).send()
  })
}
