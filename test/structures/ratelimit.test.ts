import { describe, expect, it } from 'vitest'
import { type Algorithm, createRateLimiter } from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf, commandsOf } from './helpers.js'

const { db } = await startRedisForFile()

const ALGORITHMS: readonly Algorithm[] = ['fixed-window', 'sliding-window', 'sliding-log', 'token-bucket']

/** A limiter on a clock the test moves by hand. */
function manual(algorithm: Algorithm, limit: number, windowMs: number, name: string) {
  let now = 1_700_000_000_000
  const limiter = createRateLimiter(db, { algorithm, limit, windowMs, name, clock: () => now })
  return {
    limiter,
    advance: (ms: number) => {
      now += ms
    },
    set: (ms: number) => {
      now = ms
    },
  }
}

describe('1000 concurrent requests against a limit of 100', () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: exactly 100 allowed, on the server's clock`, async () => {
      const limiter = createRateLimiter(db, {
        algorithm,
        limit: 100,
        windowMs: 60_000,
        name: `burst:${algorithm}`,
      })
      const decisions = await Promise.all(Array.from({ length: 1000 }, () => limiter.consume('client-1')))
      expect(decisions.filter((d) => d.allowed)).toHaveLength(100)
      const refused = decisions.filter((d) => !d.allowed)
      expect(refused.every((d) => d.remaining === 0 && d.retryAfterMs > 0)).toBe(true)
      // Another id has its own allowance.
      expect((await limiter.consume('client-2')).allowed).toBe(true)
    })
  }
})

describe('window behaviour on a controlled clock', () => {
  it('fixed window: anchored at the first hit, resets when it ends', async () => {
    const { limiter, advance } = manual('fixed-window', 3, 1000, 'time:fixed')
    expect(await limiter.consume('a')).toEqual({
      allowed: true,
      limit: 3,
      remaining: 2,
      resetMs: 1000,
      retryAfterMs: 0,
    })
    advance(400)
    expect(await limiter.consume('a', 2)).toMatchObject({ allowed: true, remaining: 0, resetMs: 600 })
    advance(100)
    expect(await limiter.consume('a')).toMatchObject({
      allowed: false,
      remaining: 0,
      resetMs: 500,
      retryAfterMs: 500,
    })
    advance(499)
    expect((await limiter.consume('a')).allowed).toBe(false)
    advance(1)
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 2, resetMs: 1000 })
  })

  it('fixed window: a refused request consumes nothing', async () => {
    const { limiter, advance } = manual('fixed-window', 5, 1000, 'time:fixed-cost')
    expect((await limiter.consume('a', 4)).allowed).toBe(true)
    expect(await limiter.consume('a', 2)).toMatchObject({ allowed: false, remaining: 1 })
    expect(await limiter.consume('a', 1)).toMatchObject({ allowed: true, remaining: 0 })
    advance(1000)
    expect((await limiter.consume('a', 5)).allowed).toBe(true)
  })

  it('sliding log: exact — each hit leaves the window exactly windowMs later', async () => {
    const { limiter, advance } = manual('sliding-log', 3, 1000, 'time:log')
    await limiter.consume('a') // t=0
    advance(300)
    await limiter.consume('a') // t=300
    advance(300)
    await limiter.consume('a') // t=600
    advance(100)
    // t=700: full; the oldest hit (t=0) leaves at t=1000.
    expect(await limiter.consume('a')).toMatchObject({ allowed: false, retryAfterMs: 300, resetMs: 900 })
    advance(299)
    expect((await limiter.consume('a')).allowed).toBe(false)
    advance(1)
    // t=1000: the t=0 hit is out (a hit at exactly now − window no longer counts).
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 0 })
    // Cost 2 needs the two oldest (t=300, t=600) gone: at t=1600.
    expect(await limiter.consume('a', 2)).toMatchObject({ allowed: false, retryAfterMs: 600 })
  })

  it('sliding window (approximated): the previous window weighs by its overlap', async () => {
    const { limiter, set } = manual('sliding-window', 10, 1000, 'time:counter')
    const base = 1_700_000_000_000 - (1_700_000_000_000 % 1000)
    set(base + 500)
    for (let i = 0; i < 10; i++) expect((await limiter.consume('a')).allowed).toBe(true)
    expect((await limiter.consume('a')).allowed).toBe(false)
    // Next window, 25% in: the previous 10 weigh 7.5 → 2 more fit (7.5 + 2 ≤ 10), not 3.
    set(base + 1250)
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 1 })
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 0 })
    const refused = await limiter.consume('a')
    expect(refused.allowed).toBe(false)
    // 10·(1 − e/1000) + 2 + 1 ≤ 10 ⇔ e ≥ 300: 50 ms from e = 250.
    expect(refused.retryAfterMs).toBe(50)
    set(base + 1300)
    expect((await limiter.consume('a')).allowed).toBe(true)
    // Two windows later everything has slid out.
    set(base + 3000)
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 9 })
  })

  it('token bucket (GCRA): bursts to the limit, then refills one unit per window/limit', async () => {
    const { limiter, advance } = manual('token-bucket', 4, 1000, 'time:gcra')
    for (let i = 3; i >= 0; i--)
      expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: i })
    const refused = await limiter.consume('a')
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 250, resetMs: 1000 })
    advance(249)
    expect((await limiter.consume('a')).allowed).toBe(false)
    advance(1)
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 0 })
    advance(1000)
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 3 })
    expect(await limiter.consume('a', 3)).toMatchObject({ allowed: true, remaining: 0 })
    expect(await limiter.consume('a', 2)).toMatchObject({ allowed: false, retryAfterMs: 500 })
  })

  it("fixed window on the server's clock: the key's expiry is the window", async () => {
    const limiter = createRateLimiter(db, {
      algorithm: 'fixed-window',
      limit: 3,
      windowMs: 200,
      name: 'real:fixed',
    })
    expect(await limiter.consume('a', 2)).toMatchObject({ allowed: true, remaining: 1, resetMs: 200 })
    expect(await limiter.consume('a')).toMatchObject({ allowed: true, remaining: 0 })
    const refused = await limiter.consume('a')
    expect(refused).toMatchObject({ allowed: false, remaining: 0 })
    expect(refused.retryAfterMs).toBeGreaterThan(0)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(200)
    expect(refused.resetMs).toBe(refused.retryAfterMs)
    // The refusal consumed nothing: the count is still 3.
    const key = (limiter.keyspace.entries[0]!.key as (params: object) => string)({ id: 'a' })
    expect(await db.call(['GET', key])).toBe('3')
    await new Promise((r) => setTimeout(r, refused.retryAfterMs + 20))
    expect(await limiter.consume('a', 3)).toMatchObject({ allowed: true, remaining: 0, resetMs: 200 })
  })

  it('keys expire with the window: no state outlives its use', async () => {
    const limiter = createRateLimiter(db, {
      algorithm: 'fixed-window',
      limit: 5,
      windowMs: 80,
      name: 'ttl:fixed',
    })
    await limiter.consume('a')
    const key = (limiter.keyspace.entries[0]!.key as (params: object) => string)({ id: 'a' })
    const ttl = Number(await db.call(['PTTL', key]))
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(80)
    await new Promise((r) => setTimeout(r, 120))
    expect(await db.call(['EXISTS', key])).toBe(0)
    expect((await limiter.consume('a', 5)).allowed).toBe(true)
  })

  it('reset forgets an id', async () => {
    const limiter = createRateLimiter(db, {
      algorithm: 'token-bucket',
      limit: 1,
      windowMs: 60_000,
      name: 'reset',
    })
    expect((await limiter.consume('a')).allowed).toBe(true)
    expect((await limiter.consume('a')).allowed).toBe(false)
    await limiter.reset('a')
    expect((await limiter.consume('a')).allowed).toBe(true)
  })
})

