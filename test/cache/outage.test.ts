import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache } from '../../src/cache/index.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import { countingLoader, product, shop } from './fixtures/shop.js'
import { eventually } from './helpers.js'

/*
 * Redis down or stuck: cache calls fail fast within the cache's timeout and fall back to L1
 * (served as stale) or to the loader, as configured; never hang on a dead connection.
 */

let server: RedisServer
let db: RedisExpertClient

beforeAll(async () => {
  server = await startRedis()
  db = await connect({
    url: server.url,
    commandTimeoutMs: 400,
    offlineWaitMs: 200,
    reconnect: { baseDelayMs: 20, maxDelayMs: 100 },
  })
})
afterAll(async () => {
  await db?.close()
  await server?.stop()
})

describe('when Redis is down', () => {
  it('falls back to L1, then to the loader, within the timeout; recovers when Redis is back', async () => {
    const cache = await createCache(db, shop.product, { l1: { maxItems: 10 }, timeoutMs: 300 })
    const strict = await createCache(db, shop.product, { timeoutMs: 300, onRedisError: 'throw' })
    const errors: string[] = []
    cache.on('error', (operation) => errors.push(operation))
    await cache.getOrSet({ id: 'down-1' }, () => product('down-1', { name: 'cached' }))
    await server.kill()
    // The subscriber notices the closed connection: L1 stops serving hits it cannot vouch for.
    await eventually(() => cache.stats().channel === 'down', 2000)

    let started = Date.now()
    const fromL1 = await cache.getOrSet({ id: 'down-1' }, () => product('down-1', { name: 'loaded' }), {
      meta: true,
    })
    expect(Date.now() - started).toBeLessThan(700)
    expect(fromL1).toMatchObject({ value: { name: 'cached' }, meta: { status: 'stale' } })

    const load = countingLoader(0, () => product('down-2', { name: 'straight from the source' }))
    started = Date.now()
    expect(await cache.getOrSet({ id: 'down-2' }, load.loader)).toMatchObject({
      name: 'straight from the source',
    })
    expect(Date.now() - started).toBeLessThan(700)
    expect(load.calls).toBe(1)

    started = Date.now()
    expect(await cache.get({ id: 'down-3' })).toBeUndefined()
    const error = await strict.getOrSet({ id: 'down-3' }, load.loader).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: expect.stringMatching(/^(CONNECTION_|COMMAND_TIMEOUT)/) })
    expect(Date.now() - started).toBeLessThan(1400)
    expect(cache.stats().redisErrors).toBeGreaterThanOrEqual(3)
    expect(errors).toContain('redis')

    await server.restart()
    await eventually(() => cache.stats().channel === 'up', 5000)
    // The circuit breaker (open after the failures above) lets a probe through after its
    // cool-down (5 s by default); from then on values are cached again.
    await eventually(async () => {
      await cache.getOrSet({ id: 'down-2' }, () => product('down-2', { name: 'after' })).catch(() => null)
      return (await cache.get({ id: 'down-2' }).catch(() => undefined)) !== undefined
    }, 8000)
    expect(await cache.get({ id: 'down-2' })).toMatchObject({ name: 'after' })
    expect(cache.stats().breaker).toBe('closed')
    await cache.close()
    await strict.close()
  })

  it('a stuck server (SIGSTOP) times out instead of hanging', async () => {
    await eventually(async () => (await db.call(['PING']).catch(() => null)) === 'PONG', 3000)
    const cache = await createCache(db, shop.product, { timeoutMs: 200 })
    process.kill(server.pid, 'SIGSTOP')
    try {
      const started = Date.now()
      const value = await cache.getOrSet({ id: 'stuck' }, () => product('stuck'))
      expect(value).toMatchObject({ id: 'stuck' })
      expect(Date.now() - started).toBeLessThan(1000)
    } finally {
      process.kill(server.pid, 'SIGCONT')
    }
    await cache.close()
  })
})
