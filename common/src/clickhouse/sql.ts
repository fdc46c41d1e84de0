/**
 * A typed query parameter. Queries interpolate only these (or table names from code), so no
 * input text is ever spliced into SQL: each becomes a `{pN:Type}` placeholder bound by ClickHouse.
 */
export class Param {
  constructor(
    readonly type: string,
    readonly value: unknown,
  ) {}
}

/** A table or column name written in code, never from input. */
export class Ident {
  constructor(readonly name: string) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`bad identifier ${name}`)
  }
}

export const param = {
  string: (v: string) => new Param('String', v),
  uint32: (v: number) => new Param('UInt32', v),
  uint64: (v: string) => new Param('UInt64', v),
  float64: (v: number) => new Param('Float64', v),
  strings: (v: string[]) => new Param('Array(String)', v),
  uint64s: (v: string[]) => new Param('Array(UInt64)', v.map(BigInt)),
  uint32s: (v: number[]) => new Param('Array(UInt32)', v),
}
export const ident = (name: string) => new Ident(name)

export interface BoundQuery {
  query: string
  params: Record<string, unknown>
}

export function sql(strings: TemplateStringsArray, ...values: (Param | Ident | BoundQuery)[]): BoundQuery {
  let query = strings[0] ?? ''
  const params: Record<string, unknown> = {}
  let n = 0
  values.forEach((v, i) => {
    if (v instanceof Param) {
      const name = `p${n++}`
      params[name] = v.value
      query += `{${name}:${v.type}}`
    } else if (v instanceof Ident) {
      query += v.name
    } else {
      // A nested fragment: renumber its placeholders into this query.
      const renamed: Record<string, string> = {}
      for (const [k, val] of Object.entries(v.params)) {
        renamed[k] = `p${n++}`
        params[renamed[k]] = val
      }
      query += v.query.replace(/\{(p\d+):/g, (_, k: string) => `{${renamed[k]}:`)
    }
    query += strings[i + 1] ?? ''
  })
  return { query, params }
}

/** TabSeparated escaping for the few string columns the collector writes. */
export function tsvEscape(s: string): string {
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => TSV_ESCAPES[c] ?? c) : s
}
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }
