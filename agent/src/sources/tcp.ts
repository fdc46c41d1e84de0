import { open } from 'node:fs/promises'
import type { CounterType } from '@peregrine/common/schema'
import type { Emit, HostPaths, MetricSource } from './source.ts'
import {
  forEachProcNetPair,
  hexDigit,
  lineEnd,
  parseInteger,
  type ReadText,
  readText,
  skipBlanks,
  skipToken,
} from './util.ts'

/**
 * Socket count per TCP state, indexed by the kernel's state number (include/net/tcp_states.h) as
 * /proc/net/tcp writes it in hex in the "st" column.
 */
const STATE_METRICS: readonly (string | undefined)[] = [
  undefined,
  'ss.estab', // 01 ESTABLISHED
  'ss.syn.sent', // 02 SYN_SENT
  'ss.syn.recv', // 03 SYN_RECV
  'ss.fin.wait1', // 04 FIN_WAIT1
  'ss.fin.wait2', // 05 FIN_WAIT2
  'ss.time.wait', // 06 TIME_WAIT
  'ss.closed', // 07 CLOSE
  'ss.close.wait', // 08 CLOSE_WAIT
  'ss.last.ack', // 09 LAST_ACK
  'ss.listen', // 0A LISTEN
  'ss.closing', // 0B CLOSING
]
/** 0C NEW_SYN_RECV (a request socket) is a connection in SYN_RECV for the user. */
const NEW_SYN_RECV = 12
const SYN_RECV = 3

/** TcpExt counters of /proc/net/netstat reported as TcpExt.<name>: Open-Falcon's set plus a few newer ones. */
const TCP_EXT = new Set([
  // Open-Falcon's agent (some are gone from recent kernels: TCPLoss, TCPPrequeueDropped, TCPSchedulerFailed).
  'PruneCalled',
  'LockDroppedIcmps',
  'ArpFilter',
  'TW',
  'DelayedACKLocked',
  'ListenOverflows',
  'ListenDrops',
  'TCPPrequeueDropped',
  'TCPTSReorder',
  'TCPDSACKUndo',
  'TCPLoss',
  'TCPLostRetransmit',
  'TCPLossFailures',
  'TCPFastRetrans',
  'TCPTimeouts',
  'TCPSchedulerFailed',
  'TCPAbortOnMemory',
  'TCPAbortOnTimeout',
  'TCPAbortFailed',
  'TCPMemoryPressures',
  'TCPSpuriousRTOs',
  'TCPBacklogDrop',
  'TCPMinTTLDrop',
  // Newer kernels' signs of trouble.
  'TCPSlowStartRetrans',
  'TCPSynRetrans',
  'TCPAbortOnData',
  'TCPAbortOnClose',
  'TCPReqQFullDrop',
  'TCPTimeWaitOverflow',
  'TCPRetransFail',
  'TCPRcvQDrop',
  'TCPZeroWindowDrop',
])

/** Tcp fields of /proc/net/snmp reported as snmp.Tcp.<name>; CurrEstab is a level, the rest count up. */
const SNMP_TCP: ReadonlyMap<string, CounterType> = new Map<string, CounterType>([
  ['ActiveOpens', 'COUNTER'],
  ['PassiveOpens', 'COUNTER'],
  ['AttemptFails', 'COUNTER'],
  ['EstabResets', 'COUNTER'],
  ['CurrEstab', 'GAUGE'],
  ['InSegs', 'COUNTER'],
  ['OutSegs', 'COUNTER'],
  ['RetransSegs', 'COUNTER'],
  ['InErrs', 'COUNTER'],
  ['OutRsts', 'COUNTER'],
  ['InCsumErrors', 'COUNTER'],
])

export interface TcpSourceOptions {
  read?: ReadText
  /** Bytes read from /proc/net/tcp at a time, into one buffer kept between cycles (default 64 KiB). */
  chunkSize?: number
}

/**
 * TCP health: sockets per state counted from /proc/net/tcp and /proc/net/tcp6 (ss.estab …),
 * orphaned sockets from /proc/net/sockstat (ss.orphaned), the TcpExt.* counters of
 * /proc/net/netstat and the snmp.Tcp.* and snmp.Udp.* counters of /proc/net/snmp.
 *
 * /proc/net/tcp holds one 150-byte line per socket, megabytes on a busy server: it is streamed
 * through a reused buffer and only the state column of each line is looked at.
 */
export class TcpSource implements MetricSource {
  readonly name = 'tcp'
  private readonly read: ReadText
  private readonly buffer: Buffer
  private readonly counts = new Float64Array(16)

