import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Codec, codecs, decimal } from '../../../src/codec/index.js'
import { keySlot } from '../../../src/common/index.js'
import { RedisExpertError } from '../../../src/errors.js'
import type { Entry } from '../../../src/keyspace/index.js'
import { every } from './fixtures/every.js'
import { ask, FIXTURES, type Generated, generateFixture } from './helpers.js'

/**
 * fixtures/vectors.json — parameters → key → slot, values → bytes per codec, bytes both refuse —
 * asserted from both languages: TypeScript here, Python through the generated module. Then the
 * same agreement on generated values: JSON bytes identical, MessagePack read back by the other.
 */

interface Vectors {
  keys: {
    entry: string
    cls: string
    params: Record<string, { t: string; v: string }>
    key: string
    slot: number
  }[]
  values: { codec: string; value: unknown; hex: string; python?: string }[]
  refused: { codec: string; hex: string }[]
}
const vectors = JSON.parse(readFileSync(join(FIXTURES, 'vectors.json'), 'utf8')) as Vectors

let generated: Generated
beforeAll(async () => {
  generated = await generateFixture()
}, 60_000)
afterAll(() => rmSync(generated.dir, { recursive: true, force: true }))

const codecOf = (name: string): Codec<unknown> =>
  name === 'decimal' ? (decimal as Codec<unknown>) : codecs[name as keyof typeof codecs]

/** A vector's value as TypeScript holds it: bytes as a Buffer, floats as numbers. */
function untag(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untag)
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>
    if ('$bytes' in v) return Buffer.from(v.$bytes as string, 'hex')
    if ('$float' in v) return v.$float
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, untag(x)]))
  }
  return value
}

/** For comparing: Buffers as hex, floats as numbers (2.0 and 2 are one JavaScript number). */
function comparable(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { bytes: value.toString('hex') }
  if (Array.isArray(value)) return value.map(comparable)
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>
    if ('$bytes' in v) return { bytes: v.$bytes }
    if ('$float' in v) return v.$float
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, comparable(x)]))
  }
  return value
}

function tsParam(p: { t: string; v: string }): unknown {
  if (p.t !== 'int') return p.v
  const n = BigInt(p.v)
  return n >= -(2n ** 53n - 1n) && n <= 2n ** 53n - 1n ? Number(n) : n
}

function refusal(fn: () => unknown): string | null {
  try {
    fn()
    return null
  } catch (error) {
    return error instanceof RedisExpertError ? error.code : String(error)
  }
}

