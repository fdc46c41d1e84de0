import type { HistoryResponse } from '../types.ts'
import { type ColumnHistory, toColumns } from './columns.ts'

type Answer = { id: number; history?: ColumnHistory; error?: string }

let worker: Worker | null = null
let nextId = 0
const waiting = new Map<number, { resolve(h: ColumnHistory): void; reject(e: Error): void }>()

function decoder(): Worker {
  if (worker) return worker
  worker = new Worker(new URL('./history-worker.ts', import.meta.url), { type: 'module' })
  worker.onmessage = (e: MessageEvent<Answer>) => {
    const { id, history, error } = e.data
    const w = waiting.get(id)
    waiting.delete(id)
    if (history) w?.resolve(history)
    else w?.reject(new Error(`The history answer could not be read: ${error}`))
  }
  // A worker that cannot start (or dies) must not leave charts loading for ever.
  worker.onerror = (e) => {
    for (const w of waiting.values()) w.reject(new Error(`The history decoder failed: ${e.message}`))
    waiting.clear()
    worker = null
  }
  return worker
}

/**
 * A history answer's bytes as chart columns, decoded in a worker (the bytes are moved there and
 * the arrays back) so that the page stays responsive; where workers do not exist (component
 * tests), decoded here.
 */
export function decodeHistory(bytes: ArrayBuffer): Promise<ColumnHistory> {
  if (typeof Worker === 'undefined')
    return Promise.resolve(toColumns(JSON.parse(new TextDecoder().decode(bytes)) as HistoryResponse))
  const id = nextId++
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject })
    decoder().postMessage({ id, bytes }, [bytes])
  })
}
