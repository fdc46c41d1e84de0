import type {
  EscalationPolicyView,
  EscalationPolicyWrite,
  Exclusion,
  ScreenCreate,
  ScreenView,
  SilenceCreate,
  SilenceView,
  StrategySpec,
} from '@peregrine/common'
import type { z } from 'zod'
import type { State } from './plan.ts'

/** A tree node as the API shows it. */
export interface ApiNode {
  id: string
  path: string
  owners: string[]
  note: string
  excludes: Exclusion[]
  version: number
}

/** A strategy as the API shows it: `node` is a path (null for expressions). */
export type ApiStrategy = StrategySpec & { id: string; node: string | null; revision: number }

export interface ApiTeam {
  name: string
  members: string[]
  note: string
  revision: number
}

/** A silence as the API shows it: `match.node` a path (null once the node is gone). */
export type ApiSilence = z.output<typeof SilenceView>
/** An escalation policy as the API shows it: `node` a path (null once the node is gone). */
export type ApiEscalation = z.output<typeof EscalationPolicyView>
/** A screen as the API shows it: `node` a path (null once the node is gone). */
export type ApiScreen = z.output<typeof ScreenView>

export interface ApiHost {
  host: string
  /** Paths of the nodes the host is bound to. */
  nodes: string[]
  revision: number
}

/** Bodies as the API takes them: defaults may be left out. */
export interface NodeBody {
  owners?: string[]
  note?: string
  excludes?: { metric: string; tags?: string }[]
}
export type StrategyBody = z.input<typeof StrategySpec> & { node: string | null }
export type SilenceBody = z.input<typeof SilenceCreate>
export type EscalationBody = Omit<z.input<typeof EscalationPolicyWrite>, 'revision'>
export type ScreenBody = z.input<typeof ScreenCreate>
export interface TeamBody {
  name: string
  members?: string[]
  note?: string
}

