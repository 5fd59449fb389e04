import { describe, expect, it } from 'vitest'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { bindKeyspace } from '../../src/ops/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { callsBetween, commandCalls } from './helpers.js'

/*
 * Issue 16: a typed write that fails must leave the key untouched — its value and its TTL. With
 * MULTI <write> PEXPIRE EXEC, the write failed (WRONGTYPE on a legacy key) but PEXPIRE applied,
 * so a legacy key without a TTL started to expire.
 */

const ks = defineKeyspace('fw', {
  h: { pattern: 'h:<id>', type: t.hash<number>(), role: 'state', ttl: '1h' },
  l: { pattern: 'l:<id>', type: t.list(), role: 'state', ttl: '1h', maxItems: 10 },
  s: { pattern: 's:<id>', type: t.set(), role: 'state', ttl: '1h' },
  z: { pattern: 'z:<id>', type: t.zset(), role: 'state', ttl: '1h' },
  x: { pattern: 'x:<id>', type: t.stream(), role: 'state', ttl: '1h' },
  p: { pattern: 'p:{<id>}', type: t.hll(), role: 'analytics', ttl: '1h' },
  b: { pattern: 'b:<id>', type: t.bitmap(), role: 'analytics', ttl: '1h' },
  c: { pattern: 'c:<id>', type: t.counter(), role: 'counter', ttl: '1h' },
})

const { db } = await startRedisForFile()

const bound = () => bindKeyspace(db, ks)
type Op = (app: ReturnType<typeof bound>, id: string) => Promise<unknown>

const WRITES: Record<string, Op> = {
  hset: (app, id) => app.h({ id }).hset({ a: 1 }),
  hdel: (app, id) => app.h({ id }).hdel('a'),
  hincrBy: (app, id) => app.h({ id }).hincrBy('a', 1),
  push: (app, id) => app.l({ id }).push('v'),
  unshift: (app, id) => app.l({ id }).unshift('v'),
  pop: (app, id) => app.l({ id }).pop(),
  shift: (app, id) => app.l({ id }).shift(),
  sadd: (app, id) => app.s({ id }).add('m'),
  srem: (app, id) => app.s({ id }).remove('m'),
  zadd: (app, id) => app.z({ id }).add({ member: 'm', score: 1 }),
  zincr: (app, id) => app.z({ id }).incr('m', 1),
  zrem: (app, id) => app.z({ id }).remove('m'),
  xadd: (app, id) => app.x({ id }).add({ f: 'v' }),
  pfadd: (app, id) => app.p({ id }).add('e'),
  setBit: (app, id) => app.b({ id }).setBit(1, 1),
  incrBy: (app, id) => app.c({ id }).incrBy(2),
}

describe('a failed typed write leaves the key untouched', () => {
  for (const [name, op] of Object.entries(WRITES)) {
    it(`${name} on a key of the wrong type: value and (absent) TTL unchanged`, async () => {
      const app = bindKeyspace(db, ks)
      const key = (
        {
          hset: app.h,
          hdel: app.h,
          hincrBy: app.h,
          push: app.l,
          unshift: app.l,
          pop: app.l,
          shift: app.l,
          sadd: app.s,
          srem: app.s,
          zadd: app.z,
          zincr: app.z,
          zrem: app.z,
          xadd: app.x,
          pfadd: app.p,
          setBit: app.b,
          incrBy: app.c,
        } as Record<string, (p: { id: string }) => { key: string }>
      )[name]!({ id: name }).key
      // A legacy key of another type, without a TTL (a set for the counter and bitmap, which are strings).
      const legacyIsSet = name === 'setBit' || name === 'incrBy'
      await db.unsafe({ reason: 'a legacy key written before the keyspace existed' }, (raw) =>
        legacyIsSet ? raw.call(['SADD', key, 'legacy']) : raw.call(['SET', key, 'legacy']),
      )
      await expect(op(app, name)).rejects.toMatchObject({
        code: 'COMMAND_ERROR',
        details: { redisCode: 'WRONGTYPE' },
      })
      expect(await db.call(['PTTL', key])).toBe(-1)
      if (legacyIsSet) expect(await db.call(['SISMEMBER', key, 'legacy'])).toBe(1)
      else expect(await db.call(['GET', key])).toBe('legacy')
    })
  }

  it('a write that fails for another reason (HINCRBY on a non-integer field) keeps the TTL as it was', async () => {
    const app = bindKeyspace(db, ks)
    const h = app.h({ id: 'text' })
    await db.unsafe({ reason: 'legacy data' }, (raw) => raw.call(['HSET', h.key, 'a', 'not a number']))
    await expect(h.hincrBy('a', 1)).rejects.toMatchObject({ code: 'COMMAND_ERROR' })
    expect(await db.call(['PTTL', h.key])).toBe(-1)
  })

  it('HLL merge from a wrong-type source leaves the destination as it was', async () => {
    const app = bindKeyspace(db, ks)
    const dest = app.p({ id: 'dest' })
    const src = `${dest.key}:legacy` // the same hash tag: one slot
    await db.unsafe({ reason: 'legacy data' }, async (raw) => {
      await raw.call(['PFADD', dest.key, 'one'])
      await raw.call(['SET', src, 'x'])
    })
    await expect(dest.merge(src)).rejects.toMatchObject({ code: 'COMMAND_ERROR' })
    expect(await db.call(['PTTL', dest.key])).toBe(-1)
  })

  it('a successful write still sets the TTL, in one script call (EVALSHA + the write + PEXPIRE)', async () => {
    const app = bindKeyspace(db, ks)
    const h = app.h({ id: 'ok' })
    await h.hset({ a: 1 }) // warm: the script is now cached on the server
    const before = await commandCalls(db)
    expect(await h.hset({ b: 2, c: 3 })).toBe(2)
    const after = await commandCalls(db)
    expect(callsBetween(before, after)).toEqual({ EVALSHA: 1, HSET: 1, PEXPIRE: 1 })
    expect(await db.call(['PTTL', h.key])).toBeGreaterThan(3_500_000)
  })

  it('large writes (more values than Lua can unpack at once) still land whole', async () => {
    const app = bindKeyspace(db, ks)
    const h = app.h({ id: 'big' })
    const fields: Record<string, number> = {}
    for (let i = 0; i < 20_000; i++) fields[`f${i}`] = i
    expect(await h.hset(fields)).toBe(20_000)
    expect(await h.len()).toBe(20_000)
    const s = app.s({ id: 'big' })
    const members = Array.from({ length: 20_001 }, (_, i) => `m${i}`)
    expect(await s.add(...members)).toBe(20_001)
    expect(await s.remove(...members.slice(0, 9_000))).toBe(9_000)
    const l = app.l({ id: 'big' })
    expect(await l.push(...Array.from({ length: 9_000 }, (_, i) => String(i)))).toBe(10)
    expect(await l.range(0, 9)).toEqual([
      '8990',
      '8991',
      '8992',
      '8993',
      '8994',
      '8995',
      '8996',
      '8997',
      '8998',
      '8999',
    ])
    expect(await db.call(['PTTL', l.key])).toBeGreaterThan(0)
  })
})
