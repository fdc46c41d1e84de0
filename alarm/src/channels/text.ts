/** `text` cut to at most `maxBytes` of UTF-8, on a character boundary, with `…` where it was cut. */
export function truncateBytes(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text)
  if (bytes.length <= maxBytes) return text
  const ellipsis = '…'
  const cut = bytes.subarray(0, Math.max(0, maxBytes - Buffer.byteLength(ellipsis))).toString('utf8')
  // A character split by the cut decodes as U+FFFD: drop it.
  return `${cut.replace(/\uFFFD+$/, '')}${ellipsis}`
}

/** Unix seconds as ISO 8601 in UTC, to the second: `2024-05-01T12:00:00Z`. */
export function utcTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
