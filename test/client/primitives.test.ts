import { describe, expect, it } from 'vitest'
import { startRedisForFile } from '../support/redis-fixture.js'

/*
 * The client's primitives for the layers above it: `isolated` (a held connection the guard
 * still checks; watch() is built on it) and `sibling` (a second client with the same options).
 */

const { db } = await startRedisForFile()

describe('db.isolated', () => {
  it('lends one connection: WATCH, a read and MULTI/EXEC on it, each command guarded', async () => {
    await db.call(['SET', 'iso:k', '1', 'PX', 60_000])
    const replies = await db.isolated('iso:k', async (held) => {
      await held.watch(['iso:k'])
      const value = await held.call(['GET', 'iso:k'])
      expect(value).toBe('1')
      await expect(held.call(['KEYS', '*'])).rejects.toMatchObject({ code: 'GUARD_KEYS' })
      return held.exec([['SET', 'iso:k', '2', 'PX', 60_000]])
    })
    expect(replies).toEqual(['OK'])
    expect(await db.call(['GET', 'iso:k'])).toBe('2')
  })

  it('refuses a bad key or a missing function with INVALID_ARGUMENT, sending nothing', async () => {
    await expect(db.isolated('', async () => 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(db.isolated(42 as never, async () => 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(db.isolated('iso:k', 'nope' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})

describe('db.sibling', () => {
  it('opens a second client with the same options under another name', async () => {
    const sibling = await db.sibling('second')
    try {
      expect(sibling).not.toBe(db)
      expect(sibling.options.clientName).toBe('second')
      expect(await sibling.call(['CLIENT', 'GETNAME'])).toBe('second')
      expect(typeof sibling.pipeline).toBe('function')
    } finally {
      await sibling.close()
    }
  })

  it('refuses a missing or empty name with INVALID_ARGUMENT', async () => {
    await expect(db.sibling('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(db.sibling(undefined as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })
})
