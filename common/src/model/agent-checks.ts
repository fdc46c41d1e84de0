import * as z from '../zod.ts'
import type { Effective } from './resolve.ts'

/**
 * What an agent must check besides its host metrics, derived from the strategies on its host.
 * zod/mini: the agent validates the document it reads from the agents bucket with it.
 */
export const AgentChecks = z.object({
  ports: z._default(z.array(z.int().check(z.minimum(1), z.maximum(65_535))).check(z.maxLength(1000)), []),
  processes: z._default(
    z
      .array(
        z.object({
          name: z.optional(z.string().check(z.maxLength(255))),
          cmdline: z.optional(z.string().check(z.maxLength(1024))),
        }),
      )
      .check(z.maxLength(1000)),
    [],
  ),
})
export type AgentChecks = z.infer<typeof AgentChecks>

/** Strategies on this metric, tag port=N, make the agent report whether N is listened on. */
export const PORT_LISTEN_METRIC = 'net.port.listen'
/** Strategies on this metric, tags name=… and/or cmdline=…, make the agent count those processes. */
export const PROC_NUM_METRIC = 'proc.num'

/** The pairs of canonical `k=v,k2=v2` tag text (values hold no comma; the first `=` splits). */
function tagMap(text: string): Map<string, string> {
  const out = new Map<string, string>()
  if (text === '') return out
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    if (eq > 0) out.set(part.slice(0, eq), part.slice(eq + 1))
  }
  return out
}

/**
 * What the agent of a host must check for the strategies that apply to it (Open-Falcon's built-in
 * items): the ports of enabled `net.port.listen` strategies (tag port=N) and the processes of
 * enabled `proc.num` strategies (tags name= and/or cmdline=). Ports are deduplicated and sorted,
 * processes deduplicated and sorted by name then cmdline, so that equal inputs give equal
 * documents. Strategies whose tags name no valid port or process are skipped.
 */
export function deriveAgentChecks(effective: readonly Effective[]): AgentChecks {
  const ports = new Set<number>()
  const processes = new Map<string, { name?: string; cmdline?: string }>()
  for (const { strategy } of effective) {
    if (!strategy.enabled) continue
    if (strategy.metric === PORT_LISTEN_METRIC) {
      const text = tagMap(strategy.tags).get('port')
      if (text === undefined || !/^\d{1,5}$/.test(text)) continue
      const port = Number(text)
      if (port >= 1 && port <= 65_535) ports.add(port)
    } else if (strategy.metric === PROC_NUM_METRIC) {
      const tags = tagMap(strategy.tags)
      const name = tags.get('name') || undefined
      const cmdline = tags.get('cmdline') || undefined
      if (name === undefined && cmdline === undefined) continue
      const check: { name?: string; cmdline?: string } = {}
      if (name !== undefined) check.name = name
      if (cmdline !== undefined) check.cmdline = cmdline
      processes.set(JSON.stringify([name ?? null, cmdline ?? null]), check)
    }
  }
  const byText = (a: string | undefined, b: string | undefined) =>
    a === b ? 0 : a === undefined ? -1 : b === undefined ? 1 : a < b ? -1 : 1
  return {
    ports: [...ports].sort((a, b) => a - b),
    processes: [...processes.values()].sort((a, b) => byText(a.name, b.name) || byText(a.cmdline, b.cmdline)),
  }
}

/** True when there is nothing to check: the host needs no checks document. */
export function noAgentChecks(checks: AgentChecks): boolean {
  return checks.ports.length === 0 && checks.processes.length === 0
}
