import type { JetStreamClient, KV, NatsConnection } from 'nats'
import { MAX_SERIES_KEY } from '../batch.ts'
import type { Logger } from '../log.ts'
import { DEFINITION_CHUNK, type DefinitionSource } from '../series-dictionary.ts'
import type { SaveDefinitions } from '../wire-sender.ts'
import * as z from '../zod.ts'
import { keyToken } from './kv.ts'
import { subjectToken } from './names.ts'

/**
 * The senders' series dictionaries (wire format v2), where receivers find the ids no message
 * told them: key `<sender>.<epoch>.<chunk>` → the keys of ids chunk × DEFINITION_CHUNK onwards.
 */
export const SERIES_BUCKET = 'peregrine-series'
/**
 * A chunk is dropped this long after its last write: dictionaries of epochs gone (an agent
 * restarted) vanish, while senders rewrite the chunks they use daily (DEFINITIONS_REFRESH_MS).
 */
export const SERIES_BUCKET_TTL_MS = 7 * 24 * 3600_000
/** A sender's save or a receiver's look-up waits this long for NATS: meanwhile points wait. */
const REQUEST_TIMEOUT_MS = 5000

const DefinitionsValue = z.object({
  keys: z.array(z.string().check(z.maxLength(MAX_SERIES_KEY))).check(z.maxLength(DEFINITION_CHUNK)),
})

/**
 * The sender a metrics subject belongs to: its last token, the host's subject token. Receivers
 * key dictionaries by it, not by what a message says, since permissions tie a subject to a host.
 */
export function subjectOwner(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1)
}

/** Where `host`'s dictionaries are kept: the only keys of the bucket its agent may write. */
export function seriesDefinitionsSubjects(host?: string): string {
  return `$KV.${SERIES_BUCKET}.${host === undefined ? '>' : `${keyToken(subjectToken(host))}.>`}`
}

/** `owner`: the sender's subject token (subjectOwner). */
export function seriesDefinitionsKey(owner: string, epoch: number, chunk: number): string {
  return `${keyToken(owner)}.${epoch.toString(36)}.${chunk}`
}

/**
 * Creates the bucket, or binds it: what services do where they ensure the metrics stream. Reads
 * go to the stream's leader, not to a direct get that a replica may answer before it has a write:
 * a definition its sender saw acknowledged is always found.
 */
export function openSeriesBucket(js: JetStreamClient): Promise<KV> {
  return js.views.kv(SERIES_BUCKET, { history: 1, ttl: SERIES_BUCKET_TTL_MS, allow_direct: false })
}

/**
 * How a sender publishing on `subject` saves its dictionary. The bucket is bound by name only:
 * an agent may not call the JetStream API, nor create it; while it is missing, saves fail and
 * definitions travel inline.
 */
export function seriesDefinitionsWriter(nc: NatsConnection, subject: string): SaveDefinitions {
  const owner = subjectOwner(subject)
  const kv = nc
    .jetstream({ checkAPI: false, timeout: REQUEST_TIMEOUT_MS })
    .views.kv(SERIES_BUCKET, { bindOnly: true })
  // Binding by name does not fail; should it, every save reports it (and none is left unhandled).
  kv.catch(() => {})
  return async (epoch, chunk, keys) => {
    await (await kv).put(seriesDefinitionsKey(owner, epoch, chunk), JSON.stringify({ keys }))
  }
}

/**
 * Where a receiver looks up definitions; the bucket is opened on first use. A value that is not a
 * valid chunk counts as absent (and is logged): its ids stay unknown, their points refused.
 */
export function seriesDefinitionSource(nc: NatsConnection, log?: Logger): DefinitionSource {
  let kv: Promise<KV> | null = null
  return {
    async load(subject, epoch, chunk) {
      kv ??= openSeriesBucket(nc.jetstream({ timeout: REQUEST_TIMEOUT_MS }))
      // A bucket that could not be opened is opened anew at the next look-up.
      const bucket = await kv.catch((err: Error) => {
        kv = null
        throw err
      })
      const key = seriesDefinitionsKey(subjectOwner(subject), epoch, chunk)
      const e = await bucket.get(key)
      if (e === null || e.operation !== 'PUT') return null
      let json: unknown
      try {
        json = e.json()
      } catch {
        json = undefined // not JSON: refused by the schema below
      }
      const parsed = z.safeParse(DefinitionsValue, json)
      if (parsed.success) return parsed.data.keys
      log?.warn(
        { bucket: SERIES_BUCKET, key, problem: parsed.error.issues[0]?.message },
        'series definitions not valid; ignored',
      )
      return null
    },
  }
}
