import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  ConfigError,
  describeSettings,
  loadConfig,
  num,
  param,
  setting,
  sql,
  tsvEscape,
} from '../src/index.ts'

describe('sql tag', () => {
  it('binds every interpolated value as a typed parameter', () => {
    const evil = "x' OR 1=1 --"
    const q = sql`SELECT * FROM series WHERE endpoint = ${param.string(evil)} AND step > ${param.uint32(5)}`
    expect(q.query).toBe('SELECT * FROM series WHERE endpoint = {p0:String} AND step > {p1:UInt32}')
    expect(q.params).toEqual({ p0: evil, p1: 5 })
  })
  it('renumbers nested fragments without clashes', () => {
    const inner = sql`a = ${param.string('A')} AND b = ${param.string('B')}`
    const q = sql`x = ${param.string('X')} AND ${inner}`
    expect(q.query).toBe('x = {p0:String} AND a = {p1:String} AND b = {p2:String}')
    expect(q.params).toEqual({ p0: 'X', p1: 'A', p2: 'B' })
  })
  it('escapes TabSeparated text', () => {
    expect(tsvEscape('a\tb\nc\\d')).toBe('a\\tb\\nc\\\\d')
    expect(tsvEscape('plain')).toBe('plain')
  })
})

describe('config', () => {
  const def = {
    port: setting('T_PORT', num(8080), 'port'),
    name: setting('T_NAME', z.string().default('x'), 'name'),
  }
  it('takes defaults, then the file section, then the environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'))
    const file = join(dir, 'c.yaml')
    await writeFile(file, 'common:\n  name: fromfile\nsvc:\n  port: 9000\n')
    expect(loadConfig(def, 'svc', {})).toEqual({ port: 8080, name: 'x' })
    expect(loadConfig(def, 'svc', { PEREGRINE_CONFIG: file })).toEqual({ port: 9000, name: 'fromfile' })
    expect(loadConfig(def, 'svc', { PEREGRINE_CONFIG: file, T_PORT: '7000' })).toEqual({
      port: 7000,
      name: 'fromfile',
    })
  })
  it('names the setting and its variable when a value is bad', () => {
    expect(() => loadConfig(def, 'svc', { T_PORT: 'abc' })).toThrow(ConfigError)
    expect(() => loadConfig(def, 'svc', { T_PORT: 'abc' })).toThrow(/port \(T_PORT\)/)
  })
  it('documents every setting', () => {
    expect(describeSettings(def)).toContain('| `port` | `T_PORT` | `8080` | port |')
  })
})
