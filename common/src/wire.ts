import {
  decodeBatch,
  MAX_BATCH_POINTS,
  MAX_BATCH_SERIES,
  MAX_SERIES_KEY,
  MAX_SOURCE_AGENT,
  MAX_SOURCE_HOST,
  type MetricBatch,
} from './batch.ts'

/**
 * Batch format v2: binary, and a series travels as an id of its sender's dictionary (see
 * wire-sender.ts and series-dictionary.ts) instead of its key. Little-endian throughout:
 *
 *   0  u32 magic: bytes ff 50 47 02 (0xff never starts JSON, so v1 and v2 tell themselves apart)
 *   4  u8  flags: 1 = every point has the timestamp at 32 (the ts column is absent)
 *   5  u8  0
 *   6  u16 source host, UTF-8 bytes
 *   8  u16 source agent, UTF-8 bytes
 *  10  u16 0
 *  12  u32 + u32 the sender's dictionary epoch, low and high 32 bits (below 2^53)
 *  20  u32 inline definitions
 *  24  u32 bytes of the definitions
 *  28  u32 points
 *  32  u32 the timestamp of every point with flag 1, else 0
 *  36  host, agent, then each definition: u32 id, u16 key bytes, the key (UTF-8); ids increasing
 *      zero padding to a multiple of 8, then the columns: f64 values (NaN: no value),
 *      u32 series ids, u32 timestamps (unless flag 1)
 *
 * The columns sit on 8-byte boundaries of the message, so a receiver reads them as typed-array
 * views: no object and no string per point.
 */
const MAGIC = 0x024750ff
const HEADER_BYTES = 36
const ONE_TIMESTAMP = 1
/** Ids of one epoch are below this: a sender starts a new epoch before numbering more series. */
export const MAX_DICTIONARY_IDS = 1 << 18
const MAX_KEY_BYTES = 3 * MAX_SERIES_KEY
const TS_NONE = 0xffffffff

/** A batch's points as columns, whatever its version: what the receivers' loops read. */
export interface PointColumns {
  count: number
  /** Per point, its series: an index into a v1 batch's `series`, or an id of the sender's dictionary. */
  refs: ArrayLike<number>
  /** Per point, unix seconds; null when every point has `ts0`. */
  ts: ArrayLike<number> | null
  ts0: number
  /** Per point; null or not finite where the sender had no value. */
  values: ArrayLike<number | null>
}

/** A decoded v2 message. Its columns may live in the decoder's buffer: read them before its next decode. */
export interface WireBatch extends PointColumns {
  source: { host: string; agent: string }
  epoch: number
  /** Inline definitions: ids, increasing, and their keys. */
  defIds: readonly number[]
  defKeys: readonly string[]
  refs: Uint32Array
  ts: Uint32Array | null
  values: Float64Array
}

export type BatchMessage =
  | { ok: true; v: 1; batch: MetricBatch }
  | { ok: true; v: 2; batch: WireBatch }
  | { ok: false; error: string }

export function v1Columns(b: MetricBatch): PointColumns {
  return { count: b.refs.length, refs: b.refs, ts: b.ts, ts0: 0, values: b.values }
}

/**
 * A timestamp as the wire holds it (unsigned 32-bit seconds) with the receivers' reading kept:
 * 0 or less is "now", and what could never be stored (not finite, past 2106) becomes the
 * largest, which is refused as too far ahead. Fractions are cut, as alignment does.
 */
export function wireTimestamp(ts: number): number {
  if (!(ts < 2 ** 32) || ts === Number.NEGATIVE_INFINITY) return TS_NONE
  return ts <= 0 ? 0 : Math.max(1, Math.floor(ts))
}

/**
 * A key as a definition carries it: keys longer than MAX_SERIES_KEY, which no sender of canonical
 * keys writes for a valid series, are cut there (never inside a surrogate pair), so messages and
 * dictionaries stay bounded; receivers refuse them as they would any invalid key.
 */
export function clipKey(key: string): string {
  if (key.length <= MAX_SERIES_KEY) return key
  const high = key.charCodeAt(MAX_SERIES_KEY - 1)
  return key.slice(0, high >= 0xd800 && high <= 0xdbff ? MAX_SERIES_KEY - 1 : MAX_SERIES_KEY)
}

/** Bytes of `s` in UTF-8, a lone surrogate counting as the 3 of U+FFFD (what TextEncoder writes). */
export function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

/** Arithmetic, not bitwise: lengths read from a message may pass 2^31. */
const align8 = (n: number) => Math.ceil(n / 8) * 8

/** Bytes of a v2 message with these strings (UTF-8 lengths) and points. */
export function wireSize(
  hostBytes: number,
  agentBytes: number,
  defsBytes: number,
  points: number,
  oneTs: boolean,
) {
  return align8(HEADER_BYTES + hostBytes + agentBytes + defsBytes) + points * (oneTs ? 12 : 16)
}

/** Bytes one inline definition of `key` takes. */
export const definitionSize = (key: string) => 6 + utf8Length(clipKey(key))

const encoder = new TextEncoder()

/**
 * A batch as a v2 message. `ids[s]` is the dictionary id of `batch.series[s]`; `inline` lists the
 * series (indexes into batch.series) whose definitions travel with the message.
 */
export function encodeWire(
  batch: MetricBatch,
  epoch: number,
  ids: ArrayLike<number>,
  inline: readonly number[],
): Uint8Array {
  const { host, agent } = batch.source
  const n = batch.refs.length
  // Sorted by id, each id once (two series of a batch may be one key).
  const defs = [...inline]
    .sort((a, b) => ids[a]! - ids[b]!)
    .filter((s, i, all) => i === 0 || ids[s] !== ids[all[i - 1]!])
  const keys = defs.map((s) => clipKey(batch.series[s]!))
  const hostBytes = utf8Length(host)
  const agentBytes = utf8Length(agent)
  if (hostBytes > 0xffff || agentBytes > 0xffff) throw new RangeError('source host or agent too long')
  let defsBytes = 0
  for (const k of keys) defsBytes += 6 + utf8Length(k)
  const ts = batch.ts
  let oneTs = n > 0
  for (let i = 1; i < n && oneTs; i++) oneTs = ts[i] === ts[0]
  const out = new Uint8Array(wireSize(hostBytes, agentBytes, defsBytes, n, oneTs))
  const dv = new DataView(out.buffer)
  dv.setUint32(0, MAGIC, true)
  out[4] = oneTs ? ONE_TIMESTAMP : 0
  dv.setUint16(6, hostBytes, true)
  dv.setUint16(8, agentBytes, true)
  dv.setUint32(12, epoch % 2 ** 32, true)
  dv.setUint32(16, Math.floor(epoch / 2 ** 32), true)
  dv.setUint32(20, defs.length, true)
  dv.setUint32(24, defsBytes, true)
  dv.setUint32(28, n, true)
  dv.setUint32(32, oneTs ? wireTimestamp(ts[0]!) : 0, true)
  let off = HEADER_BYTES
  off += encoder.encodeInto(host, out.subarray(off, off + hostBytes)).written
  off += encoder.encodeInto(agent, out.subarray(off, off + agentBytes)).written
  for (let d = 0; d < defs.length; d++) {
    const key = keys[d]!
    const bytes = utf8Length(key)
    dv.setUint32(off, ids[defs[d]!]!, true)
    dv.setUint16(off + 4, bytes, true)
    off += 6 + encoder.encodeInto(key, out.subarray(off + 6, off + 6 + bytes)).written
  }
  const values = align8(off)
  const refsAt = values + 8 * n
  const tsAt = refsAt + 4 * n
  for (let i = 0; i < n; i++) {
    const v = batch.values[i]
    dv.setFloat64(values + 8 * i, v !== null && v !== undefined && Number.isFinite(v) ? v : Number.NaN, true)
    dv.setUint32(refsAt + 4 * i, ids[batch.refs[i]!]!, true)
    if (!oneTs) dv.setUint32(tsAt + 4 * i, wireTimestamp(ts[i]!), true)
  }
  return out
}

