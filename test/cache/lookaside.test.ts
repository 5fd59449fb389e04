import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache } from '../../src/cache/index.js'
import { connect } from '../../src/connect.js'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { countingLoader, type Product, product, shop, sleep } from './fixtures/shop.js'
import { codeOf, gate, measured } from './helpers.js'

/*
 * Look-aside caching on a real standalone server: single flight, round trips pinned by
 * INFO commandstats, negative caching, tags, write-through, the stale-set race, bad input.
 */

const { server, db } = await startRedisForFile({ keyspaces: [shop] })

let products: Awaited<ReturnType<typeof createProducts>>
const createProducts = () => createCache(db, shop.product, { negativeTtl: '2s' })

beforeAll(async () => {
  products = await createProducts()
})
afterAll(async () => {
  await products?.close()
})

describe('getOrSet', () => {
  it('1000 concurrent callers of one cold key share one 50 ms load', async () => {
    const load = countingLoader(50, () => product('stampede'))
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => products.getOrSet({ id: 'stampede' }, load.loader)),
    )
    expect(load.calls).toBe(1)
    expect(results.every((r) => r?.id === 'stampede')).toBe(true)
  })

  it('pins round trips: hit = 1 (GET), miss = 3 for the winner (GET, lease, commit)', async () => {
    const miss = await measured(db, () => products.getOrSet({ id: 'rt' }, () => product('rt')))
    expect(miss.result?.id).toBe('rt')
    expect(miss.roundTrips).toBe(3)
    // GET, then the lease script (GET value, GET generation, SET NX PX), then the commit
    // (GET lease, DEL lease, GET generation, SET PX, PUBLISH).
    expect(miss.commands).toEqual({ GET: 5, EVALSHA: 2, SET: 2, DEL: 1, PUBLISH: 1 })

    const hit = await measured(db, () => products.getOrSet({ id: 'rt' }, () => product('other')))
    expect(hit.result?.id).toBe('rt')
    expect(hit.roundTrips).toBe(1)
    expect(hit.commands).toEqual({ GET: 1 })

    const get = await measured(db, () => products.get({ id: 'rt' }))
    expect(get).toMatchObject({ roundTrips: 1, commands: { GET: 1 } })
  })

  it('pins round trips of the other operations', async () => {
    await products.set({ id: 'ops' }, product('ops'))
    expect(await measured(db, () => products.set({ id: 'ops' }, product('ops')))).toMatchObject({
      roundTrips: 1,
      // GETRANGE: the script reads the old header, whose tags (none here) the write keeps.
      commands: { EVALSHA: 1, GETRANGE: 1, SET: 1, INCR: 1, PEXPIRE: 1, PUBLISH: 1 },
    })
    expect(await measured(db, () => products.delete({ id: 'ops' }))).toMatchObject({
      result: true,
      roundTrips: 1,
      commands: { EVALSHA: 1, UNLINK: 1, DEL: 1, INCR: 1, PEXPIRE: 1, PUBLISH: 1 },
    })
    const ids = Array.from({ length: 20 }, (_, i) => ({ id: `many-${i}` }))
    const setMany = await measured(db, () =>
      products.setMany(ids.map((params) => ({ params, value: product(params.id) }))),
    )
    expect(setMany.roundTrips).toBe(1)
    expect(setMany.commands.EVALSHA).toBe(20)
    const getMany = await measured(db, () => products.getMany([...ids, { id: 'absent' }]))
    expect(getMany.roundTrips).toBe(1)
    expect(getMany.commands).toEqual({ GET: 21 })
    expect(getMany.result.map((p) => p?.id)).toEqual([...ids.map((p) => p.id), undefined])

    // Tagged hit: value and tag versions in one round trip (a pipeline of GET + HMGET).
    await products.getOrSet({ id: 'tagged-rt' }, () => product('tagged-rt'), { tags: ['category:1'] })
    const taggedHit = await measured(db, () =>
      products.getOrSet({ id: 'tagged-rt' }, () => product('x'), { tags: ['category:1'] }),
    )
    expect(taggedHit).toMatchObject({ roundTrips: 1, commands: { GET: 1, HMGET: 1 } })
  })

  it('reports how a value was served (meta), enough for a Cache-Status header', async () => {
    const first = await products.getOrSet({ id: 'meta' }, () => product('meta'), { meta: true })
    expect(first.meta).toMatchObject({
      status: 'miss',
      key: 'shop:product:meta',
      negative: false,
      shared: false,
    })
    const second = await products.getOrSet({ id: 'meta' }, () => product('meta'), { meta: true })
    expect(second.meta.status).toBe('hit')
    expect(second.meta.ttlMs).toBeGreaterThan(8 * 60_000)
    expect(second.meta.ttlMs).toBeLessThanOrEqual(11 * 60_000)
    expect(second.meta.ageMs).toBeGreaterThanOrEqual(0)
    const { cacheStatusHeader } = await import('../../src/cache/index.js')
    expect(cacheStatusHeader(second.meta)).toMatch(/^redis-expert; hit; ttl=\d+$/)
    expect(cacheStatusHeader(first.meta)).toBe('redis-expert; fwd=miss; stored')
  })

  it('jitters the TTL within ttl·(1 ± jitter)', async () => {
    const ttls: number[] = []
    for (let i = 0; i < 30; i++) {
      await products.getOrSet({ id: `jitter-${i}` }, () => product(`${i}`))
      ttls.push(Number(await db.call(['PTTL', `shop:product:jitter-${i}`])))
    }
    expect(Math.min(...ttls)).toBeGreaterThanOrEqual(540_000 - 50)
    expect(Math.max(...ttls)).toBeLessThanOrEqual(660_000)
    expect(new Set(ttls).size).toBeGreaterThan(20)
  })

  it('caches "not found" with its own, shorter TTL', async () => {
    const load = countingLoader(0, () => null)
    expect(await products.getOrSet({ id: 'missing' }, load.loader)).toBeUndefined()
    const again = await products.getOrSet({ id: 'missing' }, load.loader, { meta: true })
    expect(again.value).toBeUndefined()
    expect(again.meta).toMatchObject({ status: 'hit', negative: true })
    expect(load.calls).toBe(1)
    const pttl = Number(await db.call(['PTTL', 'shop:product:missing']))
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(2000)
    expect(products.stats().negativeHits).toBeGreaterThanOrEqual(1)
  })

  it('never caches a loader error, and the next caller loads again', async () => {
    let calls = 0
    const failing = async () => {
      calls++
      throw new Error('catalogue down')
    }
    await expect(products.getOrSet({ id: 'err' }, failing)).rejects.toThrow('catalogue down')
    expect(await db.call(['EXISTS', 'shop:product:err'])).toBe(0)
    expect(await db.call(['EXISTS', products.keys.lease('shop:product:err')])).toBe(0)
    expect(await products.getOrSet({ id: 'err' }, () => product('err'))).toMatchObject({ id: 'err' })
    expect(calls).toBe(1)
  })

  it('adaptive caching and skip(): the loader decides the TTL, or not to cache', async () => {
    await products.getOrSet({ id: 'adaptive' }, (ctx) => {
      ctx.setTtl('5s')
      return product('adaptive')
    })
    expect(Number(await db.call(['PTTL', 'shop:product:adaptive']))).toBeLessThanOrEqual(5500)
    await products.getOrSet({ id: 'skipped' }, (ctx) => {
      ctx.skip()
      return product('skipped')
    })
    expect(await db.call(['EXISTS', 'shop:product:skipped'])).toBe(0)
  })

  it('reads values written by other tools (no envelope) as plain values', async () => {
    await db.call(['SET', 'shop:product:plain', JSON.stringify(product('plain')), 'PX', 60_000])
    const load = countingLoader(0, () => product('reloaded'))
    expect(await products.getOrSet({ id: 'plain' }, load.loader)).toMatchObject({ id: 'plain' })
    expect(load.calls).toBe(0)
  })
})

