import http, { type IncomingHttpHeaders } from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { type OutboundPolicy, OutboundRefusedError, resolveOutbound } from '@peregrine/common/outbound'
import { errorText, PermanentSendError, TransientSendError } from './errors.ts'

export interface OutboundRequest {
  url: string
  method: 'GET' | 'POST' | 'PUT'
  headers?: Record<string, string>
  body?: string
}

export interface OutboundReply {
  status: number
  /** The start of the reply body: enough for a vendor's error code, never a whole page. */
  body: string
}

export interface HttpLimits {
  policy: OutboundPolicy
  maxBodyBytes: number
}

const MAX_REPLY_BYTES = 64 * 1024

/**
 * One guarded HTTP request: the URL must pass the outbound guard now (a refused address is a
 * permanent failure and no connection is made), the connection goes to the very addresses the
 * guard checked, redirects are not followed (a redirect could lead to an internal address), and
 * the status decides whether another attempt may help. Resolves on 2xx.
 */
export async function sendOutbound(
  req: OutboundRequest,
  limits: HttpLimits,
  signal: AbortSignal,
): Promise<OutboundReply> {
  const body = Buffer.from(req.body ?? '')
  if (body.length > limits.maxBodyBytes)
    throw new PermanentSendError(
      `a body of ${body.length} bytes is over ALARM_MAX_BODY_BYTES (${limits.maxBodyBytes})`,
    )
  const addresses = await checkedAddresses(req.url, limits.policy)
  const { status, headers, text } = await exchange(req, body, addresses, signal)
  if (status >= 200 && status < 300) return { status, body: text }
  const what = `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`
  if (status >= 300 && status < 400)
    throw new PermanentSendError(`${what} (redirects are not followed, to ${headers.location ?? '?'})`)
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) throw new PermanentSendError(what)
  throw new TransientSendError(what, retryAfterMs(headers['retry-after']))
}

/** A notification's address as a URL; one that is not cannot become one by retrying. */
export function addressUrl(address: string): URL {
  try {
    return new URL(address)
  } catch {
    throw new PermanentSendError(`not a URL: ${address.slice(0, 200)}`)
  }
}

type Addresses = Awaited<ReturnType<typeof resolveOutbound>>

async function checkedAddresses(url: string, policy: OutboundPolicy): Promise<Addresses> {
  try {
    return await resolveOutbound(url, policy)
  } catch (err) {
    if (err instanceof OutboundRefusedError) throw new PermanentSendError(`refused: ${err.message}`)
    throw new TransientSendError(`cannot resolve ${new URL(url).hostname}: ${errorText(err)}`)
  }
}

/** Connects to the addresses the guard checked instead of resolving the name again (DNS rebinding). */
function pinned(addresses: Addresses): LookupFunction {
  return (_host, options, callback) => {
    const [first] = addresses
    if (options.all) callback(null, addresses)
    else if (first) callback(null, first.address, first.family)
    else callback(new Error('no address'), '', 0)
  }
}

interface RawReply {
  status: number
  headers: IncomingHttpHeaders
  text: string
}

function exchange(req: OutboundRequest, body: Buffer, addresses: Addresses, signal: AbortSignal) {
  const url = new URL(req.url)
  const client = url.protocol === 'https:' ? https : http
  return new Promise<RawReply>((resolve, reject) => {
    const fail = (err: Error) =>
      reject(
        signal.aborted
          ? signal.reason
          : new TransientSendError(connectionError(err), undefined, { cause: err }),
      )
    const request = client.request(
      url,
      {
        method: req.method,
        headers: {
          'user-agent': 'Peregrine-Alarm',
          ...req.headers,
          ...(req.method === 'GET' ? {} : { 'content-length': String(body.length) }),
        },
        lookup: pinned(addresses),
        agent: false,
        signal,
      },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        const done = () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).subarray(0, MAX_REPLY_BYTES).toString('utf8'),
          })
          res.destroy()
        }
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk)
          size += chunk.length
          if (size >= MAX_REPLY_BYTES) done()
        })
        res.on('end', done)
        res.on('error', fail)
      },
    )
    request.on('error', fail)
    request.end(req.method === 'GET' ? undefined : body)
  })
}

function connectionError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message
}

/** Retry-After in seconds or as an HTTP date. */
function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}
