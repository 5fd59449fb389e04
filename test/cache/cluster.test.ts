import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Cache, type CacheStatus, createCache } from '../../src/cache/index.js'
import { keySlot } from '../../src/common/index.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { type RedisCluster, startCluster } from '../../src/testing/index.js'
import { callsBetween, commandCalls } from '../support/commandstats.js'
import { CacheProcess } from './fixtures/processes.js'
import { countingLoader, type Product, product, type ShopProduct, shop, sleep } from './fixtures/shop.js'
import { codeOf, gate } from './helpers.js'

/*
 * The same guarantees on a real 3-master Cluster: every script's keys in one slot (the
 * value's), tag versions in a slot of their own, invalidations heard on any node.
 */

let cluster: RedisCluster
let db: RedisExpertClient
let other: RedisExpertClient
let products: Cache<ShopProduct>
let children: CacheProcess[] = []

beforeAll(async () => {
  cluster = await startCluster({ masters: 3, replicasPerMaster: 0 })
  db = await connect({ cluster: { rootNodes: cluster.rootNodes } })
  other = await connect({ cluster: { rootNodes: cluster.rootNodes } })
  products = await createCache(db, shop.product, { negativeTtl: '2s', earlyRefresh: false })
  children = Array.from({ length: 4 }, () => new CacheProcess({ cluster: cluster.rootNodes, l1: true }))
  await Promise.all(children.map((c) => c.ready))
}, 90_000)
afterAll(async () => {
  await Promise.all(children.map((c) => c.exit()))
  await products?.close()
  await db?.close()
  await other?.close()
  await cluster?.stop()
})

/** Commands run on all masters between two snapshots (INFO commandstats, summed). */
async function clusterCommands<T>(fn: () => Promise<T>): Promise<Record<string, number>> {
  const snapshot = async () => {
    const total = new Map<string, number>()
    for (const node of await db.masters())
      for (const [name, n] of await commandCalls(node)) total.set(name, (total.get(name) ?? 0) + n)
    return total
  }
  const before = await snapshot()
  await fn()
  const { CLUSTER: _gossip, ...delta } = callsBetween(before, await snapshot())
  return delta
}

