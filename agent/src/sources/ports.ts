import { open } from 'node:fs/promises'
import { type AgentChecks, PORT_LISTEN_METRIC, type Tags } from '@peregrine/common/schema'
import type { Emit, HostPaths, MetricSource } from './source.ts'
import { frozenTags, hexDigit } from './util.ts'

/** The kernel's TCP_LISTEN state, as the "st" column of /proc/net/tcp writes it (0A). */
const LISTEN = 0x0a

/**
 * Collects the local ports of the LISTEN sockets of /proc/net/tcp or tcp6 text fed in chunks of
 * any size (lines may span chunks). A line is `sl local rem st …`: the local address ends in
 * `:PPPP`, the port in hex, and st is two hex digits. The title line and malformed lines are skipped.
 */
export class ListenScanner {
  readonly ports = new Set<number>()
  private header = true
  private field = 0
  private inToken = false
  private afterColon = false
  private port = 0
  private portDigits = 0
  private st = 0
  private stDigits = 0
  private bad = false

  feed(buf: Uint8Array, length = buf.length): void {
    for (let i = 0; i < length; i++) {
      const c = buf[i]!
      if (c === 10) {
        this.endLine()
      } else if (this.header) {
        // The column titles.
      } else if (c === 32 || c === 9) {
        if (this.inToken) {
          this.inToken = false
          this.field++
        }
      } else {
        this.inToken = true
        if (this.field === 1) {
          if (c === 58 /* : */) {
            this.afterColon = true
            this.port = 0
            this.portDigits = 0
          } else if (this.afterColon) {
            const h = hexDigit(c)
            if (h < 0 || this.portDigits >= 4) this.bad = true
            else {
              this.port = this.port * 16 + h
              this.portDigits++
            }
          }
        } else if (this.field === 3) {
          const h = hexDigit(c)
          if (h < 0 || this.stDigits >= 2) this.bad = true
          else {
            this.st = this.st * 16 + h
            this.stDigits++
          }
        }
      }
    }
  }

  /** Counts a last line without its newline. */
  end(): void {
    this.endLine()
  }

  private endLine(): void {
    if (
      !this.header &&
      !this.bad &&
      this.field >= 3 &&
      this.stDigits === 2 &&
      this.st === LISTEN &&
      this.afterColon &&
      this.portDigits > 0
    )
      this.ports.add(this.port)
    this.header = false
    this.field = 0
    this.inToken = false
    this.afterColon = false
    this.port = 0
    this.portDigits = 0
    this.st = 0
    this.stDigits = 0
    this.bad = false
  }
}

/** The listened-on ports of a whole /proc/net/tcp{,6} text. */
export function listeningPorts(text: string): Set<number> {
  const s = new ListenScanner()
  s.feed(Buffer.from(text, 'latin1'))
  s.end()
  return s.ports
}

export interface PortSourceOptions {
  /** Bytes read from /proc/net/tcp at a time, into one buffer kept between cycles (default 64 KiB). */
  chunkSize?: number
}

/**
 * `net.port.listen` (tag port=N, GAUGE): 1 when some TCP socket, IPv4 or IPv6, listens on port N
 * (state LISTEN in /proc/net/tcp or /proc/net/tcp6), else 0, for each port of the current checks.
 * Reads nothing when there is no port to check, and sends nothing when neither table can be read
 * (rather than a 0 that would page someone).
 */
export class PortSource implements MetricSource {
  readonly name = 'ports'
  private readonly buffer: Buffer
  private readonly tags = new Map<number, Tags>()

  /** `checks` is asked at every collect: the agent's current checks. */
  constructor(
    private readonly paths: HostPaths,
    private readonly checks: () => AgentChecks,
    options: PortSourceOptions = {},
  ) {
    this.buffer = Buffer.allocUnsafe(Math.max(1, options.chunkSize ?? 65_536))
  }

  async collect(emit: Emit): Promise<void> {
    const ports = this.checks().ports
    if (ports.length === 0) return
    // The two tables share the buffer, so one after the other.
    const listening = new Set<number>()
    const v4 = await this.scan(`${this.paths.proc}/net/tcp`, listening)
    const v6 = await this.scan(`${this.paths.proc}/net/tcp6`, listening)
    if (!v4 && !v6) return
    for (const port of ports)
      emit(PORT_LISTEN_METRIC, listening.has(port) ? 1 : 0, 'GAUGE', this.tagsOf(port))
  }

  private tagsOf(port: number): Tags {
    let tags = this.tags.get(port)
    if (tags === undefined) {
      if (this.tags.size > 4096) this.tags.clear()
      tags = frozenTags({ port: String(port) })
      this.tags.set(port, tags)
    }
    return tags
  }

  /** Adds the listened-on ports of one table to `into`; false when it cannot be read. */
  private async scan(path: string, into: Set<number>): Promise<boolean> {
    let file: Awaited<ReturnType<typeof open>>
    try {
      file = await open(path, 'r')
    } catch {
      return false
    }
    const scanner = new ListenScanner()
    try {
      for (;;) {
        const { bytesRead } = await file.read(this.buffer, 0, this.buffer.length, null)
        if (bytesRead === 0) break
        scanner.feed(this.buffer, bytesRead)
      }
      scanner.end()
      for (const p of scanner.ports) into.add(p)
      return true
    } catch {
      return false
    } finally {
      await file.close().catch(() => {})
    }
  }
}
