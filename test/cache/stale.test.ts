import { describe, expect, it } from 'vitest'
import { type CacheStatus, createCache } from '../../src/cache/index.js'
import { connectAlsoForFile, startRedisForFile } from '../support/redis-fixture.js'
import { countingLoader, type Product, product, shop, sleep } from './fixtures/shop.js'
import { codeOf, eventually, gate } from './helpers.js'

/*
 * Time: grace and stale-if-error, soft and hard timeouts, early refresh, and the
 * cross-process lease seen from two clients (each with its own connections and channel
 * subscription, as two processes would have).
 */

const { server, db } = await startRedisForFile()
const other = await connectAlsoForFile(server)

describe('grace and stale-if-error', () => {
  it('serves the expired value when the loader throws, and never caches the error', async () => {
    const cache = await createCache(db, shop.product, {
      ttl: 150,
      jitter: 0,
      grace: '10s',
      earlyRefresh: false,
    })
    const stale: string[] = []
    cache.on('stale', (_key, reason) => stale.push(reason))
    await cache.getOrSet({ id: 'g' }, () => product('g', { name: 'v1' }))
    await sleep(200)
    const served = await cache.getOrSet(
      { id: 'g' },
      () => {
        throw new Error('source down')
      },
      { meta: true },
    )
    expect(served.value?.name).toBe('v1')
    expect(served.meta.status).toBe('stale')
    expect(served.meta.ttlMs).toBeLessThan(0)
    expect(stale).toEqual(['error'])
    // The lease was given back: the next caller loads at once.
    expect(await cache.getOrSet({ id: 'g' }, () => product('g', { name: 'v2' }))).toMatchObject({
      name: 'v2',
    })
    await cache.close()
  })

  it('without grace an error reaches the caller', async () => {
    const cache = await createCache(db, shop.product, { ttl: 100, jitter: 0, earlyRefresh: false })
    await cache.getOrSet({ id: 'ng' }, () => product('ng'))
    await sleep(150)
    await expect(
      cache.getOrSet({ id: 'ng' }, () => {
        throw new Error('source down')
      }),
    ).rejects.toThrow('source down')
    await cache.close()
  })

  it('soft timeout: answers stale after softTimeoutMs and lets the load finish in the background', async () => {
    const cache = await createCache(db, shop.product, {
      ttl: 100,
      jitter: 0,
      grace: '10s',
      softTimeoutMs: 30,
      earlyRefresh: false,
    })
    await cache.getOrSet({ id: 'soft' }, () => product('soft', { name: 'v1' }))
    await sleep(150)
    const started = Date.now()
    const served = await cache.getOrSet(
      { id: 'soft' },
      async () => {
        await sleep(250)
        return product('soft', { name: 'v2' })
      },
      { meta: true },
    )
    expect(Date.now() - started).toBeLessThan(200)
    expect(served.value?.name).toBe('v1')
    expect(served.meta.status).toBe('stale')
    // The load went on in the background and was committed.
    await eventually(async () => String(await db.call(['GET', 'shop:product:soft'])).includes('"v2"'), 1000)
    await cache.close()
  })

  it('hard timeout: stale when there is one, else CACHE_LOAD_TIMEOUT; the signal is aborted', async () => {
    const cache = await createCache(db, shop.product, {
      ttl: 100,
      jitter: 0,
      grace: '10s',
      hardTimeoutMs: 50,
      earlyRefresh: false,
    })
    let aborted = false
    const slow = async (ctx: { signal: AbortSignal }) => {
      ctx.signal.addEventListener('abort', () => {
        aborted = true
      })
      await sleep(200)
      return product('hard', { name: 'late' })
    }
    expect(await codeOf(cache.getOrSet({ id: 'hard' }, slow))).toBe('CACHE_LOAD_TIMEOUT')
    expect(aborted).toBe(true)
    await cache.getOrSet({ id: 'hard2' }, () => product('hard2', { name: 'v1' }))
    await sleep(150)
    const served = await cache.getOrSet({ id: 'hard2' }, slow, { meta: true })
    expect(served).toMatchObject({ value: { name: 'v1' }, meta: { status: 'stale' } })
    expect(cache.stats().loadTimeouts).toBe(2)
    await cache.close()
  })
})

