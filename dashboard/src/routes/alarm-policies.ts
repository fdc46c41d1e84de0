import {
  AlarmName,
  type ConfigStore,
  EscalationPoliciesResponse,
  type EscalationPolicy,
  EscalationPolicyView,
  EscalationPolicyWrite,
  effectiveInhibitionRules,
  HEARTBEAT_INHIBITION,
  type InhibitionRule,
  InhibitionRulesResponse,
  InhibitionRuleView,
  InhibitionRuleWrite,
  MAX_INHIBITION_RULES,
  NodeRefParam,
  OptionalRevisionQuery,
  type Tree,
  type Versioned,
} from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { canRead, HttpError, type Principal, requireRole, requireScope } from '../auth.ts'
import { FieldError } from '../config/checks.ts'
import { audit, type ConfigContext, principalOf } from '../config/context.ts'
import { NoContent, responses } from './responses.ts'

const RuleParam = z.object({ id: AlarmName })

/**
 * Inhibition rules and escalation policies: how the alarm service holds events back and whom it
 * tells next when nobody acknowledges. Editors and admins write them (docs/silences.md).
 */
export function alarmPolicyRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  inhibitionRoutes(app, ctx)
  escalationRoutes(app, ctx)
}

const ruleView = (rule: InhibitionRule, revision: number | null) => ({
  ...rule,
  builtin: rule.id === HEARTBEAT_INHIBITION.id,
  revision,
})

/** Rules belong to no subtree: every token reads them, editors of the whole tree write them. */
function inhibitionRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['inhibition']
  const rules = ctx.config.inhibitionRules
  const requireWriter = (p: Principal) => {
    requireRole(p, 'editor')
    requireScope(p, '')
  }

  /** The rules in force with their revisions: the built-in one has none until it is changed. */
  const effective = async () => {
    const stored = await rules.list()
    const revisions = new Map(stored.map((s) => [s.value.id, s.revision]))
    return effectiveInhibitionRules(stored.map((s) => s.value)).map((rule) =>
      ruleView(rule, revisions.get(rule.id) ?? null),
    )
  }

  r.get(
    '/api/v1/inhibition-rules',
    { schema: { tags, response: responses(200, InhibitionRulesResponse) } },
    async () => ({ rules: (await effective()).sort((a, b) => a.id.localeCompare(b.id)) }),
  )

  r.get(
    '/api/v1/inhibition-rules/:id',
    { schema: { tags, params: RuleParam, response: responses(200, InhibitionRuleView, [400, 404]) } },
    async (req) => {
      const rule = (await effective()).find((x) => x.id === req.params.id)
      if (!rule) throw new HttpError(404, `no inhibition rule ${req.params.id}`)
      return rule
    },
  )

  r.put(
    '/api/v1/inhibition-rules/:id',
    {
      schema: {
        tags,
        summary: 'Create (no revision) or update (with the revision read) a rule; the built-in one too',
        params: RuleParam,
        body: InhibitionRuleWrite,
        response: responses(200, InhibitionRuleView, [400, 403, 409]),
      },
    },
    async (req) => {
      requireWriter(principalOf(req))
      const { revision, ...fields } = req.body
      const rule: InhibitionRule = { ...fields, id: req.params.id }
      const stored = await rules.list()
      const before = stored.find((s) => s.value.id === rule.id)
      if (revision === undefined && stored.length >= MAX_INHIBITION_RULES)
        throw new HttpError(409, `${stored.length} inhibition rules are stored, the most allowed`)
      const next =
        revision === undefined
          ? await rules.create(rule.id, rule)
          : await rules.update(rule.id, rule, revision)
      await audit(ctx, req, {
        action: before ? 'update' : 'create',
        kind: 'inhibition',
        id: rule.id,
        before: before?.value ?? null,
        after: rule,
        paths: [''],
      })
      return ruleView(rule, next)
    },
  )

  r.delete(
    '/api/v1/inhibition-rules/:id',
    {
      schema: {
        tags,
        summary: 'Delete a rule; deleting a changed built-in rule brings the shipped one back',
        params: RuleParam,
        querystring: OptionalRevisionQuery,
        response: responses(204, NoContent, [400, 403, 404, 409]),
      },
    },
    async (req, reply) => {
      requireWriter(principalOf(req))
      const before = await rules.get(req.params.id)
      if (!before && req.params.id === HEARTBEAT_INHIBITION.id)
        throw new HttpError(
          409,
          `${HEARTBEAT_INHIBITION.id} is built in and cannot be deleted; PUT it with enabled: false to turn it off`,
        )
      if (!before) throw new HttpError(404, `no inhibition rule ${req.params.id}`)
      await rules.delete(req.params.id, req.query.revision)
      await audit(ctx, req, {
        action: 'delete',
        kind: 'inhibition',
        id: req.params.id,
        before: before.value,
        after: null,
        paths: [''],
      })
      return reply.code(204).send()
    },
  )
}

