import { beforeAll, describe, expect, it } from 'vitest'
import type { GuardEvent } from '../../src/guard/index.js'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { connectAlsoForFile, startRedisForFile } from '../support/redis-fixture.js'

/*
 * Issue 16: `maxItems` was declared but never checked — a typed get() on an entry declared
 * maxItems: 100 returned 20 000 fields via HGETALL with no sign. A whole read whose reply holds
 * more than the declared bound is a GUARD_UNBOUNDED violation after the fact: strict throws it
 * (the declaration that allowed the whole read is wrong), warn emits it and returns the data, both
 * count it in stats().guard (violations.GUARD_UNBOUNDED and exceeded).
 */

const ks = defineKeyspace('bnd', {
  user: { pattern: 'user:<id>', type: t.hash<string>(), role: 'state', ttl: '1h', maxItems: 100 },
  tags: { pattern: 'tags:<id>', type: t.set(), role: 'index', ttl: '1h', maxItems: 5 },
  top: { pattern: 'top:<id>', type: t.zset(), role: 'state', ttl: '1h', maxItems: 5 },
  feed: { pattern: 'feed:<id>', type: t.list(), role: 'state', ttl: '1h', maxItems: 5 },
})

const { server, db: strict } = await startRedisForFile({ keyspaces: [ks] })
const warn = await connectAlsoForFile(server, { keyspaces: [ks], guard: 'warn' })

beforeAll(async () => {
  // Written behind the toolkit's back: more than the declarations allow.
  await strict.unsafe({ reason: 'a writer that ignores the declared bounds' }, async (raw) => {
    const fields: string[] = []
    for (let i = 0; i < 20_000; i++) fields.push(`f${i}`, '"v"')
    await raw.call(['HSET', ks.user.key({ id: 'big' }), ...fields])
    await raw.call(['SADD', ks.tags.key({ id: 'big' }), ...Array.from({ length: 6 }, (_, i) => `"${i}"`)])
    await raw.call([
      'ZADD',
      ks.top.key({ id: 'big' }),
      ...Array.from({ length: 6 }, (_, i) => [i, `"${i}"`]).flat(),
    ])
    await raw.call(['RPUSH', ks.feed.key({ id: 'big' }), ...Array.from({ length: 6 }, (_, i) => `"${i}"`)])
    await raw.call(['HSET', ks.user.key({ id: 'small' }), 'a', '"1"'])
  })
})

describe('a whole read that returns more than maxItems', () => {
  it('strict: GUARD_UNBOUNDED naming the entry, its bound and what came back; counted', async () => {
    strict.guard.resetStats()
    const user = strict.keyspace(ks).user({ id: 'big' })
    const error = await user.get().then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    )
    expect(error?.code).toBe('GUARD_UNBOUNDED')
    expect(error?.message).toContain("'user'")
    expect(error?.message).toContain('maxItems 100')
    expect(error?.message).toContain('20000')
    const stats = strict.stats().guard
    expect(stats.violations.GUARD_UNBOUNDED).toBe(1)
    expect(stats.exceeded).toBe(1)
    expect(stats.refused).toBe(1)
  })

  it('every whole read of a bounded entry: set members, zset range, list range', async () => {
    const app = strict.keyspace(ks)
    await expect(app.tags({ id: 'big' }).members()).rejects.toMatchObject({ code: 'GUARD_UNBOUNDED' })
    await expect(app.top({ id: 'big' }).range(0, -1)).rejects.toMatchObject({ code: 'GUARD_UNBOUNDED' })
    await expect(app.feed({ id: 'big' }).range(0, -1)).rejects.toMatchObject({ code: 'GUARD_UNBOUNDED' })
    // Within the bound: nothing to report.
    strict.guard.resetStats()
    expect(await app.user({ id: 'small' }).get()).toEqual({ a: '1' })
    expect(await app.top({ id: 'big' }).range(0, 2)).toHaveLength(3)
    expect(strict.stats().guard.exceeded).toBe(0)
  })

  it('warn: the data comes back, a violation event says what happened, and it is counted', async () => {
    const events: GuardEvent[] = []
    warn.on('violation', (event) => events.push(event))
    const whole = await warn.keyspace(ks).user({ id: 'big' }).get()
    expect(Object.keys(whole ?? {})).toHaveLength(20_000)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      code: 'GUARD_UNBOUNDED',
      rule: 'unbounded',
      action: 'warned',
      key: ks.user.key({ id: 'big' }),
    })
    expect(warn.stats().guard.exceeded).toBe(1)
  })

  it('inside db.unsafe: allowed and reported with the reason', async () => {
    const events: GuardEvent[] = []
    strict.on('violation', (event) => events.push(event))
    const whole = await strict.unsafe({ reason: 'export job' }, () =>
      strict.keyspace(ks).user({ id: 'big' }).get(),
    )
    expect(Object.keys(whole ?? {})).toHaveLength(20_000)
    expect(events.at(-1)).toMatchObject({ action: 'allowed', reason: 'export job' })
  })
})
