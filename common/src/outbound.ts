import { lookup as dnsLookup } from 'node:dns/promises'
import { BlockList, isIP, isIPv4 } from 'node:net'
import { z } from 'zod'
import { setting } from './config.ts'

/**
 * Where Peregrine may send requests that users configure (strategy callbacks, IM webhooks): not to
 * the machine itself, its cloud's metadata service or the private network it sits in, unless the
 * operator allows a range (OUTBOUND_ALLOW_NETS). Whoever can write a strategy must not be able to
 * make the alarm service read credentials from 169.254.169.254 or poke an internal admin port.
 */

type Family = 'ipv4' | 'ipv6'

/** Never allowed, whatever the allow-list says: nothing legitimate listens there for webhooks. */
const METADATA = ['169.254.169.254/32', '169.254.170.2/32', '100.100.100.200/32', 'fd00:ec2::254/128']

/** Refused unless allowed, with the reason given in the error. */
const REFUSED: [reason: string, nets: string[]][] = [
  ['a cloud metadata address', METADATA],
  ['an unspecified address', ['0.0.0.0/8', '::/128']],
  ['a loopback address', ['127.0.0.0/8', '::1/128']],
  ['a link-local address', ['169.254.0.0/16', 'fe80::/10']],
  ['a private address', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7']],
  ['a multicast or reserved address', ['224.0.0.0/3', 'ff00::/8']],
]

/** Names that are one of the addresses above wherever they resolve, so no DNS answer is needed. */
const KNOWN_NAMES: Record<string, string> = {
  localhost: '127.0.0.1',
  'metadata.google.internal': '169.254.169.254',
  'metadata.goog': '169.254.169.254',
  metadata: '169.254.169.254',
  'instance-data': '169.254.169.254',
  'instance-data.ec2.internal': '169.254.169.254',
}

/** `10.0.0.0/8` or a single address (`192.168.1.10`, `fd12::1`) as its own /32 or /128. */
function parseNet(text: string): { address: string; prefix: number; family: Family } | null {
  const [address = '', bits, ...rest] = text.trim().split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return null
  const max = version === 4 ? 32 : 128
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : Number.NaN
  if (!(prefix >= 0 && prefix <= max)) return null
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' }
}

function blockList(nets: readonly string[]): BlockList {
  const list = new BlockList()
  for (const text of nets) {
    const net = parseNet(text)
    if (!net) throw new Error(`not an address range: ${text}`)
    list.addSubnet(net.address, net.prefix, net.family)
  }
  return list
}

const REFUSED_LISTS = REFUSED.map(([reason, nets]) => ({ reason, list: blockList(nets) }))
const METADATA_LIST = blockList(METADATA)

/** The setting's value: CIDRs (or single addresses), comma-separated text or a list. */
export const AllowNets = z.union([z.string(), z.array(z.string())]).transform((v, ctx) => {
  const nets = (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean)
  for (const net of nets)
    if (!parseNet(net)) ctx.addIssue({ code: 'custom', message: `not a CIDR or address: ${net}` })
  return nets
})

/** The operator's exceptions to the refused ranges (metadata addresses excepted). */
export class OutboundPolicy {
  private readonly allowed: BlockList

  constructor(readonly allowNets: readonly string[] = []) {
    this.allowed = blockList(allowNets)
  }

  /** Why a request to this IP address is refused (`a loopback address …`), or null when it may go. */
  refusal(address: string): string | null {
    const ip = unwrapIPv4(address)
    const family: Family = isIPv4(ip) ? 'ipv4' : 'ipv6'
    if (METADATA_LIST.check(ip, family)) return 'a cloud metadata address'
    if (this.allowed.check(ip, family)) return null
    const hit = REFUSED_LISTS.find((r) => r.list.check(ip, family))
    return hit ? `${hit.reason}, refused unless OUTBOUND_ALLOW_NETS allows it` : null
  }
}

/**
 * The IPv4 address an IPv6 one stands for: IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) and
 * the deprecated IPv4-compatible form (::a.b.c.d) all reach the IPv4 host; anything else as given.
 */
function unwrapIPv4(address: string): string {
  if (isIP(address) !== 6) return address
  const words = ipv6Words(address)
  const head = words.slice(0, 6).join(':')
  if (head !== '0:0:0:0:0:65535' && head !== '100:65435:0:0:0:0' && head !== '0:0:0:0:0:0') return address
  if (head === '0:0:0:0:0:0' && words[6] === 0) return address // ::, ::1: IPv6's own
  const [hi = 0, lo = 0] = words.slice(6)
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.')
}

/** The eight 16-bit words of a valid IPv6 address (with `::` and a dotted IPv4 tail expanded). */
function ipv6Words(address: string): number[] {
  const [head = '', tail] = address.split('::')
  const part = (s: string) =>
    s
      .split(':')
      .filter(Boolean)
      .flatMap((w) => (w.includes('.') ? dottedWords(w) : [Number.parseInt(w, 16)]))
  const left = part(head)
  const right = tail === undefined ? [] : part(tail)
  return [...left, ...Array(8 - left.length - right.length).fill(0), ...right]
}

function dottedWords(v4: string): number[] {
  const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number)
  return [(a << 8) | b, (c << 8) | d]
}

