import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type RedisExpertClient } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

let server: RedisServer
let db: RedisExpertClient

beforeAll(async () => {
  server = await startRedis()
  db = await connect({
    url: server.url,
    guard: 'off',
    commandTimeoutMs: 400,
    offlineWaitMs: 300,
    reconnect: { baseDelayMs: 20, maxDelayMs: 200 },
  })
})
afterAll(async () => {
  await db?.close()
  await server?.stop()
})

async function eventually<T>(fn: () => Promise<T>, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    try {
      return await fn()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

describe('outages', () => {
  it('fails fast while the server is down, and recovers when it is back', async () => {
    await db.call(['SET', 'k', 'v'])
    await server.kill()
    const started = Date.now()
    const error = await db.call(['GET', 'k']).catch((e: unknown) => e)
    const elapsed = Date.now() - started
    expect(error).toMatchObject({ code: expect.stringMatching(/^CONNECTION_(UNAVAILABLE|LOST)$/) })
    // Within its timeout (400 ms), plus slack for a loaded CI runner; a hang would take forever.
    expect(elapsed).toBeLessThan(400 + 1000)

    // Many callers at once: each fails within the bound, none queues forever.
    const burst = await Promise.allSettled(Array.from({ length: 100 }, () => db.call(['PING'])))
    expect(burst.every((r) => r.status === 'rejected')).toBe(true)

    await server.restart()
    expect(await eventually(() => db.call(['PING']), 3000)).toBe('PONG')
  })

  it('a stuck server (SIGSTOP) times commands out with COMMAND_TIMEOUT, then the client recovers', async () => {
    await eventually(() => db.call(['PING']), 3000)
    let timeouts = 0
    db.on('timeout', () => timeouts++)
    process.kill(server.pid, 'SIGSTOP')
    try {
      const started = Date.now()
      const results = await Promise.allSettled([db.call(['GET', 'a']), db.call(['GET', 'b'])])
      const elapsed = Date.now() - started
      for (const result of results) {
        expect(result.status).toBe('rejected')
        if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'COMMAND_TIMEOUT' })
      }
      expect(elapsed).toBeGreaterThanOrEqual(380)
      expect(elapsed).toBeLessThan(400 + 1000)
      expect(timeouts).toBeGreaterThanOrEqual(1)
    } finally {
      process.kill(server.pid, 'SIGCONT')
    }
    expect(await eventually(() => db.call(['PING']), 3000)).toBe('PONG')
  })

  it('a busy process (event loop blocked past the timeout) does not time out its own commands', async () => {
    await eventually(() => db.call(['PING']), 3000)
    let timeouts = 0
    const count = () => timeouts++
    db.on('timeout', count)
    try {
      const before = Array.from({ length: 50 }, () => db.call(['PING']))
      const blockedUntil = Date.now() + 1200 // three times the 400 ms timeout, synchronously
      while (Date.now() < blockedUntil) {
        // busy: no timer, no I/O turns
      }
      const after = Array.from({ length: 50 }, () => db.call(['PING']))
      const results = await Promise.allSettled([...before, ...after])
      expect(results.filter((r) => r.status === 'rejected')).toEqual([])
      await new Promise((r) => setTimeout(r, 200))
      expect(timeouts).toBe(0)
    } finally {
      db.off('timeout', count)
    }
  })

  it('a per-call timeout covers a legitimately slow command', async () => {
    await eventually(() => db.call(['PING']), 3000)
    expect(await db.call(['BLPOP', 'empty-list', '0.6'], { timeoutMs: 1500 })).toBeNull()
  })
})
