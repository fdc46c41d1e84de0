/** `k=v,k2=v2` (canonical, as the API answers tags) as pairs. */
export function parseTags(text: string): [string, string][] {
  if (text === '') return []
  return text.split(',').map((pair) => {
    const eq = pair.indexOf('=')
    return [pair.slice(0, eq), pair.slice(eq + 1)]
  })
}

/** Canonical tag text of chosen values (key → value, '' for any): sorted by key. */
export function tagsText(chosen: Readonly<Record<string, string>>): string {
  return Object.keys(chosen)
    .filter((k) => chosen[k] !== '')
    .sort()
    .map((k) => `${k}=${chosen[k]}`)
    .join(',')
}

/** Each tag key of the series found, with its values, both sorted; and whether some have none. */
export function tagChoices(tagTexts: readonly string[]): { keys: [string, string[]][]; untagged: boolean } {
  const values = new Map<string, Set<string>>()
  let untagged = false
  for (const text of tagTexts) {
    if (text === '') untagged = true
    for (const [k, v] of parseTags(text)) {
      const set = values.get(k) ?? new Set()
      values.set(k, set.add(v))
    }
  }
  const keys = [...values.keys()].sort()
  return { keys: keys.map((k) => [k, [...values.get(k)!].sort(byNumberThenText)]), untagged }
}

/** core=2 before core=10. */
function byNumberThenText(a: string, b: string): number {
  return a.localeCompare(b, undefined, { numeric: true })
}