describe('on a 3-master Cluster', () => {
  it('puts lease and generation keys in the value slot (the server agrees)', async () => {
    for (const id of ['1', '42', 'x:y', 'ü']) {
      const key = products.key({ id })
      const slot = Number(await db.call(['CLUSTER', 'KEYSLOT', key]))
      expect(Number(await db.call(['CLUSTER', 'KEYSLOT', products.keys.lease(key)]))).toBe(slot)
      expect(keySlot(products.keys.generation(key))).toBe(slot)
    }
  })

  it('1000 concurrent callers: one load; hit = GET, miss = GET + 2 scripts', async () => {
    const load = countingLoader(50, () => product('c-stampede'))
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => products.getOrSet({ id: 'c-stampede' }, load.loader)),
    )
    expect(load.calls).toBe(1)
    expect(results.every((r) => r?.id === 'c-stampede')).toBe(true)
    expect(await clusterCommands(() => products.getOrSet({ id: 'c-stampede' }, load.loader))).toEqual({
      GET: 1,
    })
    expect(await clusterCommands(() => products.getOrSet({ id: 'c-rt' }, () => product('c-rt')))).toEqual({
      GET: 5,
      EVALSHA: 2,
      SET: 2,
      DEL: 1,
      PUBLISH: 1,
    })
  })

  it('exactly one load across 4 processes started together', async () => {
    const results = await Promise.all(
      children.map((c) =>
        c.request<{ loads: number; values: string[] }>({
          op: 'stampede',
          id: 'c-cold',
          callers: 1000,
          loadMs: 50,
        }),
      ),
    )
    expect(results.reduce((sum, r) => sum + r.loads, 0)).toBe(1)
    expect(new Set(results.flatMap((r) => r.values)).size).toBe(1)
  })

  it('stops stale sets (delete, writeThrough, tags)', async () => {
    for (const invalidate of [
      () => products.delete({ id: 'c-race' }),
      () => products.writeThrough({ id: 'c-race' }, product('c-race', { name: 'written' }), () => {}),
      () => products.invalidateTags(['c-race']),
    ]) {
      await products.delete({ id: 'c-race' })
      const loading = gate<Product>()
      const started = gate()
      const pending = products.getOrSet(
        { id: 'c-race' },
        () => {
          started.open()
          return loading.promise
        },
        { tags: ['c-race'] },
      )
      await started.promise
      await invalidate()
      loading.open(product('c-race', { name: 'stale' }))
      expect((await pending)?.name).toBe('stale')
      expect((await products.get({ id: 'c-race' }, { tags: ['c-race'] }))?.name).not.toBe('stale')
    }
  })

  it('grace + stale-if-error, soft timeout, negative caching', async () => {
    const cache = await createCache(db, shop.product, {
      ttl: 100,
      jitter: 0,
      grace: '10s',
      softTimeoutMs: 30,
      earlyRefresh: false,
    })
    await cache.getOrSet({ id: 'c-grace' }, () => product('c-grace', { name: 'v1' }))
    await sleep(150)
    const failed = await cache.getOrSet(
      { id: 'c-grace' },
      () => {
        throw new Error('down')
      },
      { meta: true },
    )
    expect(failed).toMatchObject({ value: { name: 'v1' }, meta: { status: 'stale' } })
    const started = Date.now()
    const slow = await cache.getOrSet(
      { id: 'c-grace' },
      async () => {
        await sleep(200)
        return product('c-grace', { name: 'v2' })
      },
      { meta: true },
    )
    expect(Date.now() - started).toBeLessThan(150)
    expect(slow.meta.status).toBe('stale')
    await cache.close()

    const missing = countingLoader(0, () => undefined)
    expect(await products.getOrSet({ id: 'c-missing' }, missing.loader)).toBeUndefined()
    expect(await products.getOrSet({ id: 'c-missing' }, missing.loader)).toBeUndefined()
    expect(missing.calls).toBe(1)
  })

  it('early refresh keeps a hot key from ever missing', async () => {
    const cache = await createCache(db, shop.product, { ttl: 250, jitter: 0.1 })
    const load = countingLoader(30, (n) => product('c-hot', { name: `v${n}` }))
    await cache.getOrSet({ id: 'c-hot' }, load.loader)
    const statuses: CacheStatus[] = []
    const until = Date.now() + 1000
    while (Date.now() < until) {
      statuses.push((await cache.getOrSet({ id: 'c-hot' }, load.loader, { meta: true })).meta.status)
      await sleep(3)
    }
    expect(statuses.filter((s) => s !== 'hit')).toEqual([])
    expect(load.calls).toBeGreaterThanOrEqual(3)
    await cache.close()
  })

  it('tags: versions in a slot of their own, read with the value; invalidation is O(1)', async () => {
    for (let i = 0; i < 20; i++)
      await products.getOrSet({ id: `c-tag-${i}` }, () => product(`${i}`), { tags: ['category:9'] })
    expect(
      await clusterCommands(() =>
        products.getOrSet({ id: 'c-tag-3' }, () => product('x'), { tags: ['category:9'] }),
      ),
    ).toEqual({ GET: 1, HMGET: 1 })
    await products.invalidateTags(['category:9'])
    const load = countingLoader(0, () => product('again'))
    for (let i = 0; i < 20; i++)
      await products.getOrSet({ id: `c-tag-${i}` }, load.loader, { tags: ['category:9'] })
    expect(load.calls).toBe(20)
  })

  it('set / setMany / writeThrough without tags keep the entry in its tag groups', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `c-keep-${i}`)
    for (const id of ids) await products.getOrSet({ id }, () => product(id), { tags: ['category:11'] })
    await products.set({ id: ids[0]! }, product(ids[0]!, { name: 'v2' }))
    await products.writeThrough({ id: ids[1]! }, product(ids[1]!, { name: 'v2' }), () => 'ok')
    await products.setMany(ids.slice(2).map((id) => ({ params: { id }, value: product(id, { name: 'v2' }) })))
    expect((await products.getMany(ids.map((id) => ({ id })))).every((p) => p?.name === 'v2')).toBe(true)
    await products.invalidateTags(['category:11'])
    expect(await products.getMany(ids.map((id) => ({ id })))).toEqual(ids.map(() => undefined))
  })

  it('getMany / setMany across slots and masters', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => ({ id: `c-many-${i}` }))
    await products.setMany(ids.map((params) => ({ params, value: product(params.id) })))
    const got = await products.getMany([...ids, { id: 'c-nope' }])
    expect(got.map((p) => p?.id)).toEqual([...ids.map((p) => p.id), undefined])
  })

  it('write-through: a failing writer leaves the cache untouched', async () => {
    await products.set({ id: 'c-wt' }, product('c-wt', { priceCents: 1 }))
    await expect(
      products.writeThrough({ id: 'c-wt' }, product('c-wt', { priceCents: 2 }), () => {
        throw new Error('db down')
      }),
    ).rejects.toThrow('db down')
    expect((await products.get({ id: 'c-wt' }))?.priceCents).toBe(1)
    await products.writeThrough({ id: 'c-wt' }, product('c-wt', { priceCents: 3 }), () => {})
    expect((await products.get({ id: 'c-wt' }))?.priceCents).toBe(3)
  })

  it('keeps L1 coherent across clients and processes', async () => {
    const a = await createCache(db, shop.product, { l1: { maxItems: 100 }, earlyRefresh: false })
    const b = await createCache(other, shop.product, { l1: { maxItems: 100 }, earlyRefresh: false })
    const reader = children[0]!
    for (const id of ['c-l1-a', 'c-l1-b', 'c-l1-c']) {
      await a.getOrSet({ id }, () => product(id, { name: 'v1' }))
      // Let a's own notification reach the reader first: an invalidation that lands while a
      // read is in flight makes L1 refuse to keep that read (the conservative side of the race).
      await sleep(20)
      await reader.request({ op: 'read', id })
      expect(await reader.request({ op: 'read', id })).toMatchObject({ status: 'l1' })
      expect((await a.getOrSet({ id }, () => product(id), { meta: true })).meta.status).toBe('l1')
      await b.set({ id }, product(id, { name: 'v2' }))
      const returned = Date.now()
      await reader.event((e) => e.key === `shop:product:${id}`)
      const event = await new Promise<number>((resolve) => {
        const check = () => (a.stats().l1Size === 0 ? resolve(Date.now() - returned) : setTimeout(check, 1))
        check()
      })
      expect(event).toBeLessThan(50)
      expect(await a.getOrSet({ id }, () => product(id))).toMatchObject({ name: 'v2' })
      expect(await reader.request({ op: 'read', id })).toMatchObject({ value: { name: 'v2' } })
      await a.delete({ id })
    }
    await a.close()
    await b.close()
  })

  it('refuses bad input the same way', async () => {
    expect(await codeOf(products.getOrSet({ id: '' as never, x: 1 } as never, () => product('x')))).toBe(
      'KEY_PARAM_INVALID',
    )
    expect(await codeOf(createCache(db, shop.user))).toBe('CACHE_ENTRY_INVALID')
  })
})
