// Store.columns, which history answers are read with: the embedded engine's answer as one array per
// column (fingerprints as text, no columns without rows), and the same request to a ClickHouse
// server, answered here by a stand-in that records what it was asked.
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { param, Store, sql } from '@peregrine/common'
import { openTestStore, type TempDir, tempDir } from '@peregrine/common/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

let dir: TempDir
let store: Store

beforeAll(async () => {
  dir = await tempDir()
  store = await openTestStore(dir.path)
})

afterAll(async () => {
  await store?.close()
  await dir?.remove()
})

interface Answer {
  fp: string[]
  n: number[]
  half: (number | null)[]
}
const ask = (s: Store, rows: number) =>
  s.columns<Answer>(
    sql`SELECT toUInt64(18446744073709551615 - number) AS fp, toUInt32(number) AS n, if(number = 1, nan, number / 2) AS half
        FROM numbers(${param.uint32(rows)}) ORDER BY n`,
  )

describe('Store.columns', () => {
  it('answers each column as an array, UInt64 as text and a non-finite number as null', async () => {
    expect(await ask(store, 3)).toEqual({
      fp: ['18446744073709551615', '18446744073709551614', '18446744073709551613'],
      n: [0, 1, 2],
      half: [0, null, 1],
    })
  })

  it('leaves the columns out when no row is answered', async () => {
    expect(await ask(store, 0)).toEqual({})
  })

  it('asks a ClickHouse server for the same format, parameters bound, and reads its columns', async () => {
    const asked: { url: string; body: string }[] = []
    const server = createServer(async (req: IncomingMessage, res) => {
      let body = ''
      for await (const chunk of req) body += chunk
      asked.push({ url: req.url ?? '', body })
      res.setHeader('content-type', 'application/json')
      res.setHeader('x-clickhouse-format', 'JSONColumnsWithMetadata')
      res.end(JSON.stringify({ meta: [], data: { fp: ['1'], n: [0], half: [0] }, rows: 1 }))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const remote = Store.open({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, path: '' })
    try {
      expect(await ask(remote, 1)).toEqual({ fp: ['1'], n: [0], half: [0] })
      const [request] = asked
      expect(request?.body).toContain('FORMAT JSONColumnsWithMetadata')
      expect(request?.body).toContain('{p0:UInt32}')
      expect(new URL(request!.url, 'http://x').searchParams.get('param_p0')).toBe('1')
      expect(request?.url).toContain('output_format_json_quote_64bit_integers=1')
    } finally {
      await remote.close()
      server.close()
    }
  })
})