  /** `paths` is read at every collect, so it may be changed between cycles. */
  constructor(
    private readonly paths: HostPaths,
    options: TcpSourceOptions = {},
  ) {
    this.read = options.read ?? readText
    this.buffer = Buffer.allocUnsafe(Math.max(1, options.chunkSize ?? 65_536))
  }

  async collect(emit: Emit): Promise<void> {
    const proc = this.paths.proc
    const [netstat, snmp, sockstat] = await Promise.all([
      this.read(`${proc}/net/netstat`),
      this.read(`${proc}/net/snmp`),
      this.read(`${proc}/net/sockstat`),
    ])
    // The two socket tables share the buffer, so one after the other.
    const counts = this.counts
    counts.fill(0)
    const v4 = await this.countStates(`${proc}/net/tcp`)
    const v6 = await this.countStates(`${proc}/net/tcp6`)
    if (v4 || v6) {
      counts[SYN_RECV] = counts[SYN_RECV]! + counts[NEW_SYN_RECV]!
      for (let st = 1; st < STATE_METRICS.length; st++) emit(STATE_METRICS[st]!, counts[st]!, 'GAUGE')
    }

    if (sockstat !== null) {
      const orphan = sockstatField(sockstat, 'TCP:', 'orphan')
      if (orphan !== undefined) emit('ss.orphaned', orphan, 'GAUGE')
    }
    if (netstat !== null)
      forEachProcNetPair(netstat, 'TcpExt', (name, value) => {
        if (TCP_EXT.has(name)) emit(`TcpExt.${name}`, value, 'COUNTER')
      })
    if (snmp !== null) {
      forEachProcNetPair(snmp, 'Tcp', (name, value) => {
        const type = SNMP_TCP.get(name)
        if (type !== undefined) emit(`snmp.Tcp.${name}`, value, type)
      })
      // All Udp fields, as Open-Falcon's agent reports them.
      forEachProcNetPair(snmp, 'Udp', (name, value) => emit(`snmp.Udp.${name}`, value, 'COUNTER'))
    }
  }

  /**
   * Adds the sockets of one /proc/net/tcp{,6} table to this.counts by the hex "st" column (the
   * fourth field); false when the file cannot be read. Lines may span buffer reads.
   */
  private async countStates(path: string): Promise<boolean> {
    let file: Awaited<ReturnType<typeof open>>
    try {
      file = await open(path, 'r')
    } catch {
      return false
    }
    const buf = this.buffer
    const counts = this.counts
    // Per-line scanner state, carried across chunks.
    let header = true
    let field = 0
    let inToken = false
    let st = 0
    let digits = 0
    let bad = false
    try {
      for (;;) {
        const { bytesRead } = await file.read(buf, 0, buf.length, null)
        if (bytesRead === 0) break
        for (let i = 0; i < bytesRead; i++) {
          const c = buf[i]!
          if (c === 10) {
            if (!header && field >= 3 && digits === 2 && !bad) counts[st] = counts[st]! + 1
            header = false
            field = 0
            inToken = false
            st = 0
            digits = 0
            bad = false
          } else if (header) {
            // The column titles: nothing to count.
          } else if (c === 32 || c === 9) {
            if (inToken) {
              inToken = false
              field++
            }
          } else {
            inToken = true
            if (field === 3) {
              const h = hexDigit(c)
              if (h < 0 || digits >= 2) bad = true
              else {
                st = st * 16 + h
                digits++
              }
            }
          }
        }
      }
      // A last line without its newline.
      if (!header && field >= 3 && digits === 2 && !bad) counts[st] = counts[st]! + 1
      return true
    } catch {
      return false
    } finally {
      await file.close().catch(() => {})
    }
  }
}

/** A "key value" pair on the `prefix` line of /proc/net/sockstat ("TCP: inuse 5 orphan 0 tw 2 …"). */
function sockstatField(text: string, prefix: string, key: string): number | undefined {
  let start = 0
  while (start < text.length) {
    const end = lineEnd(text, start)
    if (text.startsWith(prefix, start)) {
      let i = skipBlanks(text, start + prefix.length, end)
      while (i < end) {
        const ke = skipToken(text, i, end)
        const vs = skipBlanks(text, ke, end)
        const ve = skipToken(text, vs, end)
        if (ke - i === key.length && text.startsWith(key, i)) return parseInteger(text, vs, ve)
        i = skipBlanks(text, ve, end)
      }
      return undefined
    }
    start = end + 1
  }
  return undefined
}
