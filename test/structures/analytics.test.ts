import { describe, expect, it } from 'vitest'
import { createActivity, createUniqueCounter, HLL_STANDARD_ERROR } from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf, commandsOf } from './helpers.js'

const { db } = await startRedisForFile()

// A week in the future (keys expire relative to their period, so past dates would expire at once).
const MON = Date.UTC(2030, 4, 13, 9) // Monday 2030-05-13
const day = (n: number) => MON + n * 86_400_000

/** HyperLogLog estimates: within 3 standard errors (and ±1 for tiny counts). */
function expectNear(estimate: number, exact: number): void {
  expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(Math.max(1, 3 * HLL_STANDARD_ERROR * exact))
}

describe('unique counter (HyperLogLog)', () => {
  it('counts 100k distinct items within 3 standard errors (±2.43%), against the exact count', async () => {
    const counter = createUniqueCounter(db, { name: 'visitors', clock: () => MON })
    const batch: string[] = []
    for (let i = 0; i < 100_000; i++) {
      batch.push(`user-${i}`)
      if (batch.length === 1000) {
        await counter.add(batch.splice(0))
      }
    }
    // Repeats do not count twice.
    for (let i = 0; i < 10_000; i += 1000)
      await counter.add(Array.from({ length: 1000 }, (_, j) => `user-${i + j}`))
    const estimate = await counter.count()
    const error = Math.abs(estimate - 100_000) / 100_000
    expect(error).toBeLessThanOrEqual(3 * HLL_STANDARD_ERROR)
    console.log(`HLL: 100000 distinct → estimate ${estimate} (error ${(error * 100).toFixed(3)}%)`)
  }, 30_000)

  it('day → week → month: counts unions over days, and roll-ups outlive the days', async () => {
    const counter = createUniqueCounter(db, { name: 'weekly', clock: () => MON })
    // Users 0–99 on Monday, 50–149 on Tuesday, 0–9 on Sunday.
    await counter.add(
      Array.from({ length: 100 }, (_, i) => `u${i}`),
      { at: day(0) },
    )
    await counter.add(
      Array.from({ length: 100 }, (_, i) => `u${50 + i}`),
      { at: day(1) },
    )
    await counter.add(
      Array.from({ length: 10 }, (_, i) => `u${i}`),
      { at: day(6) },
    )
    expectNear(await counter.count({ at: day(0) }), 100)
    expectNear(await counter.count({ period: 'week', at: day(3) }), 150)
    expectNear(await counter.count({ from: day(0), to: day(1) }), 150)
    expectNear(await counter.count({ period: 'month', at: day(0) }), 150)
    await counter.rollUp('week', { at: day(0) })
    await counter.rollUp('month', { at: day(0) })
    // Drop the days, as their retention would: the roll-ups still answer.
    await db.unsafe({ reason: 'simulate the days expiring' }, (raw) =>
      raw.call([
        'UNLINK',
        ...[0, 1, 6].map((n) => `uniq:{weekly}:day:2030-05-${String(13 + n).padStart(2, '0')}`),
      ]),
    )
    expectNear(await counter.count({ period: 'week', at: day(0) }), 150)
    expectNear(await counter.count({ period: 'month', at: day(0) }), 150)
    expect(await counter.count({ at: day(0) })).toBe(0)
  })

  it('one round trip per call; TTLs set with the write', async () => {
    const counter = createUniqueCounter(db, { name: 'rt', clock: () => MON })
    expect(await commandsOf(db, () => counter.add(['a', 'b']))).toEqual({
      MULTI: 1,
      EXEC: 1,
      PFADD: 1,
      PEXPIREAT: 1,
    })
    expect(await commandsOf(db, () => counter.count({ period: 'week' }))).toEqual({ PFCOUNT: 1 })
    expect(await commandsOf(db, () => counter.rollUp('month'))).toEqual({
      MULTI: 1,
      EXEC: 1,
      PFMERGE: 1,
      PEXPIREAT: 1,
    })
    // Day key expires 35 days (default retention) after its day ends.
    expect(Number(await db.call(['PEXPIRETIME', 'uniq:{rt}:day:2030-05-13']))).toBe(
      Date.UTC(2030, 4, 14) + 35 * 86_400_000,
    )
  })

  it('bad input', async () => {
    expect(await codeOf(() => createUniqueCounter(db, { name: '' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createUniqueCounter(db, { name: 'x', retention: { day: 0 } }))).toBe(
      'INVALID_ARGUMENT',
    )
    const counter = createUniqueCounter(db, { name: 'bad' })
    expect(await codeOf(counter.add([]))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(counter.add([1 as never]))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(counter.count({ from: day(10), to: day(0) }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(counter.count({ from: day(0), to: day(200) }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(counter.rollUp('year' as never))).toBe('INVALID_ARGUMENT')
  })
})

describe('activity bitmaps', () => {
  it('marks, counts and answers retention cohorts with BITOP into a temporary key', async () => {
    const activity = createActivity(db, { name: 'app', clock: () => MON })
    for (let i = 0; i < 50; i++) await activity.mark(`user-${i}`, { at: day(0) })
    for (let i = 25; i < 100; i++) await activity.mark(`user-${i}`, { at: day(1) })
    for (let i = 40; i < 45; i++) await activity.mark(`user-${i}`, { at: day(2) })
    expect(await activity.count({ at: day(0) })).toBe(50)
    expect(await activity.isActive('user-3', { at: day(0) })).toBe(true)
    expect(await activity.isActive('user-3', { at: day(1) })).toBe(false)
    expect(await activity.isActive('stranger', { at: day(1) })).toBe(false)
    expect(await activity.activeOnAll([day(0), day(1)])).toBe(25)
    expect(await activity.activeOnAll([day(0), day(1), day(2)])).toBe(5)
    expect(await activity.activeOnAny([day(0), day(1)])).toBe(100)
    const cohort = await activity.cohort([day(0), day(1)])
    expect(cohort.count).toBe(25)
    expect(await cohort.has('user-30')).toBe(true)
    expect(await cohort.has('user-10')).toBe(false)
    // The temporary key has a TTL (and no other key is left without one).
    let temporary = 0
    for await (const key of db.scan({ match: 'act:{app}:cohort:*' })) {
      temporary++
      expect(Number(await db.call(['PTTL', key]))).toBeGreaterThan(0)
    }
    expect(temporary).toBe(1)
    await cohort.release()
    // Dense mapping: 100 users → offsets 0..99, a 13-byte bitmap.
    expect(Number(await db.call(['STRLEN', 'act:{app}:day:2030-05-14']))).toBe(13)
  })

  it('refuses offsets that would allocate huge bitmaps, naming the fix', async () => {
    const dense = createActivity(db, { name: 'dense', ids: 'integer', maxId: 1_000_000, clock: () => MON })
    await dense.mark(999_999)
    const error = await dense.mark(5_000_000_000).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'GUARD_UNBOUNDED', details: { rule: 'unbounded' } })
    expect(String((error as Error).message)).toMatch(/ids: 'map'/)
    expect(await codeOf(dense.mark(-1))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(dense.mark('abc'))).toBe('INVALID_ARGUMENT')
    const small = createActivity(db, { name: 'small', maxId: 2, clock: () => MON })
    await small.mark('a')
    await small.mark('b')
    await small.mark('a')
    expect(await codeOf(small.mark('c'))).toBe('GUARD_UNBOUNDED')
    expect(await codeOf(() => createActivity(db, { name: 'huge', maxId: 2 ** 33 }))).toBe('INVALID_ARGUMENT')
  })

  it('one round trip per call', async () => {
    const activity = createActivity(db, { name: 'rt', clock: () => MON })
    await activity.mark('warm')
    await activity.isActive('warm')
    expect(await commandsOf(db, () => activity.mark('u1'))).toEqual({
      EVALSHA: 1,
      HGET: 1,
      INCR: 1,
      HSET: 1,
      SETBIT: 1,
      PEXPIREAT: 1,
    })
    expect(await commandsOf(db, () => activity.isActive('u1'))).toEqual({ EVALSHA: 1, HGET: 1, GETBIT: 1 })
    expect(await commandsOf(db, () => activity.activeOnAll([day(0), day(1)]))).toEqual({
      MULTI: 1,
      EXEC: 1,
      BITOP: 1,
      PEXPIRE: 1,
      BITCOUNT: 1,
      UNLINK: 1,
    })
  })
})
