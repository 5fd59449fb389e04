import { randomBytes, randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { inferParts } from '../../src/audit/infer.js'
import { PatternTree, shapeOf } from '../../src/audit/tree.js'
import type { KeyRecord } from '../../src/audit/types.js'

function record(key: string, extra: Partial<KeyRecord> = {}): KeyRecord {
  return { key, node: 0, type: 'string', ttlMs: -1, bytes: 50, encoding: 'embstr', size: 5, ...extra }
}

function group(keys: readonly string[], options = {}): Record<string, number> {
  const tree = new PatternTree(options)
  for (const key of keys) tree.accumulatorFor(key).add(record(key), undefined)
  return Object.fromEntries(tree.finish(1).map((p) => [p.pattern, p.keys]))
}

describe('PatternTree', () => {
  it('groups keys by pattern, counting each key once', () => {
    const keys = [
      ...Array.from({ length: 100 }, (_, i) => `user:${i}:profile`),
      ...Array.from({ length: 10 }, (_, i) => `user:${i}`),
      'config',
    ]
    expect(group(keys)).toEqual({ 'user:<id>:profile': 100, 'user:<id>': 10, config: 1 })
  })

  it('merges ids that happen to read as dates or Unix times into the ids', () => {
    const keys = [
      ...Array.from({ length: 500 }, (_, i) => `user:${i * 7919}`),
      'user:20240115',
      'user:1700000000',
    ]
    expect(group(keys)).toEqual({ 'user:<id>': 502 })
  })

  it('keeps real dates apart from the ids of another position', () => {
    const keys = [
      ...Array.from({ length: 30 }, (_, d) => `events:2024-03-${String(d + 1).padStart(2, '0')}`),
      'events:total',
    ]
    expect(group(keys)).toEqual({ 'events:<date>': 30, 'events:total': 1 })
  })

  it('collapses a position with more distinct literals than the limit into <*>', () => {
    const words = Array.from(
      { length: 80 },
      (_, i) => `tenant${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`,
    )
    const keys = words.flatMap((w) => [`cache:${w}:home`, `cache:${w}:about`])
    expect(group(keys, { maxLiterals: 50 })).toEqual({ 'cache:<*>:home': 80, 'cache:<*>:about': 80 })
    // Below the limit, each literal is its own pattern.
    expect(Object.keys(group(keys.slice(0, 20), { maxLiterals: 50 }))).toHaveLength(20)
  })

  it('folds hex ids that happen to be all digits, and unrecognised leftovers, into the token kind', () => {
    const hex = Array.from({ length: 2000 }, () => randomBytes(4).toString('hex'))
    const result = group(hex.map((h) => `obj:${h}`))
    // 8 hex digits are all digits 2.3 % of the time (`<id>`), all letters 0.04 % (literal text).
    expect(result).toEqual({ 'obj:<hex>': 2000 })
    const fixed = group([
      ...hex.slice(0, 500).map((h) => `obj:${h}`),
      'obj:12345678',
      'obj:cafebabe',
      'obj:index',
    ])
    expect(fixed).toEqual({ 'obj:<hex>': 502, 'obj:index': 1 })
  })

  it('keeps an id index beside a token index apart when the ids dominate', () => {
    const keys = [
      ...Array.from({ length: 100 }, (_, i) => `idx:${i}`),
      ...Array.from({ length: 10 }, (_, i) => `idx:Xk3a9LmQ2pZ0rT${i}w`),
    ]
    expect(group(keys)).toEqual({ 'idx:<id>': 100, 'idx:<token>': 10 })
  })

  it('keeps memory bounded on keys made only of random words', () => {
    const keys = Array.from(
      { length: 5000 },
      () =>
        `w:${randomUUID()
          .replace(/[0-9-]/g, '')
          .slice(0, 8)}`,
    )
    expect(Object.keys(group(keys)).length).toBeLessThanOrEqual(51)
  })

  it('aggregates memory, TTLs, types and encodings per pattern', () => {
    const tree = new PatternTree()
    for (let i = 0; i < 100; i++) {
      const key = `s:${i}`
      tree.accumulatorFor(key).add(record(key, { bytes: 100 + i, ttlMs: i < 50 ? 30_000 : -1 }), undefined)
    }
    const [p] = tree.finish(2)
    expect(p).toMatchObject({
      pattern: 's:<id>',
      keys: 100,
      estimatedKeys: 200,
      types: { string: 100 },
      encodings: { embstr: 100 },
      memory: { total: 14_950, estimatedTotal: 29_900, avg: 150, max: 199 },
      ttl: { withTtl: 50, withoutTtl: 50, coverage: 0.5, minMs: 30_000, maxMs: 30_000 },
    })
    expect(p?.memory.p99).toBeGreaterThanOrEqual(194)
    expect(p?.memory.p99).toBeLessThanOrEqual(199)
    expect(p?.ttl.distribution['<1m']).toBe(50)
    expect(p?.largest.map((k) => k.bytes)).toEqual([199, 198, 197, 196, 195])
  })
})

describe('shapeOf: keys inferred once per shape', () => {
  it('gives the parts of the key itself wherever it is used', () => {
    let seed = 7
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
      return seed % n
    }
    const digits = (n: number) => Array.from({ length: n }, () => random(10)).join('')
    const pick = (alphabet: string, n: number) =>
      Array.from({ length: n }, () => alphabet[random(alphabet.length)]).join('')
    const pieces = [
      () => digits(1 + random(12)),
      () => pick('abcdef0123456789', 6 + random(30)),
      () => pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 8 + random(20)),
      () => `v${digits(1)}`,
      () => `order${digits(2 + random(6))}`,
      () => ['user', 'profile', 'cache', 'tenant', 'x'][random(5)] as string,
      () => `${digits(4)}-${digits(2)}-${digits(2)}`,
      () => `${pick('abcdef', 8)}-${pick('abcdef0123456789', 4)}-${digits(4)}`,
      () => `${digits(1 + random(3))}.${digits(1 + random(3))}`,
      () => `+${digits(3)}`,
    ]
    const delimiters = [':', '/', '_', '-', '.', '#', '|']
    let checked = 0
    for (let i = 0; i < 20_000; i++) {
      let key = ''
      const n = 1 + random(5)
      for (let p = 0; p < n; p++)
        key +=
          (pieces[random(pieces.length)] as () => string)() +
          (p < n - 1 ? delimiters[random(delimiters.length)] : '')
      const shape = shapeOf(key)
      if (shape === null) continue
      const parts = inferParts(shape)
      // The tree infers such keys one by one (their literal text holds digits).
      if (parts.some((p) => (p.kind === null || p.kind === 'mixed') && /\d/.test(p.text))) continue
      expect(inferParts(key), key).toEqual(parts)
      checked++
    }
    expect(checked).toBeGreaterThan(2000)
  })

  it('leaves keys whose digits inference reads to be inferred one by one', () => {
    for (const key of [
      'events:2024-03-01:count',
      'ip:10.0.0.1',
      'day:20240301',
      'ts:1700000000',
      'p/2024/03',
      'plain:key',
    ])
      expect(shapeOf(key), key).toBeNull()
    expect(shapeOf('user:1234:profile')).toBe('user:0000:profile')
  })
})
