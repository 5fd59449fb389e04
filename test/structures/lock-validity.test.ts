import { describe, expect, it } from 'vitest'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { createLock, createSemaphore, type Lease } from '../../src/structures/index.js'
import { startPartitionProxy } from '../support/partition-proxy.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf, sleep } from './helpers.js'

/**
 * How long a holder counts on its lease: leaseMs from when the call that (re)started it was sent,
 * less a drift margin — whatever its own calls to Redis are still doing. A holder that cannot
 * reach Redis must stop before another can take the lease, not when its extension times out.
 */
const { server, db } = await startRedisForFile()

/** A lease-holding call made through `db`, and another holder's attempt to take the same lease. */
interface Contest {
  readonly what: string
  hold(db: RedisExpertClient, fn: (lease: Lease) => Promise<void>): Promise<void>
  takeOver(): Promise<Lease | null>
}

const contests: Contest[] = [
  {
    what: 'withLock',
    hold: (cutOff, fn) => createLock(cutOff).withLock('partitioned', fn, { leaseMs: 600 }),
    takeOver: () =>
      createLock(db, { retryDelayMs: 10 }).acquire('partitioned', { waitMs: 4000, leaseMs: 5000 }),
  },
  {
    what: 'withPermit',
    hold: (cutOff, fn) =>
      createSemaphore(cutOff, { limit: 1, namespace: 'sem-cut' }).withPermit('pool', fn, { leaseMs: 600 }),
    takeOver: () =>
      createSemaphore(db, { limit: 1, namespace: 'sem-cut', retryDelayMs: 10 }).acquire('pool', {
        waitMs: 4000,
        leaseMs: 5000,
      }),
  },
]

describe('a holder cut off from Redis (a proxy that stops forwarding, sockets open)', () => {
  it.each(contests)(
    '$what: the holder is told its lease ran out before another holder can take it',
    async ({ hold, takeOver }) => {
      const proxy = await startPartitionProxy(server.port)
      // The default command timeout (5 s) is far longer than the lease: the extension in flight
      // when the partition starts would only fail after another holder had taken over.
      const cutOff = await connect({ url: proxy.url })
      try {
        const events: string[] = []
        const work = hold(cutOff, async (lease) => {
          lease.signal.addEventListener('abort', () => events.push('holder told'))
          proxy.cut()
          const other = await takeOver()
          events.push(other === null ? 'nobody else took it' : 'another holder took it')
          proxy.heal()
          await other?.release()
        })
        expect(await codeOf(work)).toBe('LOCK_LOST')
        expect(events).toEqual(['holder told', 'another holder took it'])
      } finally {
        await cutOff.close()
        await proxy.close()
      }
    },
  )
})

describe("a lease's signal without renewal", () => {
  it('aborts (LOCK_LOST) when the lease runs out unextended; an extension moves the end', async () => {
    const locks = createLock(db)
    const lease = await locks.acquire('bare', { leaseMs: 1000 })
    await sleep(300)
    await lease!.extend() // ends 1000 ms after this extension was sent
    await sleep(800) // 1100 ms after the acquisition: past its first end
    expect(lease!.signal.aborted).toBe(false)
    await sleep(500)
    expect(lease!.signal.aborted).toBe(true)
    expect((lease!.signal.reason as { code?: string }).code).toBe('LOCK_LOST')
    expect(await codeOf(lease!.release())).toBe('LOCK_NOT_HELD')
  })

  it('a released lease is not aborted later', async () => {
    const sem = createSemaphore(db, { limit: 1, namespace: 'sem-bare' })
    const permit = await sem.acquire('p', { leaseMs: 200 })
    await permit!.release()
    await sleep(300)
    expect(permit!.signal.aborted).toBe(false)
  })
})
