import { describe, expect, it } from 'vitest'
import {
  AllowNets,
  OutboundPolicy,
  OutboundRefusedError,
  outboundRefusal,
  resolveOutbound,
} from '../src/outbound.ts'

const strict = new OutboundPolicy()

describe('outboundRefusal', () => {
  it('refuses metadata, link-local, loopback, unspecified and private literals, however spelt', () => {
    const refused = [
      'http://169.254.169.254/latest/meta-data/',
      'http://0xa9fea9fe/',
      'http://2852039166/',
      'http://0251.0376.0251.0376/',
      'http://169.254.43518/',
      'http://169.254.169.254./',
      'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://169.254.1.1/',
      'http://[fe80::1]/',
      'http://127.0.0.1:8080/',
      'http://127.1/',
      'http://[::1]/',
      'http://[::127.0.0.1]/',
      'http://LOCALHOST./',
      'http://api.localhost/',
      'http://0/',
      'http://[::]/',
      'https://10.1.2.3/',
      'https://172.20.0.1/',
      'https://192.168.1.10/',
      'https://100.64.0.1/',
      'https://[fd12:3456::1]/',
      'https://255.255.255.255/',
    ]
    for (const url of refused) expect(outboundRefusal(url, strict), url).not.toBeNull()
    expect(outboundRefusal('http://0xa9fea9fe/', strict)).toBe('169.254.169.254 is a cloud metadata address')
    expect(outboundRefusal('http://localhost:9000/', strict)).toMatch(/^localhost is a loopback address/)
  })

  it('lets public addresses and names through (names are checked again when sending)', () => {
    for (const url of [
      'https://hooks.example.com/peregrine',
      'https://93.184.216.34/x',
      'https://[2606:2800:220:1::1]/',
      'http://172.32.0.1/',
      'http://[::ffff:93.184.216.34]/',
    ])
      expect(outboundRefusal(url, strict), url).toBeNull()
  })

  it('allows what OUTBOUND_ALLOW_NETS lists, but never a metadata address', () => {
    const policy = new OutboundPolicy(AllowNets.parse('10.0.0.0/8, 192.168.1.0/24,169.254.0.0/16,fd00::/8'))
    expect(outboundRefusal('https://10.1.2.3/', policy)).toBeNull()
    expect(outboundRefusal('https://[::ffff:10.1.2.3]/', policy)).toBeNull()
    expect(outboundRefusal('https://192.168.1.7/', policy)).toBeNull()
    expect(outboundRefusal('https://192.168.2.7/', policy)).toMatch(/private/)
    expect(outboundRefusal('https://169.254.1.1/', policy)).toBeNull()
    expect(outboundRefusal('https://169.254.169.254/', policy)).toMatch(/metadata/)
    expect(outboundRefusal('https://[fd00:ec2::254]/', policy)).toMatch(/metadata/)
    expect(outboundRefusal('https://127.0.0.1/', policy)).toMatch(/loopback/)
  })

  it('validates the allow-list setting', () => {
    expect(AllowNets.parse('')).toEqual([])
    expect(AllowNets.parse(['10.0.0.0/8', '192.168.1.10'])).toEqual(['10.0.0.0/8', '192.168.1.10'])
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '10.0.0.0/x', 'fd00::/129'])
      expect(AllowNets.safeParse(bad).success, bad).toBe(false)
  })
})

describe('resolveOutbound', () => {
  it('refuses a name that resolves to a refused address now (localhost, from the system resolver)', async () => {
    await expect(resolveOutbound('http://localhost/', strict)).rejects.toThrow(OutboundRefusedError)
    const loopback = new OutboundPolicy(['127.0.0.0/8', '::1'])
    const addresses = await resolveOutbound('http://localhost:8080/hook', loopback)
    expect(addresses.length).toBeGreaterThan(0)
    for (const a of addresses) expect(['127.0.0.1', '::1']).toContain(a.address)
  })

  it('answers literals without a lookup and refuses refused ones', async () => {
    const noLookup = async () => expect.unreachable('no lookup for a literal')
    expect(await resolveOutbound('https://93.184.216.34/', strict, noLookup)).toEqual([
      { address: '93.184.216.34', family: 4 },
    ])
    await expect(resolveOutbound('http://0xa9fea9fe/', strict, noLookup)).rejects.toThrow(/metadata/)
    await expect(resolveOutbound('http://[::ffff:7f00:1]/', strict, noLookup)).rejects.toThrow(/loopback/)
  })

  it('refuses when any address of the name is refused (DNS rebinding)', async () => {
    const rebound = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ]
    await expect(resolveOutbound('https://hooks.example.com/', strict, rebound)).rejects.toThrow(
      'hooks.example.com resolves to 169.254.169.254, a cloud metadata address',
    )
    await expect(resolveOutbound('https://hooks.example.com/', strict, async () => [])).rejects.toThrow(
      /no address/,
    )
  })
})