describe('conformance vectors, from both languages', () => {
  it('parameters → key → slot, and the key parses back', async () => {
    const answers = await ask<{ key?: string; slot?: number; params?: unknown }>(generated.dir, 'fx_keys', [
      ...vectors.keys.map((v) => ({ op: 'build', cls: v.cls, params: v.params })),
      ...vectors.keys.map((v) => ({ op: 'slot', key: v.key })),
      ...vectors.keys.map((v) => ({ op: 'parse', cls: v.cls, key: v.key })),
    ])
    const n = vectors.keys.length
    vectors.keys.forEach((v, i) => {
      const entry = (every as unknown as Record<string, Entry>)[v.entry]!
      const params = Object.fromEntries(Object.entries(v.params).map(([k, p]) => [k, tsParam(p)]))
      expect((entry.key as (p: unknown) => string)(params)).toBe(v.key)
      expect(keySlot(v.key)).toBe(v.slot)
      expect(answers[i]!.key).toBe(v.key)
      expect(answers[n + i]!.slot).toBe(v.slot)
      const text = Object.fromEntries(Object.entries(v.params).map(([k, p]) => [k, p.v]))
      expect(entry.parse(v.key)).toEqual(text)
      expect(answers[2 * n + i]!.params).toEqual(text)
    })
  })

  it('values → bytes per codec: each language writes them and reads them back', async () => {
    const answers = await ask<{ hex?: string; value?: unknown; error?: string }>(generated.dir, 'fx_keys', [
      ...vectors.values.map((v) => ({ op: 'encode', codec: v.codec, value: v.value })),
      ...vectors.values.map((v) => ({ op: 'decode', codec: v.codec, hex: v.hex })),
      ...vectors.values.filter((v) => v.python).map((v) => ({ op: 'decode', codec: v.codec, hex: v.python })),
    ])
    const n = vectors.values.length
    vectors.values.forEach((v, i) => {
      const codec = codecOf(v.codec)
      const label = `${v.codec} ${JSON.stringify(v.value)}`
      expect(Buffer.from(codec.encode(untag(v.value)) as Buffer).toString('hex'), label).toBe(v.hex)
      expect(answers[i]!.hex, label).toBe(v.python ?? v.hex)
      const bytes = Buffer.from(v.hex, 'hex')
      expect(comparable(codec.decode(codec.binary ? bytes : bytes.toString('utf8'))), label).toEqual(
        comparable(v.value),
      )
      expect(comparable(answers[n + i]!.value), label).toEqual(comparable(v.value))
    })
    // What Python's msgpack writes for integers beyond 32 bits (uint64) reads back exactly in both.
    const wide = vectors.values.filter((v) => v.python)
    expect(wide.length).toBeGreaterThan(0)
    wide.forEach((v, i) => {
      expect(codecOf(v.codec).decode(Buffer.from(v.python!, 'hex'))).toBe(v.value)
      expect(answers[2 * n + i]!.value).toBe(v.value)
    })
  })

  it('bytes both refuse to decode: DECODE_FAILED in each language', async () => {
    const answers = await ask<{ error?: string }>(
      generated.dir,
      'fx_keys',
      vectors.refused.map((v) => ({ op: 'decode', codec: v.codec, hex: v.hex })),
    )
    vectors.refused.forEach((v, i) => {
      const label = `${v.codec} ${v.hex}`
      expect(
        refusal(() => codecOf(v.codec).decode(Buffer.from(v.hex, 'hex'))),
        label,
      ).toBe('DECODE_FAILED')
      expect(answers[i]!.error, label).toBe('DECODE_FAILED')
    })
  })

  it('a Python int beyond ±(2^53 − 1) is refused when written (JavaScript could not read it exactly)', async () => {
    const big = { t: 'int', v: String(2n ** 53n) }
    const answers = await ask<{ error?: string; hex?: string }>(generated.dir, 'fx_keys', [
      { op: 'encode', codec: 'json', value: 2 ** 53 },
      { op: 'encode', codec: 'msgpack', value: [1, 2 ** 53] },
      { op: 'encode', codec: 'decimal', value: 2 ** 53 },
      { op: 'decode', codec: 'json', hex: Buffer.from('[9007199254740993]').toString('hex') },
      { op: 'encode', codec: 'json', value: { $float: 2 ** 53 } },
      { op: 'build', cls: 'FxText', params: { id: big } },
    ])
    expect(answers.slice(0, 3).map((a) => a.error)).toEqual([
      'ENCODE_FAILED',
      'ENCODE_FAILED',
      'ENCODE_FAILED',
    ])
    // Read back, a JSON integer beyond the safe range is what JSON.parse makes of it: the nearest float.
    expect(answers[3]).toEqual({
      value: [{ $float: 9007199254740992 }],
    })
    expect(JSON.parse('[9007199254740993]')).toEqual([9007199254740992])
    // A float is a float: printed as JavaScript prints it; a key parameter is text, any size.
    expect(answers[4]!.hex).toBe(Buffer.from('9007199254740992').toString('hex'))
    expect(answers[5]).toEqual({ key: 'fx:text:9007199254740992' })
  })
})

describe('generated values, from both languages', () => {
  it('JSON: the same bytes for any float (JavaScript number formatting) and any JSON value', async () => {
    const doubles = fc.sample(fc.double({ noNaN: true, noDefaultInfinity: true }), {
      numRuns: 1500,
      seed: 53,
    })
    const values = fc
      .sample(fc.jsonValue(), { numRuns: 500, seed: 54 })
      .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
    const safe = values.filter((v) => !JSON.stringify(v).match(/(^|[^0-9.e+-])-?\d{16,}(?![0-9.e])/))
    const answers = await ask<{ hex?: string; error?: string }>(generated.dir, 'fx_keys', [
      ...doubles.map((x) => ({ op: 'encode', codec: 'json', value: { $float: x } })),
      ...safe.map((value) => ({ op: 'encode', codec: 'json', value })),
    ])
    doubles.forEach((x, i) => {
      expect(Buffer.from(answers[i]!.hex ?? '', 'hex').toString('utf8'), String(x)).toBe(JSON.stringify(x))
    })
    safe.forEach((value, i) => {
      const hex = answers[doubles.length + i]!.hex
      expect(Buffer.from(hex ?? '', 'hex').toString('utf8'), JSON.stringify(value)).toBe(
        JSON.stringify(value),
      )
    })
  })

  it('MessagePack: each language reads back exactly what the other wrote', async () => {
    const values = fc
      .sample(fc.jsonValue(), { numRuns: 500, seed: 55 })
      .map((v) => JSON.parse(JSON.stringify(v)) as unknown)
      .filter((v) => !/\d{16,}/.test(JSON.stringify(v)))
    const fromTs = values.map((v) => Buffer.from(codecs.msgpack.encode(v) as Buffer).toString('hex'))
    const answers = await ask<{ hex?: string; value?: unknown }>(generated.dir, 'fx_keys', [
      ...values.map((value) => ({ op: 'encode', codec: 'msgpack', value })),
      ...fromTs.map((hex) => ({ op: 'decode', codec: 'msgpack', hex })),
    ])
    values.forEach((value, i) => {
      const pythonBytes = Buffer.from(answers[i]!.hex ?? '', 'hex')
      expect(comparable(codecs.msgpack.decode(pythonBytes))).toEqual(comparable(value))
      expect(comparable(answers[values.length + i]!.value)).toEqual(comparable(value))
    })
  })
})
