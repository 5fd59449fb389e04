import { describe, expect, it } from 'vitest'
import { createCompactMap } from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf, commandsOf } from './helpers.js'

const { db } = await startRedisForFile()

describe('compact map', () => {
  it('integer ids: get, set, delete, getMany, setMany, bucketed by range', async () => {
    const map = createCompactMap(db, { name: 'owners', keys: 'integer', perBucket: 100 })
    expect(map.locate(123_456)).toEqual({ key: 'cm:owners:1234', field: '56' })
    await map.set(123_456, '987')
    expect(await map.get(123_456)).toBe('987')
    expect(await map.get(123_457)).toBeNull()
    await map.setMany(Array.from({ length: 1000 }, (_, i) => [i, `v${i}`] as const))
    expect(await map.getMany([5, 999, 123_456, 5000, 5])).toEqual(['v5', 'v999', '987', null, 'v5'])
    expect(await map.delete(5)).toBe(true)
    expect(await map.delete(5)).toBe(false)
    expect(await map.get(5)).toBeNull()
    const report = await map.memory({ sample: 20 })
    expect(report.bucketsSampled).toBeGreaterThan(0)
    expect(Object.keys(report.encodings)).toEqual(['listpack'])
    expect(report.bytesPerItem).toBeLessThan(20)
  })

  it('string ids: hashed buckets stay within the listpack limits', async () => {
    const map = createCompactMap<{ n: number }>(db, {
      name: 'profiles',
      expectedItems: 20_000,
      codec: 'json',
    })
    await map.setMany(Array.from({ length: 20_000 }, (_, i) => [`user:${i}`, { n: i }] as const))
    expect(await map.get('user:42')).toEqual({ n: 42 })
    const report = await map.memory({ sample: 400 })
    expect(report.encodings).toEqual({ listpack: report.bucketsSampled })
    expect(report.items / report.bucketsSampled).toBeGreaterThan(40)
  })

  it('a fraction of the memory of one string key per item', async () => {
    const before = await usedMemory()
    const map = createCompactMap(db, { name: 'measure', keys: 'integer' })
    const N = 50_000
    for (let i = 0; i < N; i += 5000)
      await map.setMany(Array.from({ length: 5000 }, (_, j) => [i + j, `${1_000_000 + i + j}`] as const))
    const compact = (await usedMemory()) - before
    const middle = await usedMemory()
    for (let i = 0; i < N; i += 5000)
      await db.unsafe({ reason: 'the baseline: one string key per item, no TTL' }, (raw) =>
        raw.batch(Array.from({ length: 5000 }, (_, j) => ['SET', `plain:${i + j}`, `${1_000_000 + i + j}`])),
      )
    const plain = (await usedMemory()) - middle
    expect(plain / compact).toBeGreaterThan(5)
  })

  it('TTL per bucket, refreshed by writes', async () => {
    const map = createCompactMap(db, { name: 'ttl', keys: 'integer', ttl: '1h' })
    await map.set(1, 'a')
    const ttl = Number(await db.call(['PTTL', map.locate(1).key]))
    expect(ttl).toBeGreaterThan(3_590_000)
    await map.setMany([[2, 'b']])
    expect(Number(await db.call(['PTTL', map.locate(2).key]))).toBeGreaterThan(3_590_000)
  })

  it('round trips: one command (or MULTI) per call, one pipeline for many', async () => {
    const map = createCompactMap(db, { name: 'rt', keys: 'integer', perBucket: 10 })
    expect(await commandsOf(db, () => map.set(1, 'x'))).toEqual({ HSET: 1 })
    expect(await commandsOf(db, () => map.get(1))).toEqual({ HGET: 1 })
    expect(await commandsOf(db, () => map.getMany([1, 2, 11, 12, 25]))).toEqual({ HMGET: 3 })
  })

  it('bad input: refuses what would break the compact encoding', async () => {
    const map = createCompactMap(db, { name: 'bad' })
    expect(await codeOf(map.set('k', 'x'.repeat(65)))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(map.set('k'.repeat(65), 'x'))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(map.get(''))).toBe('INVALID_ARGUMENT')
    const ints = createCompactMap(db, { name: 'bad-int', keys: 'integer' })
    expect(await codeOf(ints.get(-1))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(ints.get('7' as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createCompactMap(db, { name: 'x', perBucket: 0 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createCompactMap(db, { name: 'x y' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(map.getMany('abc' as never))).toBe('INVALID_ARGUMENT')
  })
})

async function usedMemory(): Promise<number> {
  const info = String(await db.call(['INFO', 'memory']))
  return Number(/used_memory:(\d+)/.exec(info)?.[1])
}
