import { setTimeout as sleep } from 'node:timers/promises'
import { type Service, startProgram, stopService } from './faults/system.ts'

export interface IpcChild {
  service: Service
  pid: number
  /** Resolves once the child has said `{ started: true }`. */
  ready: Promise<void>
  /** Sends `m` with a fresh id and resolves with the child's message of that id. */
  ask<T>(m: object): Promise<T>
  /** Asks it to stop (`{ cmd: 'stop' }`); resolves when it has exited, killed after 10 s. */
  stop(): Promise<void>
}

/**
 * A benchmark's helper script (TypeScript, through tsx) in a process of its own, so that its CPU
 * and memory can be read apart from the benchmark's, spoken to by IPC: it says
 * `{ started: true }` when ready and answers each `{ id, … }` with `{ id, … }`. Its output goes
 * to `logFile`; it is killed on any exit of the benchmark (faults/system.ts's cleanUpAll).
 */
export function startIpcChild(o: {
  script: string
  name: string
  logFile: string
  nodeArgs?: string[]
  argv?: string[]
  env?: NodeJS.ProcessEnv
}): IpcChild {
  const s: Service = startProgram(
    process.execPath,
    [...(o.nodeArgs ?? []), '--import', 'tsx', o.script, ...(o.argv ?? [])],
    { LOG_LEVEL: 'warn', ...o.env },
    o.logFile,
    { ipc: true },
  )
  const waiting = new Map<number, (m: unknown) => void>()
  let ids = 0
  let onStarted: () => void
  const ready = new Promise<void>((resolve) => {
    onStarted = resolve
  })
  s.child.on('message', (m: { id?: number; started?: true }) => {
    if (m.started) onStarted()
    if (m.id !== undefined) waiting.get(m.id)?.(m)
    if (m.id !== undefined) waiting.delete(m.id)
  })
  let stopping = false
  void s.exited.then((code) => {
    if (!stopping) console.error(`${o.name} exited (${code}); its log: ${s.logFile}`)
    for (const w of waiting.values()) w(null)
  })
  return {
    service: s,
    pid: s.child.pid!,
    ready,
    async ask<T>(m: object): Promise<T> {
      const id = ++ids
      const answer = new Promise<T | null>((resolve) => waiting.set(id, resolve as (m: unknown) => void))
      s.child.send({ ...m, id })
      const a = await answer
      if (a === null) throw new Error(`${o.name} is gone`)
      return a
    },
    async stop(): Promise<void> {
      stopping = true
      if (s.child.exitCode !== null) return
      s.child.send({ cmd: 'stop', id: 0 })
      if ((await Promise.race([s.exited.then(() => true), sleep(10_000)])) !== true)
        await stopService(s, 5000)
    },
  }
}
