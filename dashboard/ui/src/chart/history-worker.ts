// Decodes history answers off the page's main thread: parsing a chart's megabytes of JSON there
// would freeze the page for tens of milliseconds at every refresh. The page gets typed arrays,
// moved, not copied.
import type { HistoryResponse } from '../types.ts'
import { buffersOf, toColumns } from './columns.ts'

export type DecodeRequest = { id: number; bytes: ArrayBuffer }

// The worker's global scope, as far as this file uses it (the UI compiles with the DOM's types).
const scope = self as unknown as {
  onmessage: (e: MessageEvent<DecodeRequest>) => void
  postMessage(answer: unknown, transfer: Transferable[]): void
}
const decoder = new TextDecoder()

scope.onmessage = (e) => {
  const { id, bytes } = e.data
  try {
    const history = toColumns(JSON.parse(decoder.decode(bytes)) as HistoryResponse)
    scope.postMessage({ id, history }, buffersOf(history))
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) }, [])
  }
}
