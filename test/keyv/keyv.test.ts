import keyvTestSuite, { keyvIteratorTests } from '@keyv/test-suite'
import { createCache } from 'cache-manager'
import Keyv from 'keyv'
import * as test from 'vitest'
import { describe, expect, it } from 'vitest'
import { defineKeyspace } from '../../src/keyspace/define.js'
import { t } from '../../src/keyspace/types.js'
import { createKeyvStore } from '../../src/keyv/index.js'
import { commandsOf } from '../support/commandstats.js'
import { codeOf } from '../support/errors.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { sleep } from '../support/wait.js'

const { db } = await startRedisForFile()

const pttl = async (key: string) => Number(await db.call(['PTTL', key]))

describe('@keyv/test-suite on a real server', () => {
  const store = () => createKeyvStore(db)
  keyvTestSuite(test, Keyv, store)
  keyvIteratorTests(test, Keyv, store)
})

describe('cache-manager v7 on it', () => {
  it('createCache({ stores: [new Keyv({ store })] }): get, set with TTL, mget/mset, wrap, del, clear', async () => {
    const cache = createCache({ stores: [new Keyv({ store: createKeyvStore(db), namespace: 'cm' })] })
    await cache.set('user:1', { name: 'Ann' }, 60_000)
    expect(await cache.get('user:1')).toEqual({ name: 'Ann' })
    expect(await pttl('keyv:cm:user%3A1')).toBeGreaterThan(59_000)
    const remaining = await cache.ttl('user:1')
    expect(remaining).toBeGreaterThan(Date.now() + 59_000)
    await cache.mset([
      { key: 'a', value: 1 },
      { key: 'b', value: 2, ttl: 5000 },
    ])
    expect(await cache.mget(['a', 'b', 'missing'])).toEqual([1, 2, undefined])
    let loads = 0
    const load = async () => {
      loads++
      return 'loaded'
    }
    expect(await cache.wrap('w', load, 10_000)).toBe('loaded')
    expect(await cache.wrap('w', load, 10_000)).toBe('loaded')
    expect(loads).toBe(1)
    await cache.del('a')
    expect(await cache.get('a')).toBeUndefined()
    await cache.set('short', 'x', 100)
    await sleep(150)
    expect(await cache.get('short')).toBeUndefined()
    await cache.clear()
    expect(await cache.get('user:1')).toBeUndefined()
  })
})