describe('stale sets', () => {
  for (const [name, invalidate] of [
    ['delete', () => products.delete({ id: 'race' })],
    [
      'writeThrough',
      () => products.writeThrough({ id: 'race' }, product('race', { name: 'written' }), () => {}),
    ],
    ['set', () => products.set({ id: 'race' }, product('race', { name: 'written' }))],
  ] as const) {
    it(`a load that finishes after a ${name} is returned to its caller but not written`, async () => {
      await products.delete({ id: 'race' })
      const loading = gate<Product>()
      const started = gate()
      const pending = products.getOrSet({ id: 'race' }, () => {
        started.open()
        return loading.promise
      })
      await started.promise
      await invalidate()
      loading.open(product('race', { name: 'loaded before the invalidation' }))
      expect((await pending)?.name).toBe('loaded before the invalidation')
      const stored = await products.get({ id: 'race' })
      if (name === 'delete') expect(stored).toBeUndefined()
      else expect(stored?.name).toBe('written')
      expect(products.stats().staleSetsPrevented).toBeGreaterThan(0)
    })
  }

  it('a load that finishes after its tag was invalidated is never served', async () => {
    const loading = gate<Product>()
    const started = gate()
    const pending = products.getOrSet(
      { id: 'tag-race' },
      () => {
        started.open()
        return loading.promise
      },
      { tags: ['race'] },
    )
    await started.promise
    await products.invalidateTags(['race'])
    loading.open(product('tag-race', { name: 'old' }))
    expect((await pending)?.name).toBe('old')
    expect(await products.get({ id: 'tag-race' }, { tags: ['race'] })).toBeUndefined()
    expect(await products.get({ id: 'tag-race' })).toBeUndefined()
  })
})