export function isWire(data: Uint8Array): boolean {
  return data.byteLength >= 4 && data[0] === 0xff
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1
/** Fatal: bad UTF-8 makes the message malformed. ignoreBOM: a leading U+FEFF is part of a key. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * Decodes batch messages of either version. Allocation-light for v2: the columns are views of
 * the message or, when it is not 8-byte aligned in memory, of one buffer the decoder reuses, so
 * a decoded batch must be read before the same decoder decodes another message.
 */
export class BatchDecoder {
  #scratch = new ArrayBuffer(0)

  decode(data: Uint8Array): BatchMessage {
    if (!isWire(data)) {
      const d = decodeBatch(data)
      return d.ok ? { ok: true, v: 1, batch: d.batch } : d
    }
    const w = this.#decodeWire(data)
    return typeof w === 'string' ? { ok: false, error: `v2 batch: ${w}` } : { ok: true, v: 2, batch: w }
  }

  /** The batch, or what is wrong with it. */
  #decodeWire(data: Uint8Array): WireBatch | string {
    const size = data.byteLength
    if (size < HEADER_BYTES) return 'shorter than its header'
    const dv = new DataView(data.buffer, data.byteOffset, size)
    if (dv.getUint32(0, true) !== MAGIC) return 'unknown version'
    const flags = data[4]!
    if ((flags & ~ONE_TIMESTAMP) !== 0 || data[5] !== 0 || dv.getUint16(10, true) !== 0)
      return 'unknown flags'
    const oneTs = flags === ONE_TIMESTAMP
    const hostBytes = dv.getUint16(6, true)
    const agentBytes = dv.getUint16(8, true)
    const high = dv.getUint32(16, true)
    if (high >= 2 ** 21) return 'epoch out of range'
    const epoch = high * 2 ** 32 + dv.getUint32(12, true)
    const defCount = dv.getUint32(20, true)
    const defsBytes = dv.getUint32(24, true)
    const count = dv.getUint32(28, true)
    const ts0 = dv.getUint32(32, true)
    if (defCount > MAX_BATCH_SERIES) return `more than ${MAX_BATCH_SERIES} definitions`
    if (count > MAX_BATCH_POINTS) return `more than ${MAX_BATCH_POINTS} points`
    if (!oneTs && ts0 !== 0) return 'a shared timestamp without its flag'
    const defsAt = HEADER_BYTES + hostBytes + agentBytes
    const expected = wireSize(hostBytes, agentBytes, defsBytes, count, oneTs)
    if (size !== expected) return `${size} bytes where its header makes ${expected}`
    const host = text(data, HEADER_BYTES, hostBytes)
    const agent = text(data, HEADER_BYTES + hostBytes, agentBytes)
    if (host === null || host.length > MAX_SOURCE_HOST) return 'source.host: not UTF-8 or too long'
    if (agent === null || agent.length > MAX_SOURCE_AGENT) return 'source.agent: not UTF-8 or too long'
    const defsEnd = defsAt + defsBytes
    const defIds: number[] = []
    const defKeys: string[] = []
    let off = defsAt
    for (let d = 0; d < defCount; d++) {
      if (off + 6 > defsEnd) return 'definitions cut short'
      const id = dv.getUint32(off, true)
      const bytes = dv.getUint16(off + 4, true)
      if (id >= MAX_DICTIONARY_IDS) return `definition id ${id} out of range`
      if (d > 0 && id <= defIds[d - 1]!) return 'definition ids not increasing'
      if (bytes > MAX_KEY_BYTES || off + 6 + bytes > defsEnd) return `definition ${id}: key too long`
      const key = text(data, off + 6, bytes)
      if (key === null || key.length > MAX_SERIES_KEY) return `definition ${id}: key not UTF-8 or too long`
      defIds.push(id)
      defKeys.push(key)
      off += 6 + bytes
    }
    if (off !== defsEnd) return 'definitions longer than they say'
    const columns = align8(defsEnd)
    for (let i = defsEnd; i < columns; i++) if (data[i] !== 0) return 'padding not zero'
    const { values, refs, ts } = this.#columns(data, dv, columns, count, oneTs)
    for (let i = 0; i < count; i++) if (refs[i]! >= MAX_DICTIONARY_IDS) return `point ${i}: id out of range`
    return { source: { host, agent }, epoch, defIds, defKeys, count, refs, ts, ts0, values }
  }

  #columns(data: Uint8Array, dv: DataView, at: number, n: number, oneTs: boolean) {
    const bytes = n * (oneTs ? 12 : 16)
    let buffer = data.buffer as ArrayBuffer
    let base = data.byteOffset + at
    if (!LITTLE_ENDIAN || base % 8 !== 0) {
      if (this.#scratch.byteLength < bytes)
        this.#scratch = new ArrayBuffer(Math.max(bytes, 2 * this.#scratch.byteLength))
      buffer = this.#scratch
      base = 0
      if (LITTLE_ENDIAN) new Uint8Array(buffer, 0, bytes).set(data.subarray(at, at + bytes))
      else bigEndianCopy(dv, at, n, oneTs, buffer)
    }
    return {
      values: new Float64Array(buffer, base, n),
      refs: new Uint32Array(buffer, base + 8 * n, n),
      ts: oneTs ? null : new Uint32Array(buffer, base + 12 * n, n),
    }
  }
}

/** On a big-endian machine typed arrays read native order: the columns are converted instead. */
function bigEndianCopy(dv: DataView, at: number, n: number, oneTs: boolean, to: ArrayBuffer): void {
  const values = new Float64Array(to, 0, n)
  const words = new Uint32Array(to, 8 * n, oneTs ? n : 2 * n)
  for (let i = 0; i < n; i++) values[i] = dv.getFloat64(at + 8 * i, true)
  for (let i = 0; i < words.length; i++) words[i] = dv.getUint32(at + 8 * n + 4 * i, true)
}

function text(data: Uint8Array, at: number, bytes: number): string | null {
  try {
    return utf8.decode(data.subarray(at, at + bytes))
  } catch {
    return null
  }
}
