import { describe, expect, it } from 'vitest'
import { defineScript } from '../../src/index.js'
import { connectAlsoForFile, startRedisForFile } from '../support/redis-fixture.js'
import { cappedIncr, move } from './fixtures/scripts.js'
import { commandCalls, delta } from './helpers.js'

const { server, db } = await startRedisForFile()
const observer = await connectAlsoForFile(server, { guard: 'off' })

describe('defineScript', () => {
  it('runs by EVALSHA: one round trip, its inner commands counted by the server', async () => {
    await cappedIncr.run(db, { counter: 's:warm' }, { cap: 5, ttlMs: 60_000 })
    const before = await commandCalls(observer)
    expect(await cappedIncr.run(db, { counter: 's:warm' }, { cap: 5, ttlMs: 60_000 })).toBe(2)
    expect(delta(before, await commandCalls(observer))).toEqual({ evalsha: 1, get: 1, incr: 1, pexpire: 1 })
  })

  it('recovers from NOSCRIPT after SCRIPT FLUSH by sending the source once', async () => {
    await observer.call(['SCRIPT', 'FLUSH'])
    const before = await commandCalls(observer)
    expect(await cappedIncr.run(db, { counter: 's:flushed' }, { cap: 5, ttlMs: 60_000 })).toBe(1)
    expect(delta(before, await commandCalls(observer))).toMatchObject({ evalsha: 1, eval: 1 })
    const again = await commandCalls(observer)
    expect(await cappedIncr.run(db, { counter: 's:flushed' }, { cap: 5, ttlMs: 60_000 })).toBe(2)
    expect(delta(again, await commandCalls(observer))).not.toHaveProperty('eval')
  })

  it('surfaces a failure inside the script as SCRIPT_ERROR naming the script', async () => {
    const error = await cappedIncr
      .run(db, { counter: 's:bad' }, { cap: 'not a number', ttlMs: 60_000 })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'SCRIPT_ERROR', details: { script: 'capped-incr' } })
    expect(String((error as Error).message)).toContain("script 'capped-incr' failed")
  })

  it('passes its keys through the guard: one slot, even on a single server', async () => {
    await expect(move.run(db, { from: 'foo', to: 'bar' }, { ttlMs: 1000 })).rejects.toMatchObject({
      code: 'GUARD_CROSSSLOT',
    })
    await db.call(['SET', '{mv}:a', 'v', 'PX', 60_000])
    expect(await move.run(db, { from: '{mv}:a', to: '{mv}:b' }, { ttlMs: 60_000 })).toBe(1)
    expect(await db.call(['GET', '{mv}:b'])).toBe('v')
  })

  it('refuses scripts whose header does not document their keys and args, or that reach past them', () => {
    const file = new URL('./fixtures/undocumented.lua', import.meta.url)
    expect(() => defineScript({ name: 'undocumented', file, keys: ['a'], args: [] })).toThrow(
      expect.objectContaining({ code: 'SCRIPT_INVALID', message: expect.stringContaining('KEYS[2]') }),
    )
    expect(() => defineScript({ name: 'undocumented', file, keys: ['a', 'b'], args: [] })).toThrow(
      expect.objectContaining({
        code: 'SCRIPT_INVALID',
        message: expect.stringContaining('document KEYS[2]'),
      }),
    )
    expect(() =>
      defineScript({
        name: 'Bad Name',
        file: new URL('./fixtures/move.lua', import.meta.url),
        keys: [],
        args: [],
      }),
    ).toThrow(expect.objectContaining({ code: 'SCRIPT_INVALID' }))
    expect(() => defineScript({ name: 'missing', file: '/nonexistent/x.lua', keys: [], args: [] })).toThrow(
      expect.objectContaining({ code: 'SCRIPT_INVALID' }),
    )
    expect(() =>
      defineScript({
        name: 'dup',
        file: new URL('./fixtures/move.lua', import.meta.url),
        keys: ['a', 'a'],
        args: ['t'],
      }),
    ).toThrow(expect.objectContaining({ code: 'SCRIPT_INVALID' }))
  })

  it('refuses a call that misses a key or an argument', async () => {
    await expect(cappedIncr.run(db, {} as { counter: string }, { cap: 1, ttlMs: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })

  it('command(): repeated arguments go after the named ones; anything but an array of strings, Buffers or finite numbers is refused', () => {
    const keys = { counter: 'c' }
    const args = { cap: 5, ttlMs: 1000 }
    const line = cappedIncr.command(keys, args, ['x', 2, Buffer.from('y')])
    expect(line.slice(-3)).toEqual(['x', 2, Buffer.from('y')])
    expect(line.slice(0, -3)).toEqual(cappedIncr.command(keys, args))
    for (const rest of ['abc', { 0: 'a', length: 1 }, [{}], [null], [Number.NaN]])
      expect(() => cappedIncr.command(keys, args, rest as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      )
  })
})
