import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache } from '../../src/cache/index.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import { countingLoader, product, shop, sleep } from './fixtures/shop.js'
import { eventually } from './helpers.js'

/*
 * Issue 16: while Redis was down every getOrSet waited the client's full offline wait (~1 s)
 * before calling the loader. The cache's circuit breaker (as bentocache has for its L2): after
 * `failures` consecutive connection failures it skips Redis for `coolDown` and serves from the
 * loader / stale / L1 at once; then one call probes Redis (half-open): success closes it, a
 * failure opens it again. Events and stats say what it does.
 */

let server: RedisServer
let db: RedisExpertClient

beforeAll(async () => {
  server = await startRedis()
  // The defaults a newcomer has: a command waits up to 1 s for a lost connection to come back.
  db = await connect({ url: server.url, reconnect: { baseDelayMs: 20, maxDelayMs: 100 } })
})
afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('the circuit breaker', () => {
  it('is on by default: with Redis down, calls stop waiting after a few failures', async () => {
    const cache = await createCache(db, shop.product)
    await server.kill()
    const load = countingLoader(0, () => product('d'))
    for (let i = 0; i < 3; i++) await cache.getOrSet({ id: `d${i}` }, load.loader) // each waits ~1 s
    const started = Date.now()
    for (let i = 0; i < 20; i++) await cache.getOrSet({ id: `e${i}` }, load.loader)
    expect(Date.now() - started).toBeLessThan(200)
    expect(load.calls).toBe(23)
    await server.restart()
    await eventually(async () => (await db.call(['PING']).catch(() => null)) === 'PONG', 5000)
    await cache.close()
  })

  it('opens after consecutive connection failures, serves the loader at once, probes and closes', async () => {
    const cache = await createCache(db, shop.product, {
      l1: { maxItems: 10 },
      circuitBreaker: { failures: 2, coolDown: 1500 },
    })
    const states: string[] = []
    cache.on('breaker', (state) => states.push(state))
    await cache.getOrSet({ id: 'kept' }, () => product('kept', { name: 'cached' }))
    expect(cache.stats().breaker).toBe('closed')
    await server.kill()

    // Two failures, each after the client's offline wait; then the breaker is open.
    const load = countingLoader(0, (n) => product('x', { name: `load ${n}` }))
    await cache.getOrSet({ id: 'a' }, load.loader)
    await cache.getOrSet({ id: 'b' }, load.loader)
    expect(cache.stats().breaker).toBe('open')
    expect(states).toEqual(['open'])

    // Open: no wait at all — 50 calls straight to the loader (or L1's copy, served stale).
    const started = Date.now()
    for (let i = 0; i < 50; i++) await cache.getOrSet({ id: `c${i}` }, load.loader)
    expect(Date.now() - started).toBeLessThan(200)
    expect(load.calls).toBe(52)
    expect(await cache.getOrSet({ id: 'kept' }, load.loader, { meta: true })).toMatchObject({
      value: { name: 'cached' },
      meta: { status: 'stale' },
    })
    expect(await cache.get({ id: 'nothing' })).toBeUndefined()
    // Writes fail fast too, with the reason.
    const error = await cache.set({ id: 'w' }, product('w')).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'CONNECTION_UNAVAILABLE', details: { breaker: 'open' } })
    expect(Date.now() - started).toBeLessThan(300)
    const stats = cache.stats()
    expect(stats.redisSkipped).toBeGreaterThanOrEqual(53)
    expect(stats.breakerOpens).toBe(1)

    // Back up: after the cool-down one call probes, succeeds, and the breaker closes.
    await server.restart()
    await eventually(async () => (await db.call(['PING']).catch(() => null)) === 'PONG', 5000)
    await sleep(1600)
    const fresh = countingLoader(0, () => product('after', { name: 'after' }))
    expect(await cache.getOrSet({ id: 'after' }, fresh.loader)).toMatchObject({ name: 'after' })
    expect(cache.stats().breaker).toBe('closed')
    expect(states).toEqual(['open', 'half-open', 'closed'])
    expect(await cache.get({ id: 'after' })).toMatchObject({ name: 'after' })
    await cache.close()
  })

  it('a failed probe opens it again for another cool-down', async () => {
    await eventually(async () => (await db.call(['PING']).catch(() => null)) === 'PONG', 5000)
    const cache = await createCache(db, shop.product, { circuitBreaker: { failures: 1, coolDown: 300 } })
    const states: string[] = []
    cache.on('breaker', (state) => states.push(state))
    await server.kill()
    const load = countingLoader(0, () => product('p'))
    await cache.getOrSet({ id: 'p' }, load.loader)
    expect(cache.stats().breaker).toBe('open')
    await sleep(350)
    await cache.getOrSet({ id: 'p' }, load.loader) // the probe, which fails
    expect(states).toEqual(['open', 'half-open', 'open'])
    const started = Date.now()
    await cache.getOrSet({ id: 'p' }, load.loader)
    expect(Date.now() - started).toBeLessThan(100)
    expect(load.calls).toBe(3)
    await server.restart()
    await cache.close()
  })

  it('circuitBreaker: false keeps the old behaviour (each call waits for the connection)', async () => {
    await eventually(async () => (await db.call(['PING']).catch(() => null)) === 'PONG', 5000)
    const cache = await createCache(db, shop.product, { circuitBreaker: false })
    expect(cache.stats().breaker).toBe('off')
    await cache.close()
  })

  it('refuses bad options', async () => {
    for (const circuitBreaker of [{ failures: 0 }, { coolDown: -1 }, { failure: 3 }, 'yes'])
      await expect(
        createCache(db, shop.product, { circuitBreaker } as unknown as Parameters<typeof createCache>[2]),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