/** A node named by path or id; path null when it names no node (only a policy left under that id). */
function nodeRef(tree: Tree, ref: string): { id: string; path: string | null } {
  const node = tree.byPath.get(ref) ?? tree.byId.get(ref)
  return node ? { id: node.id, path: tree.path(node.id) ?? null } : { id: ref, path: null }
}

/** Whether the token sees a policy: on a node in its view; one whose node is gone, whole-tree tokens. */
const canReadPolicy = (p: Principal, path: string | null) =>
  path === null ? p.scope === '' : canRead(p, path)

/** Every team a step names exists: a step nobody can receive would end an escalation in silence. */
async function requireStepTeams(config: ConfigStore, steps: EscalationPolicy['steps']): Promise<void> {
  const known = new Set((await config.teams.list()).map((t) => t.value.name))
  steps.forEach((step, i) => {
    const missing = step.teams.filter((t) => !known.has(t))
    if (missing.length) throw new FieldError(`steps.${i}.teams`, `no team named ${missing.join(', ')}`)
  })
}

/** One policy per node, read like what is bound to nodes, written by editors in their scope. */
function escalationRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['escalation']
  const policies = ctx.config.escalationPolicies

  const view = (tree: Tree, s: Versioned<EscalationPolicy>) => ({
    ...s.value,
    node: tree.path(s.value.node) ?? null,
    nodeId: s.value.node,
    revision: s.revision,
  })

  /** The stored policy the node reference names, if the caller may read it (403, 404 otherwise). */
  const load = async (p: Principal, ref: string) => {
    const { tree } = await ctx.config.tree()
    const target = nodeRef(tree, ref)
    const policy = await policies.get(target.id)
    if (!policy) throw new HttpError(404, `no escalation policy on ${ref}`)
    if (!canReadPolicy(p, target.path))
      throw new HttpError(403, `${target.path ?? ref} is outside the token's scope ${p.scope}`)
    return { tree, target, policy }
  }

  r.get(
    '/api/v1/escalation-policies',
    { schema: { tags, response: responses(200, EscalationPoliciesResponse) } },
    async (req) => {
      const p = principalOf(req)
      const [{ tree }, all] = await Promise.all([ctx.config.tree(), policies.list()])
      const list = all.map((s) => view(tree, s)).filter((v) => canReadPolicy(p, v.node))
      return { policies: list.sort((a, b) => (a.node ?? '').localeCompare(b.node ?? '')) }
    },
  )

  r.get(
    '/api/v1/escalation-policies/:node',
    {
      schema: { tags, params: NodeRefParam, response: responses(200, EscalationPolicyView, [400, 403, 404]) },
    },
    async (req) => {
      const { tree, policy } = await load(principalOf(req), req.params.node)
      return view(tree, policy)
    },
  )

  r.put(
    '/api/v1/escalation-policies/:node',
    {
      schema: {
        tags,
        summary: "Create (no revision) or update (with the revision read) a node's policy",
        params: NodeRefParam,
        body: EscalationPolicyWrite,
        response: responses(200, EscalationPolicyView, [400, 403, 404, 409]),
      },
    },
    async (req) => {
      const p = principalOf(req)
      requireRole(p, 'editor')
      const { tree } = await ctx.config.tree()
      const { id, path } = nodeRef(tree, req.params.node)
      if (path === null) throw new HttpError(404, `no tree node ${req.params.node}`)
      requireScope(p, path)
      const { revision, ...fields } = req.body
      await requireStepTeams(ctx.config, fields.steps)
      const policy: EscalationPolicy = { ...fields, node: id }
      const before = await policies.get(id)
      const next =
        revision === undefined
          ? await policies.create(id, policy)
          : await policies.update(id, policy, revision)
      await audit(ctx, req, {
        action: before ? 'update' : 'create',
        kind: 'escalation',
        id: path,
        before: before?.value ?? null,
        after: policy,
        paths: [path],
      })
      return view(tree, { value: policy, revision: next })
    },
  )

  r.delete(
    '/api/v1/escalation-policies/:node',
    {
      schema: {
        tags,
        params: NodeRefParam,
        querystring: OptionalRevisionQuery,
        response: responses(204, NoContent, [400, 403, 404, 409]),
      },
    },
    async (req, reply) => {
      const p = principalOf(req)
      requireRole(p, 'editor')
      const { target, policy } = await load(p, req.params.node)
      requireScope(p, target.path ?? '')
      await policies.delete(target.id, req.query.revision)
      await audit(ctx, req, {
        action: 'delete',
        kind: 'escalation',
        id: target.path ?? target.id,
        before: policy.value,
        after: null,
        paths: [target.path ?? ''],
      })
      return reply.code(204).send()
    },
  )
}
