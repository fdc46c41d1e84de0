import { Tree } from '@peregrine/common'
import { canRead, HttpError, type Principal } from './auth.ts'
import type { ConfigContext } from './config/context.ts'

/**
 * What one request's token may read; every /api/v1 route finds it on the request, so a new route
 * filters the same way as the old ones. The rule (docs/security.md):
 * - tree nodes, and what is bound to them (strategies, subscriptions): the token's scope, what is
 *   below it, and the nodes on the path above it, whose strategies apply to its hosts;
 * - hosts and everything measured on them: hosts bound at or below the scope;
 * - what has no place in the tree (unbound endpoints, records of users and teams): whole-tree
 *   tokens only.
 */
export class Visibility {
  private bound?: Promise<string[]>

  constructor(
    readonly principal: Principal,
    private readonly ctx: ConfigContext,
  ) {}

  get wholeTree(): boolean {
    return this.principal.scope === ''
  }

  node(path: string): boolean {
    return canRead(this.principal, path)
  }

  /** A host is visible when one of the node paths it is bound to lies at or below the scope. */
  host(paths: readonly string[]): boolean {
    return this.wholeTree || paths.some((p) => Tree.within(p, this.principal.scope))
  }

  /** The endpoints the token may read; null for a whole-tree token (every endpoint, bound or not). */
  endpoints(): Promise<string[] | null> {
    if (this.wholeTree) return Promise.resolve(null)
    this.bound ??= this.hostsInScope()
    return this.bound
  }

  async requireEndpoint(endpoint: string): Promise<void> {
    const visible = await this.endpoints()
    if (visible !== null && !visible.includes(endpoint))
      throw new HttpError(403, `${endpoint} is not bound within the token's scope ${this.principal.scope}`)
  }

  private async hostsInScope(): Promise<string[]> {
    const [{ tree }, records] = await Promise.all([this.ctx.config.tree(), this.ctx.config.hosts.list()])
    return records
      .filter((r) => this.host(r.value.nodes.flatMap((n) => tree.path(n) ?? [])))
      .map((r) => r.value.host)
  }
}
