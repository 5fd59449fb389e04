import { describe, expect, it } from 'vitest'
import { createLock, createSemaphore, withLock } from '../../src/structures/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf, commandsOf, sleep } from './helpers.js'

const { db } = await startRedisForFile()

describe('mutex', () => {
  it('one holder at a time; fencing tokens strictly increase per lock', async () => {
    const locks = createLock(db)
    const first = await locks.acquire('orders')
    expect(first).not.toBeNull()
    expect(await locks.acquire('orders')).toBeNull()
    await first!.release()
    const second = await locks.acquire('orders')
    expect(second!.fence).toBe(first!.fence + 1)
    // Another lock name has its own counter.
    const other = await locks.acquire('invoices')
    expect(other!.fence).toBe(1)
    await Promise.all([second!.release(), other!.release()])
  })

  it('release and extend by a non-holder are refused', async () => {
    const locks = createLock(db)
    const lease = await locks.acquire('guarded', { leaseMs: 5000 })
    expect(await codeOf(locks.release('guarded', 'not-the-token'))).toBe('LOCK_NOT_HELD')
    // Still held by its holder.
    expect(await locks.acquire('guarded')).toBeNull()
    // A holder whose lease expired and whose lock was taken cannot release the new holder's lock.
    const short = await locks.acquire('short', { leaseMs: 50 })
    await sleep(80)
    const next = await locks.acquire('short', { leaseMs: 5000 })
    expect(next).not.toBeNull()
    expect(await codeOf(short!.release())).toBe('LOCK_NOT_HELD')
    expect(await codeOf(short!.extend())).toBe('LOCK_NOT_HELD')
    expect(short!.signal.aborted).toBe(true)
    expect(await locks.acquire('short')).toBeNull()
    await next!.release()
    await lease!.release()
    // Releasing twice: the second is not a holder any more.
    expect(await codeOf(lease!.release())).toBe('LOCK_NOT_HELD')
  })

  it('waits for a held lock, up to waitMs', async () => {
    const locks = createLock(db, { retryDelayMs: 10 })
    // Before the holder's acquire: its lease cannot begin earlier, however late its reply comes.
    const started = Date.now()
    const held = await locks.acquire('wait', { leaseMs: 150 })
    expect(await locks.acquire('wait', { waitMs: 50 })).toBeNull()
    const lease = await locks.acquire('wait', { waitMs: 2000 })
    expect(lease).not.toBeNull()
    expect(Date.now() - started).toBeGreaterThanOrEqual(120)
    expect(lease!.fence).toBe(held!.fence + 1)
    await lease!.release()
  })

  it('withLock renews the lease while the work runs, then releases', async () => {
    const locks = createLock(db)
    let contended: unknown = 'not tried'
    const result = await locks.withLock(
      'renewed',
      async (lease) => {
        await sleep(500) // over three leases of 150 ms
        contended = await locks.acquire('renewed')
        expect(lease.signal.aborted).toBe(false)
        return 42
      },
      { leaseMs: 150 },
    )
    expect(result).toBe(42)
    expect(contended).toBeNull()
    const after = await locks.acquire('renewed')
    expect(after).not.toBeNull()
    await after!.release()
  })

  it('withLock: LOCK_NOT_ACQUIRED when taken, LOCK_LOST when the lease ran out under the work', async () => {
    const locks = createLock(db)
    const held = await locks.acquire('busy', { leaseMs: 5000 })
    expect(await codeOf(locks.withLock('busy', () => 1, { waitMs: 30 }))).toBe('LOCK_NOT_ACQUIRED')
    await held!.release()
    expect(await codeOf(locks.withLock('lost', () => sleep(150), { leaseMs: 50, renew: false }))).toBe(
      'LOCK_LOST',
    )
    // The work's own error wins, and the lock is released.
    expect(await codeOf(locks.withLock('throws', () => Promise.reject(new Error('boom'))))).toBe(
      'no code: Error: boom',
    )
    expect(await locks.acquire('throws')).not.toBeNull()
  })

  it('withLock(db, ...) works on the default namespace', async () => {
    expect(await withLock(db, 'top-level', (lease) => lease.fence)).toBeGreaterThan(0)
  })

  it('round trips: acquire, extend and release are one script each', async () => {
    const locks = createLock(db)
    const warm = await locks.acquire('rt')
    await warm!.extend()
    await warm!.release()
    let lease: Awaited<ReturnType<typeof locks.acquire>> = null
    expect(await commandsOf(db, async () => (lease = await locks.acquire('rt')))).toEqual({
      EVALSHA: 1,
      SET: 1,
      INCR: 1,
    })
    expect(await commandsOf(db, () => lease!.extend())).toEqual({ EVALSHA: 1, GET: 1, PEXPIRE: 1 })
    expect(await commandsOf(db, () => lease!.release())).toEqual({ EVALSHA: 1, GET: 1, DEL: 1 })
  })

  it('bad input: typed errors', async () => {
    const locks = createLock(db)
    expect(await codeOf(() => createLock(db, { leaseMs: 0 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createLock(db, { namespace: 'a b' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(locks.acquire(''))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(locks.acquire('x', { leaseMs: -5 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(locks.acquire('x', { waitMs: 'later' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(locks.withLock('x', 'nope' as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(locks.release('x', ''))).toBe('INVALID_ARGUMENT')
  })
})

describe('semaphore', () => {
  it('at most `limit` holders; a released permit is free again', async () => {
    const sem = createSemaphore(db, { limit: 3 })
    const permits = await Promise.all(Array.from({ length: 5 }, () => sem.acquire('pool')))
    const held = permits.filter((p) => p !== null)
    expect(held).toHaveLength(3)
    expect(await sem.holders('pool')).toBe(3)
    await held[0]!.release()
    const next = await sem.acquire('pool')
    expect(next).not.toBeNull()
    expect(await codeOf(held[0]!.release())).toBe('LOCK_NOT_HELD')
    await Promise.all([next!.release(), held[1]!.release(), held[2]!.release()])
  })

  it("a dead holder's permit frees up when its lease ends (controlled clock)", async () => {
    let now = 1_700_000_000_000
    const sem = createSemaphore(db, { limit: 2, namespace: 'sem-clock', leaseMs: 1000, clock: () => now })
    await sem.acquire('jobs')
    const b = await sem.acquire('jobs')
    expect(await sem.acquire('jobs')).toBeNull()
    now += 500
    await b!.extend() // b is alive and renews: its lease now ends at +1500
    now += 600 // +1100: the first holder's lease ended, b's did not
    const c = await sem.acquire('jobs')
    expect(c).not.toBeNull()
    expect(await sem.acquire('jobs')).toBeNull()
    expect(await sem.holders('jobs')).toBe(2)
  })

  it("holders() counts by the server's clock, not this process's", async () => {
    const sem = createSemaphore(db, { limit: 5, namespace: 'sem-skew' })
    await sem.acquire('skew', { leaseMs: 3000 })
    await sem.acquire('skew', { leaseMs: 3000 })
    // A process whose clock runs 5 s ahead (or behind) sees the same holders.
    for (const skewMs of [5000, -5000]) {
      const real = Date.now
      Date.now = () => real() + skewMs
      try {
        expect(await sem.holders('skew')).toBe(2)
      } finally {
        Date.now = real
      }
    }
  })

  it('withPermit: bounded concurrency across many callers', async () => {
    const sem = createSemaphore(db, { limit: 4, namespace: 'sem-work', retryDelayMs: 5 })
    let inside = 0
    let highest = 0
    await Promise.all(
      Array.from({ length: 20 }, () =>
        sem.withPermit(
          'work',
          async () => {
            highest = Math.max(highest, ++inside)
            await sleep(10)
            inside--
          },
          { waitMs: 10_000 },
        ),
      ),
    )
    expect(highest).toBe(4)
  })

  it('bad input', async () => {
    expect(await codeOf(() => createSemaphore(db, { limit: 0 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createSemaphore(db, {} as never))).toBe('INVALID_ARGUMENT')
    const sem = createSemaphore(db, { limit: 1, namespace: 'sem-bad' })
    expect(await codeOf(sem.withPermit('x', () => 1, { waitMs: -1 }))).toBe('INVALID_ARGUMENT')
  })
})
