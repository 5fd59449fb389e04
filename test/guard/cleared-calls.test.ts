import { afterAll, describe, expect, it } from 'vitest'
import { defineScript } from '../../src/atomic/script.js'
import { verdictArgv } from '../../src/guard/scripts.js'
import { connect, defineKeyspace, type RedisExpertClient, t } from '../../src/index.js'
import { startRedis } from '../../src/testing/index.js'

/**
 * The gate clears a declared script's call again without judging it when it has cleared the
 * very same call before (guard/cleared-calls.ts). What that memo must never do: clear a call it
 * would refuse — the same script with other keys, or the same keys once durability is gone.
 */

const twoKeys = defineScript({
  name: 'cleared-two-keys',
  file: new URL('./fixtures/declared/two-keys.lua', import.meta.url),
  keys: ['counter', 'other'],
  args: ['by'],
})
const range = defineScript({
  name: 'cleared-range',
  file: new URL('./fixtures/declared/range.lua', import.meta.url),
  keys: ['set'],
  args: ['stop'],
})

const ledger = defineKeyspace('cleared', {
  balance: {
    pattern: '{ledger}:balance:<account>',
    type: t.counter(),
    role: 'state',
    durability: 'source-of-truth',
    ttl: 'persistent',
  },
  audit: { pattern: '{ledger}:audit:<account>', type: t.string(), role: 'cache', ttl: '1m' },
})

const server = await startRedis({ config: { appendonly: 'yes', appendfsync: 'everysec' } })
const db: RedisExpertClient = await connect({ url: server.url, keyspaces: [ledger] })
const admin: RedisExpertClient = await connect({ url: server.url, guard: 'off' })
afterAll(async () => {
  await Promise.all([db.close(), admin.close()])
  await server.stop()
})

describe('a script call the guard cleared before', () => {
  it('is judged on its keys, and on the arguments its calls name (the premise of the tests below)', () => {
    expect(verdictArgv(twoKeys.command({ counter: '{t}:a', other: '{t}:b' }, { by: 1 }))).toEqual([])
    expect(verdictArgv(range.command({ set: 'z' }, { stop: 9 }))).toEqual([1])
    expect(verdictArgv(['GET', 'z'])).toBeNull()
  })

  it('is cleared again with the same keys, and still refused with keys in two slots', async () => {
    // 'a' and 'b' hash to slots 15495 and 3300.
    const sameSlot = { counter: '{t}:a', other: '{t}:b' }
    for (let i = 1; i <= 3; i++) expect(await twoKeys.run(db, sameSlot, { by: 1 })).toEqual([i, 0])
    await expect(twoKeys.run(db, { counter: 'a', other: 'b' }, { by: 1 })).rejects.toMatchObject({
      code: 'GUARD_CROSSSLOT',
    })
    expect(await admin.call(['EXISTS', 'a'])).toBe(0)
    expect(await twoKeys.run(db, sameSlot, { by: 1 })).toEqual([4, 0])
  })

  it('is judged anew when an argument its calls name changes: ZRANGE 0 -1 is still refused', async () => {
    await admin.call(['ZADD', 'z', 1, 'a', 2, 'b'])
    for (let i = 0; i < 3; i++) expect(await range.run(db, { set: 'z' }, { stop: 0 })).toEqual(['a'])
    await expect(range.run(db, { set: 'z' }, { stop: -1 })).rejects.toMatchObject({ code: 'GUARD_UNBOUNDED' })
    expect(await range.run(db, { set: 'z' }, { stop: 1 })).toEqual(['a', 'b'])
  })

  it('is judged anew once durability is gone: a source-of-truth write is refused', async () => {
    const keys = {
      counter: ledger.balance.key({ account: 'a1' }),
      other: ledger.audit.key({ account: 'a1' }),
    }
    expect(await db.checkDurability()).toBe(true)
    expect(await twoKeys.run(db, keys, { by: 10 })).toEqual([10, 0])
    expect(await twoKeys.run(db, keys, { by: 10 })).toEqual([20, 0])
    await admin.call(['CONFIG', 'SET', 'appendonly', 'no'])
    expect(await db.checkDurability()).toBe(false)
    await expect(twoKeys.run(db, keys, { by: 10 })).rejects.toMatchObject({ code: 'GUARD_DURABILITY' })
    expect(await admin.call(['GET', keys.counter])).toBe('20')
    // And cleared again once it is back.
    await admin.call(['CONFIG', 'SET', 'appendonly', 'yes'])
    expect(await db.checkDurability()).toBe(true)
    expect(await twoKeys.run(db, keys, { by: 10 })).toEqual([30, 0])
  })
})
