import { describe, expect, it } from 'vitest'
import type { RedisExpertClient } from '../../src/index.js'
import { connectAlsoForFile, startRedisForFile } from '../support/redis-fixture.js'

const { server, db: first } = await startRedisForFile()
const second = await connectAlsoForFile(server)

/** Read-modify-write that only WATCH makes safe: GET, then SET of the value plus one. */
function increment(db: RedisExpertClient, key: string) {
  return db.watch(
    [key],
    async (tx) => {
      const value = Number((await tx.call(['GET', key])) ?? 0)
      tx.queue(['SET', key, value + 1, 'PX', 600_000])
      return value + 1
    },
    { attempts: 1000 },
  )
}

describe('db.watch', () => {
  it('two concurrent writers incrementing 1000 times in total lose no increment', async () => {
    const key = 'w:counter'
    const writer = async (db: RedisExpertClient, times: number) => {
      // Each writer keeps several transactions in flight, so they truly interleave.
      const lanes = Array.from({ length: 5 }, async () => {
        for (let i = 0; i < times / 5; i++) await increment(db, key)
      })
      await Promise.all(lanes)
    }
    await Promise.all([writer(first, 500), writer(second, 500)])
    expect(await first.call(['GET', key])).toBe('1000')
  })

  it('without WATCH the same read-modify-write loses increments (the test above is not vacuous)', async () => {
    const key = 'w:naive'
    const naive = async (db: RedisExpertClient) => {
      const value = Number((await db.call(['GET', key])) ?? 0)
      await db.call(['SET', key, value + 1, 'PX', 600_000])
    }
    await Promise.all(Array.from({ length: 200 }, (_, i) => naive(i % 2 ? first : second)))
    expect(Number(await first.call(['GET', key]))).toBeLessThan(200)
  })

  it('gives TX_CONFLICT after the last attempt', async () => {
    const key = 'w:conflict'
    const error = await first
      .watch(
        [key],
        async (tx) => {
          await second.call(['SET', key, `other-${tx.attempt}`, 'PX', 60_000])
          tx.queue(['SET', key, 'mine', 'PX', 60_000])
        },
        { attempts: 3, baseDelayMs: 1 },
      )
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TX_CONFLICT', details: { attempts: 3 } })
    expect(await first.call(['GET', key])).toBe('other-3')
  })

  it('writes nothing when the function throws, and the connection is released clean', async () => {
    const key = 'w:throws'
    await expect(
      first.watch([key], async (tx) => {
        tx.queue(['SET', key, 'x', 'PX', 60_000])
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect(await first.call(['EXISTS', key])).toBe(0)
    expect(await increment(first, key)).toBe(1)
  })

  it('applies the guard to the transaction as one atomic unit', async () => {
    await expect(
      first.watch(['{a}x'], async (tx) => {
        tx.queue(['SET', '{b}y', '1', 'PX', 1000])
      }),
    ).rejects.toMatchObject({ code: 'GUARD_CROSSSLOT' })
    await expect(
      first.watch(['w:nottl'], async (tx) => {
        tx.queue(['SET', 'w:nottl', '1'])
      }),
    ).rejects.toMatchObject({ code: 'GUARD_TTL_REQUIRED' })
  })

  it('validates its input', async () => {
    await expect(first.watch([], async () => 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(first.watch(['k'], async () => 1, { attempts: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })
})