describe('tags', () => {
  it('invalidateTags invalidates every tagged entry in O(1) per tag', async () => {
    const cost: Record<string, number>[] = []
    for (const count of [5, 50]) {
      const tag = `category:${count}`
      for (let i = 0; i < count; i++)
        await products.getOrSet({ id: `c${count}-${i}` }, () => product(`${i}`), { tags: [tag, 'all'] })
      await products.getOrSet({ id: `untagged-${count}` }, () => product('u'))
      const { commands } = await measured(db, () => products.invalidateTags([tag]))
      cost.push(commands)
      const load = countingLoader(0, () => product('fresh'))
      for (let i = 0; i < count; i++)
        expect(
          await products.getOrSet({ id: `c${count}-${i}` }, load.loader, { tags: [tag, 'all'] }),
        ).toMatchObject({
          name: 'product fresh',
        })
      expect(load.calls).toBe(count)
      expect(await products.getOrSet({ id: `untagged-${count}` }, load.loader)).toMatchObject({
        name: 'product u',
      })
    }
    expect(cost[0]).toEqual(cost[1])
    expect(cost[0]).toMatchObject({ EVALSHA: 1, HINCRBY: 1, PUBLISH: 1 })
  })

  it('get without tags still honours them (one more round trip)', async () => {
    await products.getOrSet({ id: 'tg' }, () => product('tg'), { tags: ['brand:9'] })
    const read = await measured(db, () => products.get({ id: 'tg' }))
    expect(read.result?.id).toBe('tg')
    expect(read.roundTrips).toBe(2)
    await products.invalidateTags(['brand:9'])
    expect(await products.get({ id: 'tg' })).toBeUndefined()
  })
})

describe('writeThrough', () => {
  it('writes the database first; on failure the cache is untouched', async () => {
    await products.set({ id: 'wt' }, product('wt', { priceCents: 100 }))
    const before = await db.call(['GET', 'shop:product:wt'])
    const failure = new Error('db constraint violated')
    await expect(
      products.writeThrough({ id: 'wt' }, product('wt', { priceCents: 200 }), async () => {
        throw failure
      }),
    ).rejects.toBe(failure)
    expect(await db.call(['GET', 'shop:product:wt'])).toBe(before)

    const written: Product[] = []
    const outcome = await products.writeThrough(
      { id: 'wt' },
      product('wt', { priceCents: 300 }),
      async (p) => {
        written.push(p)
        return 'row-updated'
      },
    )
    expect(outcome).toBe('row-updated')
    expect(written).toHaveLength(1)
    expect((await products.get({ id: 'wt' }))?.priceCents).toBe(300)
  })
})