describe('the adapter', () => {
  it('keys are declared: <name>:<namespace>:<key>, escaped; every write has a TTL', async () => {
    const keyv = new Keyv({ store: createKeyvStore(db), namespace: 'users' })
    await keyv.set('a:b {c}*', 'v')
    const key = 'keyv:users:a%3Ab%20%7Bc%7D%2A'
    expect(await db.call(['EXISTS', key])).toBe(1)
    // No Keyv TTL: the declared one (1 day by default).
    expect(await pttl(key)).toBeGreaterThan(86_399_000)
    await keyv.set('t', 'v', 2000)
    expect(await pttl('keyv:users:t')).toBeLessThanOrEqual(2000)
    // The guard knows the keys: a raw write without a TTL to one is refused (hard stop 3).
    expect(await codeOf(db.call(['SET', 'keyv:users:raw', 'x']))).toBe('GUARD_TTL_REQUIRED')
    expect(await codeOf(db.call(['SET', 'keyv:users:raw', 'x', 'PX', 1000]))).toBeUndefined()
  })

  it('an entry of your keyspace: its TTL for values set without one, its jitter on every write', async () => {
    const app = defineKeyspace('app', {
      cache: { pattern: 'kv:<ns>:<key>', type: t.string(), role: 'cache', ttl: '10m', jitter: 0.2 },
    })
    db.declare(app)
    const keyv = new Keyv({ store: createKeyvStore(db, { entry: app.cache }), namespace: 'p' })
    const ttls: number[] = []
    for (let i = 0; i < 40; i++) {
      await keyv.set(`d${i}`, i)
      ttls.push(await pttl(`app:kv:p:d${i}`))
    }
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(480_000 - 50)
    expect(Math.max(...ttls)).toBeLessThanOrEqual(720_000)
    expect(new Set(ttls.map((ms) => Math.round(ms / 10_000))).size).toBeGreaterThan(3)
    // Keyv's own TTL: the value records its expiry, so jitter only shortens it.
    const given: number[] = []
    for (let i = 0; i < 40; i++) {
      await keyv.set(`g${i}`, i, 100_000)
      given.push(await pttl(`app:kv:p:g${i}`))
    }
    expect(Math.max(...given)).toBeLessThanOrEqual(100_000)
    expect(Math.min(...given)).toBeGreaterThanOrEqual(80_000 - 50)
    expect(await keyv.get('g3')).toBe(3)
  })

  it("an entry declared persistent keeps Keyv's 'no TTL means forever'", async () => {
    const ref = defineKeyspace('refkv', {
      data: { pattern: '<ns>:<key>', type: t.string(), role: 'reference', ttl: 'persistent' },
    })
    db.declare(ref)
    const keyv = new Keyv({ store: createKeyvStore(db, { entry: ref.data }), namespace: 'flags' })
    await keyv.set('beta', true)
    expect(await pttl('refkv:flags:beta')).toBe(-1)
    await keyv.set('trial', true, 5000)
    expect(await pttl('refkv:flags:trial')).toBeGreaterThan(4000)
    expect(await keyv.get('beta')).toBe(true)
  })

  it('clear() is namespace-scoped and bounded: SCAN + UNLINK pages, never KEYS or FLUSHDB', async () => {
    const a = new Keyv({ store: createKeyvStore(db, { scanCount: 50 }), namespace: 'ca' })
    const b = new Keyv({ store: createKeyvStore(db, { scanCount: 50 }), namespace: 'cb' })
    const ab = new Keyv({ store: createKeyvStore(db, { scanCount: 50 }), namespace: 'ca:b' })
    await db.call(['SET', 'unrelated:ca:x', '1', 'PX', 60_000])
    await Promise.all(Array.from({ length: 300 }, (_, i) => a.set(`k${i}`, i)))
    await b.set('k1', 'kept')
    await ab.set('k1', 'kept too')
    const commands = await commandsOf(db, () => a.clear())
    expect(commands.KEYS).toBeUndefined()
    expect(commands.FLUSHDB).toBeUndefined()
    expect(commands.FLUSHALL).toBeUndefined()
    expect(commands.SCAN).toBeGreaterThan(1)
    expect(commands.UNLINK).toBeGreaterThan(1)
    expect(await a.get('k1')).toBeUndefined()
    expect(await b.get('k1')).toBe('kept')
    expect(await ab.get('k1')).toBe('kept too')
    expect(await db.call(['GET', 'unrelated:ca:x'])).toBe('1')
  })

  it('getMany / setMany / deleteMany / hasMany: one round trip, multi-key commands within a slot', async () => {
    const store = createKeyvStore(db)
    const keyv = new Keyv({ store, namespace: 'many' })
    const keys = Array.from({ length: 50 }, (_, i) => `m${i}`)
    await keyv.setMany(keys.map((key, i) => ({ key, value: i, ttl: 60_000 })))
    const got = await keyv.getMany(keys)
    expect(got).toEqual(keys.map((_, i) => i))
    expect(await keyv.hasMany(['m1', 'nope'])).toEqual([true, false])
    expect(await keyv.deleteMany(keys)).toBe(true)
    expect(await keyv.deleteMany(keys)).toBe(false)
    // One command per slot group (here mostly one key each): never a CROSSSLOT.
    const c = await commandsOf(db, () => store.getMany(['many:x', 'many:y']))
    expect(c.MGET).toBe(2)
  })

  it('bad input and options are refused with INVALID_ARGUMENT', async () => {
    expect(await codeOf(() => createKeyvStore(db, { ttl: 0 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createKeyvStore(db, { jitter: 0.9 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createKeyvStore(db, { url: 'redis://x' } as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createKeyvStore(db, { scanCount: 0 }))).toBe('INVALID_ARGUMENT')
    const ks = defineKeyspace('badkv', {
      one: { pattern: 'x:<key>', type: t.string(), role: 'cache', ttl: '1m' },
      tail: { pattern: 'y:<ns>:<key>:z', type: t.string(), role: 'cache', ttl: '1m' },
      hash: { pattern: 'h:<ns>:<key>', type: t.hash(), role: 'cache', ttl: '1m' },
    })
    for (const entry of [ks.one, ks.tail, ks.hash])
      expect(await codeOf(() => createKeyvStore(db, { entry }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createKeyvStore(db, { entry: ks.one, ttl: '1m' }))).toBe('INVALID_ARGUMENT')
    const store = createKeyvStore(db)
    expect(await codeOf(store.set('k', { not: 'serialized' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(store.set('k', 'v', -5))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(store.get({} as never))).toBe('KEY_PARAM_INVALID')
    // Keyv reports a store's failure as an 'error' event and a false/undefined result.
    const keyv = new Keyv({ store, serialize: undefined as never })
    const errors: unknown[] = []
    keyv.on('error', (e) => errors.push(e))
    expect(await keyv.set('k', 'v')).toBe(false)
    expect(errors).toHaveLength(1)
  })
})