describe('early refresh', () => {
  it('a hot key under steady reads never misses across several TTLs', async () => {
    const cache = await createCache(db, shop.product, { ttl: 250, jitter: 0.1 })
    const load = countingLoader(30, (n) => product('hot', { name: `v${n}` }))
    const statuses: CacheStatus[] = []
    const until = Date.now() + 1500
    await cache.getOrSet({ id: 'hot' }, load.loader)
    while (Date.now() < until) {
      const { meta } = await cache.getOrSet({ id: 'hot' }, load.loader, { meta: true })
      statuses.push(meta.status)
      await sleep(3)
    }
    expect(statuses.length).toBeGreaterThan(100)
    expect(statuses.filter((s) => s !== 'hit')).toEqual([])
    // About one reload per TTL, not one per read.
    expect(load.calls).toBeGreaterThanOrEqual(5)
    expect(load.calls).toBeLessThan(15)
    expect(cache.stats().earlyRefreshes).toBe(load.calls - 1)
    await cache.close()
  })

  it('refresh-ahead ratio refreshes once that fraction of the TTL has passed', async () => {
    const cache = await createCache(db, shop.product, {
      ttl: 400,
      jitter: 0,
      earlyRefresh: { beta: 0, ratio: 0.5 },
    })
    const load = countingLoader(0, (n) => product('ratio', { name: `v${n}` }))
    await cache.getOrSet({ id: 'ratio' }, load.loader)
    await sleep(100)
    await cache.getOrSet({ id: 'ratio' }, load.loader)
    await sleep(20)
    expect(load.calls).toBe(1)
    await sleep(150)
    await cache.getOrSet({ id: 'ratio' }, load.loader)
    await sleep(50)
    expect(load.calls).toBe(2)
    await cache.close()
  })
})

describe('the lease, seen from two clients', () => {
  it('a waiter is notified when the winner commits (no polling), and loads nothing', async () => {
    const a = await createCache(db, shop.product, { earlyRefresh: false })
    const b = await createCache(other, shop.product, { earlyRefresh: false })
    const loading = gate<Product>()
    const started = gate()
    const winner = a.getOrSet({ id: 'n' }, () => {
      started.open()
      return loading.promise
    })
    await started.promise
    const loadB = countingLoader(0, () => product('n', { name: 'b' }))
    const waiting = b.getOrSet({ id: 'n' }, loadB.loader, { meta: true })
    await sleep(100)
    const opened = Date.now()
    loading.open(product('n', { name: 'a' }))
    const [, seen] = await Promise.all([winner, waiting])
    expect(Date.now() - opened).toBeLessThan(100)
    expect(seen).toMatchObject({ value: { name: 'a' }, meta: { status: 'hit', waited: true } })
    expect(loadB.calls).toBe(0)
    expect(b.stats().leaseWaits).toBe(1)
    await a.close()
    await b.close()
  })

  it('a failed load hands over at once: the waiter takes the lease instead of waiting it out', async () => {
    const a = await createCache(db, shop.product, { earlyRefresh: false })
    const b = await createCache(other, shop.product, { earlyRefresh: false, lease: { waitMs: 5000 } })
    const failing = gate<Product>()
    const started = gate()
    const winner = a.getOrSet({ id: 'handover' }, async () => {
      started.open()
      await failing.promise
      throw new Error('boom')
    })
    await started.promise
    const waiting = b.getOrSet({ id: 'handover' }, () => product('handover', { name: 'b' }))
    await sleep(50)
    const failedAt = Date.now()
    failing.open(product('x'))
    await expect(winner).rejects.toThrow('boom')
    expect(await waiting).toMatchObject({ name: 'b' })
    expect(Date.now() - failedAt).toBeLessThan(500)
    await a.close()
    await b.close()
  })

  it('with a stale value, a caller does not wait for another process: it serves stale', async () => {
    const a = await createCache(db, shop.product, { ttl: 100, jitter: 0, grace: '10s', earlyRefresh: false })
    const b = await createCache(other, shop.product, {
      ttl: 100,
      jitter: 0,
      grace: '10s',
      earlyRefresh: false,
    })
    await a.getOrSet({ id: 'swr' }, () => product('swr', { name: 'v1' }))
    await sleep(150)
    const loading = gate<Product>()
    const started = gate()
    const winner = a.getOrSet({ id: 'swr' }, () => {
      started.open()
      return loading.promise
    })
    await started.promise
    const seen = await b.getOrSet({ id: 'swr' }, () => product('swr', { name: 'b' }), { meta: true })
    expect(seen).toMatchObject({ value: { name: 'v1' }, meta: { status: 'stale' } })
    loading.open(product('swr', { name: 'v2' }))
    expect(await winner).toMatchObject({ name: 'v2' })
    await a.close()
    await b.close()
  })

  it('after lease.waitMs a waiter loads itself (onTimeout load) or fails (onTimeout error)', async () => {
    const a = await createCache(db, shop.product, { earlyRefresh: false })
    const loading = gate<Product>()
    const started = gate()
    const winner = a.getOrSet({ id: 'slow' }, () => {
      started.open()
      return loading.promise
    })
    await started.promise
    const b = await createCache(other, shop.product, { earlyRefresh: false, lease: { waitMs: 60 } })
    const c = await createCache(other, shop.product, {
      earlyRefresh: false,
      lease: { waitMs: 60, onTimeout: 'error' },
    })
    expect(await codeOf(c.getOrSet({ id: 'slow' }, () => product('slow')))).toBe('CACHE_LEASE_TIMEOUT')
    expect(await b.getOrSet({ id: 'slow' }, () => product('slow', { name: 'self' }))).toMatchObject({
      name: 'self',
    })
    expect(b.stats().leaseTimeouts).toBe(1)
    loading.open(product('slow', { name: 'winner' }))
    await winner
    await Promise.all([a.close(), b.close(), c.close()])
  })
})
