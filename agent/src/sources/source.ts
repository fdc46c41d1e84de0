import type { CounterType, Tags } from '@peregrine/common/schema'

/** Hands one sample of the current cycle to the agent; tags may be omitted for untagged metrics. */
export type Emit = (metric: string, value: number, counterType: CounterType, tags?: Tags) => void

/** Where a source reads the kernel's files; tests point these at fixture folders. */
export interface HostPaths {
  proc: string
  sys: string
}

/**
 * One family of host metrics (CPU, memory, disks …). A source may keep state between cycles
 * (rates and percentages need two readings), so the first cycle can emit less.
 */
export interface MetricSource {
  readonly name: string
  collect(emit: Emit): Promise<void>
}