describe('round trips', () => {
  for (const algorithm of ALGORITHMS) {
    it(`${algorithm}: one EVALSHA per decision`, async () => {
      const limiter = createRateLimiter(db, {
        algorithm,
        limit: 10,
        windowMs: 60_000,
        name: `rt:${algorithm}`,
      })
      await limiter.consume('warm') // loads the script once (NOSCRIPT → EVAL)
      const commands = await commandsOf(db, () => limiter.consume('x'))
      expect(commands.EVALSHA).toBe(1)
      expect(commands.EVAL).toBeUndefined()
    })
  }

  it('the keys are declared: they appear in the keyspace with their TTL and role', () => {
    const limiter = createRateLimiter(db, {
      algorithm: 'sliding-log',
      limit: 10,
      windowMs: 1000,
      name: 'decl',
    })
    const [row] = limiter.keyspace.describe()
    expect(row).toMatchObject({ pattern: 'decl:{<id>}', type: 'zset', role: 'counter' })
  })
})

describe('bad input', () => {
  it('refuses bad options and arguments with typed errors', async () => {
    const bad = [
      () => createRateLimiter(db, { algorithm: 'leaky' as Algorithm, limit: 1, windowMs: 1000 }),
      () => createRateLimiter(db, { algorithm: 'fixed-window', limit: 0, windowMs: 1000 }),
      () => createRateLimiter(db, { algorithm: 'fixed-window', limit: 1.5, windowMs: 1000 }),
      () => createRateLimiter(db, { algorithm: 'fixed-window', limit: 1, windowMs: -1 }),
      () => createRateLimiter(db, { algorithm: 'fixed-window', limit: 1, windowMs: 'soon' as never }),
      () => createRateLimiter(db, { algorithm: 'sliding-log', limit: 1_000_000, windowMs: 1000 }),
      () => createRateLimiter(db, { algorithm: 'fixed-window', limit: 1, windowMs: 1000, name: 'a b' }),
      () => createRateLimiter(db, null as never),
    ]
    for (const fn of bad) expect(await codeOf(fn)).toBe('INVALID_ARGUMENT')
    const limiter = createRateLimiter(db, {
      algorithm: 'fixed-window',
      limit: 5,
      windowMs: 1000,
      name: 'bad',
    })
    expect(await codeOf(limiter.consume('a', 0))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(limiter.consume('a', 6))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(limiter.consume('a', 1.5))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(limiter.consume(''))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(limiter.consume({} as never))).toBe('INVALID_ARGUMENT')
    // Hostile ids are escaped into the key, never interpreted.
    expect((await limiter.consume('{x}:*\n')).allowed).toBe(true)
    const clocked = createRateLimiter(db, {
      algorithm: 'fixed-window',
      limit: 5,
      windowMs: 1000,
      name: 'bad-clock',
      clock: () => Number.NaN,
    })
    expect(await codeOf(clocked.consume('a'))).toBe('INVALID_ARGUMENT')
  })

  it('the same namespace with another policy is refused by the client', async () => {
    createRateLimiter(db, { algorithm: 'fixed-window', limit: 5, windowMs: 1000, name: 'clash' })
    expect(
      await codeOf(() =>
        createRateLimiter(db, { algorithm: 'fixed-window', limit: 6, windowMs: 1000, name: 'clash' }),
      ),
    ).toBe('KEYSPACE_OVERLAP')
  })
})