describe('bad input', () => {
  it('refuses entries that are not a one-value cache', async () => {
    const ks = defineKeyspace('bad', {
      hash: { pattern: 'h:<id>', type: t.hash(), role: 'cache', ttl: '1m' },
      sliding: { pattern: 's:<id>', type: t.json(), role: 'cache', ttl: '1m', sliding: true },
    })
    expect(await codeOf(createCache(db, shop.user))).toBe('CACHE_ENTRY_INVALID')
    expect(await codeOf(createCache(db, ks.hash))).toBe('CACHE_ENTRY_INVALID')
    expect(await codeOf(createCache(db, ks.sliding))).toBe('CACHE_ENTRY_INVALID')
    expect(await codeOf(createCache(db, {} as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(createCache({} as never, shop.product))).toBe('INVALID_ARGUMENT')
  })

  it('refuses bad options', async () => {
    for (const options of [
      { ttl: '10 minutes' },
      { ttl: 0 },
      { grace: -1 },
      { jitter: 0.9 },
      { lease: { waitMs: 0 } },
      { lease: { onTimeout: 'wait' } },
      { l1: { maxItems: 0 } },
      { earlyRefresh: { ratio: 1 } },
      { timeoutMs: 1.5 },
      { typo: true },
    ])
      expect(await codeOf(createCache(db, shop.product, options as never)), JSON.stringify(options)).toBe(
        'INVALID_ARGUMENT',
      )
  })

  it('refuses bad calls before touching anything', async () => {
    const writes: unknown[] = []
    expect(await codeOf(products.getOrSet({ id: { x: 1 } } as never, () => product('x')))).toBe(
      'KEY_PARAM_INVALID',
    )
    expect(await codeOf(products.getOrSet({} as never, () => product('x')))).toBe('KEY_PARAM_INVALID')
    expect(await codeOf(products.getOrSet({ id: 'a', extra: 1 } as never, () => product('x')))).toBe(
      'KEY_PARAM_INVALID',
    )
    expect(await codeOf(products.getOrSet({ id: 'a' }, 'loader' as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(products.getOrSet({ id: 'a' }, () => product('a'), { tags: 'x' as never }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(products.getOrSet({ id: 'a' }, () => product('a'), { tags: [''] }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(products.getOrSet({ id: 'a' }, () => product('a'), { ttl: 'soon' as never }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(products.set({ id: 'a' }, undefined as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(products.invalidateTags([]))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(products.getMany('a' as never))).toBe('INVALID_ARGUMENT')
    expect(await products.getMany([])).toEqual([])
    await products.setMany([])
    expect(
      await codeOf(
        products.writeThrough({ id: 'big' }, { id: 'big', n: 10n } as never, (v) => {
          writes.push(v)
        }),
      ),
    ).toBe('ENCODE_FAILED')
    expect(writes).toHaveLength(0)
  })

  it('a value that does not decode: get raises DECODE_FAILED naming the key; getOrSet reloads over it', async () => {
    await db.call(['SET', 'shop:product:corrupt', '~1|99999999999999|0|0||\n{not json', 'PX', 60_000])
    const error = await products.get({ id: 'corrupt' }).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'DECODE_FAILED', details: { key: 'shop:product:corrupt' } })
    expect(await products.getOrSet({ id: 'corrupt' }, () => product('corrupt'))).toMatchObject({
      id: 'corrupt',
    })
    expect(await products.get({ id: 'corrupt' })).toMatchObject({ id: 'corrupt' })
  })

  it('fails with CACHE_CLOSED after close()', async () => {
    const other = await createCache(db, shop.page)
    await other.close()
    expect(await codeOf(other.get({ slug: 'x' }))).toBe('CACHE_CLOSED')
  })
})

describe('eviction policy', () => {
  it('warns when a cache lives on noeviction, or beside source-of-truth data under allkeys-*', async () => {
    expect(products.stats().warnings.some((w) => w.includes('noeviction'))).toBe(true)
    const durable = defineKeyspace('durable', {
      ledger: {
        pattern: 'ledger:<id>',
        type: t.hash(),
        role: 'state',
        ttl: 'persistent',
        durability: 'source-of-truth',
      },
    })
    await db.call(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'])
    const other = await connect({ url: server.url, keyspaces: [durable, shop] })
    try {
      const pages = await createCache(other, shop.page)
      expect(
        pages.stats().warnings.some((w) => w.includes('allkeys-lru') && w.includes('source-of-truth')),
      ).toBe(true)
      await pages.close()
      const plain = await createCache(db, shop.page)
      expect(plain.stats().warnings).toEqual([])
      await plain.close()
    } finally {
      await other.close()
      await db.call(['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'])
    }
  })
})

describe('declaration', () => {
  it('declares its internal keys in the value slot, in a keyspace of their own', async () => {
    const { keySlot } = await import('../../src/common/slot.js')
    for (const id of ['1', '42', 'a:b', 'ünï']) {
      const key = products.key({ id })
      expect(keySlot(products.keys.lease(key))).toBe(keySlot(key))
      expect(keySlot(products.keys.generation(key))).toBe(keySlot(key))
    }
    expect(products.keys.keyspace.namespace).toBe('shop:product:~product')
    expect(products.keys.keyspace.describe().map((row) => row.pattern)).toEqual([
      'shop:product:~product:lease:{<slot>}:<key>',
      'shop:product:~product:gen:{<slot>}:<key>',
      'shop:product:~product:tags',
    ])
    await sleep(0)
  })
})