/** A non-2xx answer: `message` is the API's own. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export const DEFAULT_API = 'http://127.0.0.1:8080'

/** Base URL and token from the options, else PEREGRINE_API / PEREGRINE_TOKEN. */
export function connection(
  opts: { api?: string | undefined; token?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): { api: string; token: string } {
  const api = (opts.api || env.PEREGRINE_API || DEFAULT_API).replace(/\/+$/, '')
  if (!/^https?:\/\/[^/]/.test(api)) throw new Error(`the API address must be an http(s) URL, not ${api}`)
  const token = opts.token || env.PEREGRINE_TOKEN || ''
  if (!token) throw new Error('an API token is needed: --token or PEREGRINE_TOKEN (pgt_…)')
  return { api, token }
}

const enc = encodeURIComponent

/** A small client of the configuration API routes strategies-as-code uses. */
export class PeregrineClient {
  /** Private so that printing or logging the client never shows the token. */
  readonly #token: string

  constructor(
    readonly api: string,
    token: string,
    private readonly timeoutMs = 30_000,
  ) {
    this.#token = token
  }

  tree = async () => (await this.request<{ nodes: ApiNode[] }>('GET', '/api/v1/tree')).nodes
  createNode = (path: string, body: NodeBody) =>
    this.request<ApiNode>('POST', '/api/v1/tree', { path, ...body })
  updateNode = (path: string, body: NodeBody, version: number) =>
    this.request<ApiNode>('PUT', `/api/v1/tree/${enc(path)}`, { ...body, version })
  /** Without cascade: the API refuses a node that still has children, hosts or strategies. */
  deleteNode = (path: string, version: number) =>
    this.request<null>('DELETE', `/api/v1/tree/${enc(path)}?version=${version}`)

  strategies = async () =>
    (await this.request<{ strategies: ApiStrategy[] }>('GET', '/api/v1/strategies')).strategies
  createStrategy = (body: StrategyBody) => this.request<ApiStrategy>('POST', '/api/v1/strategies', body)
  updateStrategy = (id: string, body: StrategyBody, revision: number) =>
    this.request<ApiStrategy>('PUT', `/api/v1/strategies/${enc(id)}`, { ...body, revision })
  deleteStrategy = (id: string, revision: number) =>
    this.request<null>('DELETE', `/api/v1/strategies/${enc(id)}?revision=${revision}`)

  teams = async () => (await this.request<{ teams: ApiTeam[] }>('GET', '/api/v1/teams')).teams
  /** Creates the team when `revision` is undefined, else updates it with compare-and-set. */
  putTeam = (body: TeamBody, revision?: number) =>
    this.request<ApiTeam>('PUT', `/api/v1/teams/${enc(body.name)}`, { ...body, revision })
  deleteTeam = (name: string, revision: number) =>
    this.request<null>('DELETE', `/api/v1/teams/${enc(name)}?revision=${revision}`)

  hosts = async () => (await this.request<{ hosts: ApiHost[] }>('GET', '/api/v1/hosts')).hosts

  /** Every silence the token sees, expired ones included (a plan must know their names are taken). */
  silences = async () =>
    (await this.request<{ silences: ApiSilence[] }>('GET', '/api/v1/silences?state=all')).silences
  createSilence = (body: SilenceBody) => this.request<ApiSilence>('POST', '/api/v1/silences', body)
  updateSilence = (id: string, body: SilenceBody, revision: number) =>
    this.request<ApiSilence>('PUT', `/api/v1/silences/${enc(id)}`, { ...body, revision })
  deleteSilence = (id: string, revision: number) =>
    this.request<null>('DELETE', `/api/v1/silences/${enc(id)}?revision=${revision}`)

  escalation = async () =>
    (await this.request<{ policies: ApiEscalation[] }>('GET', '/api/v1/escalation-policies')).policies
  /** Creates the node's policy when `revision` is undefined, else updates it with compare-and-set. */
  putEscalation = (node: string, body: EscalationBody, revision?: number) =>
    this.request<ApiEscalation>('PUT', `/api/v1/escalation-policies/${enc(node)}`, { ...body, revision })
  deleteEscalation = (node: string, revision: number) =>
    this.request<null>('DELETE', `/api/v1/escalation-policies/${enc(node)}?revision=${revision}`)

  screens = async () => (await this.request<{ screens: ApiScreen[] }>('GET', '/api/v1/screens')).screens
  createScreen = (body: ScreenBody) => this.request<ApiScreen>('POST', '/api/v1/screens', body)
  updateScreen = (id: string, body: ScreenBody, revision: number) =>
    this.request<ApiScreen>('PUT', `/api/v1/screens/${enc(id)}`, { ...body, revision })
  deleteScreen = (id: string, revision: number) =>
    this.request<null>('DELETE', `/api/v1/screens/${enc(id)}?revision=${revision}`)

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      accept: 'application/json',
    }
    if (body !== undefined) headers['content-type'] = 'application/json'
    let res: Response
    try {
      res = await fetch(`${this.api}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.timeoutMs),
      })
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message
      throw new Error(`cannot reach the API at ${this.api}: ${cause}`)
    }
    const text = await res.text()
    let json: unknown = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      // not JSON: a proxy's error page, say
    }
    if (!res.ok) {
      const e = (json ?? {}) as { message?: unknown; field?: unknown }
      const message = typeof e.message === 'string' ? e.message : text.slice(0, 200) || res.statusText
      throw new ApiError(res.status, message, typeof e.field === 'string' ? e.field : undefined)
    }
    return json as T
  }
}

/** The optional parts of a state: each read only when wanted. */
export interface Wanted {
  teams: boolean
  hosts: boolean
  silences?: boolean
  escalation?: boolean
  screens?: boolean
}

/**
 * What a plan needs from the server: the tree and the strategies, the teams, silences,
 * escalation policies and screens when the file manages them, host bindings when nodes may be pruned. Lists
 * what the token may read.
 */
export async function readState(
  client: Pick<
    PeregrineClient,
    'tree' | 'strategies' | 'teams' | 'hosts' | 'silences' | 'escalation' | 'screens'
  >,
  want: Wanted,
): Promise<State> {
  const [nodes, strategies, teams, hosts, silences, escalation, screens] = await Promise.all([
    client.tree(),
    client.strategies(),
    want.teams ? client.teams() : undefined,
    want.hosts ? client.hosts() : undefined,
    want.silences ? client.silences() : undefined,
    want.escalation ? client.escalation() : undefined,
    want.screens ? client.screens() : undefined,
  ])
  return { nodes, strategies, teams, hosts, silences, escalation, screens }
}