/** The host of a URL as the WHATWG parser normalises it (0xa9fea9fe → 169.254.169.254), unbracketed. */
function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.+$/, '')
}

/**
 * Why a request to `url` is refused, judged from its text alone (at write time): an address
 * literal in a refused range, or a name known to be one (localhost, metadata.google.internal).
 * Other names pass here; resolveOutbound checks what they resolve to when the request is made.
 */
export function outboundRefusal(url: string, policy: OutboundPolicy): string | null {
  let host: string
  try {
    host = hostOf(url)
  } catch {
    return `${url} is not a URL`
  }
  const address = isIP(host)
    ? host
    : (KNOWN_NAMES[host] ?? (host.endsWith('.localhost') ? '127.0.0.1' : null))
  const reason = address === null ? null : policy.refusal(address)
  return reason && `${host} is ${reason}`
}

export class OutboundRefusedError extends Error {
  override name = 'OutboundRefusedError'
}

export type Lookup = (host: string) => Promise<{ address: string; family: number }[]>
const systemLookup: Lookup = (host) => dnsLookup(host, { all: true, verbatim: true })

/**
 * Checks `url` right before a request is sent: its text, then every address its name resolves to
 * now, so a name that resolved to a public address at write time and to 169.254.169.254 since
 * (DNS rebinding) is refused. Returns the addresses checked: connect to one of them, not to the
 * name, or a second lookup could answer differently. Throws OutboundRefusedError.
 */
export async function resolveOutbound(
  url: string,
  policy: OutboundPolicy,
  lookup: Lookup = systemLookup,
): Promise<{ address: string; family: number }[]> {
  const refused = outboundRefusal(url, policy)
  if (refused) throw new OutboundRefusedError(refused)
  const host = hostOf(url)
  const version = isIP(host)
  if (version) return [{ address: host, family: version }]
  const addresses = await lookup(host)
  if (addresses.length === 0) throw new OutboundRefusedError(`${host} resolves to no address`)
  for (const a of addresses) {
    const reason = policy.refusal(a.address)
    if (reason) throw new OutboundRefusedError(`${host} resolves to ${a.address}, ${reason}`)
  }
  return addresses
}

/** The one setting of outbound calls, shared by the services that make them (dashboard, alarm). */
export const outboundSettings = {
  outboundAllowNets: setting(
    'OUTBOUND_ALLOW_NETS',
    AllowNets.default([]),
    'Address ranges (CIDRs, comma-separated) that strategy callbacks and IM webhooks may reach although ' +
      'private, loopback or link-local, e.g. `10.0.0.0/8,192.168.1.0/24`. Cloud metadata addresses never.',
  ),
}
