import { describe, expect, it } from 'vitest'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { bindKeyspace } from '../../src/ops/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'

const TTL = 1_000_000
const JITTER = 0.2
const ks = defineKeyspace('ttl', {
  page: { pattern: 'page:<id>', type: t.json<{ n: number }>(), role: 'cache', ttl: TTL, jitter: JITTER },
  tags: { pattern: 'tags:<id>', type: t.set(), role: 'cache', ttl: TTL, jitter: JITTER },
  plain: { pattern: 'plain:<id>', type: t.hash(), role: 'state', ttl: TTL },
  keep: { pattern: 'keep:<id>', type: t.hash(), role: 'reference', ttl: 'persistent' },
})

const { db } = await startRedisForFile()

async function ttls(keys: readonly string[]): Promise<number[]> {
  return (await db.batch(keys.map((key) => ['PTTL', key]))) as number[]
}

/** 1000 writes: every TTL inside ttl·(1 ± jitter), and the extremes close to the band's edges. */
function expectBand(values: readonly number[], elapsedMs: number) {
  const low = TTL * (1 - JITTER)
  const high = TTL * (1 + JITTER)
  const width = high - low
  expect(values).toHaveLength(1000)
  for (const value of values) {
    expect(value).toBeGreaterThanOrEqual(low - elapsedMs - 1)
    expect(value).toBeLessThanOrEqual(high)
  }
  // With 1000 uniform draws, P(no draw within 1% of an edge) = 0.99^1000 ≈ 4e-5.
  expect(Math.min(...values)).toBeLessThan(low + width * 0.01)
  expect(Math.max(...values)).toBeGreaterThan(high - width * 0.01 - elapsedMs)
  // And they are spread, not clustered: each fifth of the band holds 10–30% of the keys.
  for (let i = 0; i < 5; i++) {
    const inBucket = values.filter(
      (v) => v >= low + (width * i) / 5 - elapsedMs && v < low + (width * (i + 1)) / 5,
    )
    expect(inBucket.length).toBeGreaterThan(100)
    expect(inBucket.length).toBeLessThan(300)
  }
}

describe('jittered TTL on every write', () => {
  it('SET ... PX: 1000 string writes', async () => {
    const app = bindKeyspace(db, ks)
    const started = Date.now()
    const handles = Array.from({ length: 1000 }, (_, i) => app.page({ id: i }))
    await Promise.all(handles.map((h, i) => h.set({ n: i })))
    expectBand(await ttls(handles.map((h) => h.key)), Date.now() - started)
  })

  it('MULTI + PEXPIRE: 1000 set writes', async () => {
    const app = bindKeyspace(db, ks)
    const started = Date.now()
    const handles = Array.from({ length: 1000 }, (_, i) => app.tags({ id: i }))
    await Promise.all(handles.map((h) => h.add('a', 'b')))
    expectBand(await ttls(handles.map((h) => h.key)), Date.now() - started)
  })

  it('no jitter: the declared TTL exactly; persistent: none at all', async () => {
    const app = bindKeyspace(db, ks)
    const plain = app.plain({ id: 1 })
    await plain.hset({ a: 'b' })
    const [ttl] = await ttls([plain.key])
    expect(ttl).toBeGreaterThan(TTL - 1000)
    expect(ttl).toBeLessThanOrEqual(TTL)
    const keep = app.keep({ id: 1 })
    await db.call(['HSET', keep.key, 'x', '"y"', 'old', '"z"'])
    await db.call(['PEXPIRE', keep.key, 60_000])
    await keep.hset({ a: 'b' })
    // A persistent entry's writes add no TTL (nor remove one set elsewhere).
    expect(await keep.ttl()).toBeGreaterThan(0)
    const fresh = app.keep({ id: 2 })
    await fresh.hset({ a: 'b' })
    expect(await fresh.ttl()).toBe('persistent')
  })

  it('a failed write leaves no key without a TTL', async () => {
    const app = bindKeyspace(db, ks)
    const tags = app.tags({ id: 'wrongtype' })
    await db.call(['SET', tags.key, 'a string', 'PX', 60_000])
    // SADD fails with WRONGTYPE inside MULTI; the batch rejects and no set key is created.
    await expect(tags.add('a')).rejects.toMatchObject({ code: 'COMMAND_ERROR' })
    expect(await db.call(['TYPE', tags.key])).toBe('string')
  })
})
