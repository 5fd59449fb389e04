import { describe, expect, it } from 'vitest'
import { defineKeyspace, t } from '../../src/index.js'
import { connectAlsoForFile, startRedisForFile } from '../support/redis-fixture.js'
import { cappedIncr } from './fixtures/scripts.js'
import { commandCalls, delta } from './helpers.js'

const app = defineKeyspace('app', {
  settings: { pattern: 'settings', type: t.hash(), role: 'reference', ttl: 'persistent' },
})

const { server, db } = await startRedisForFile({ keyspaces: [app] })
const observer = await connectAlsoForFile(server, { guard: 'off' })

describe('db.pipeline()', () => {
  it('resolves to a typed tuple, in order, in one round trip', async () => {
    const before = await commandCalls(observer)
    const [set, got, count, ttl, missing] = await db
      .pipeline()
      .set('p:a', 'alpha', { px: 60_000 })
      .get('p:a')
      .incr('p:n', 5)
      .pexpire('p:n', 60_000)
      .get('p:none')
      .exec()
    expect([set, got, count, ttl, missing]).toEqual(['OK', 'alpha', 5, 1, null])
    const typed: string | null = got
    expect(typed).toBe('alpha')
    expect(delta(before, await commandCalls(observer))).toEqual({ set: 1, get: 2, incrby: 1, pexpire: 1 })
  })

  it('applies the batch TTL rule: a write needs its TTL in the same batch', async () => {
    await expect(db.pipeline().hset('p:h', { f: '1' }).exec()).rejects.toMatchObject({
      code: 'GUARD_TTL_REQUIRED',
    })
    expect(await observer.call(['EXISTS', 'p:h'])).toBe(0)
    expect(await db.pipeline().hset('p:h', { f: '1' }).pexpire('p:h', 60_000).exec()).toEqual([1, 1])
    // A TTL given before the key exists does nothing: the order matters.
    await expect(db.pipeline().pexpire('p:h2', 60_000).hset('p:h2', { f: '1' }).exec()).rejects.toMatchObject(
      {
        code: 'GUARD_TTL_REQUIRED',
      },
    )
    // Declared persistent: no TTL needed.
    expect(await db.pipeline().hset('app:settings', { theme: 'dark' }).exec()).toEqual([1])
  })

  it('refuses cross-slot multi-key commands even on one server, so code is Cluster-ready', async () => {
    await expect(db.pipeline().call(['MGET', 'foo', 'bar']).exec()).rejects.toMatchObject({
      code: 'GUARD_CROSSSLOT',
    })
    expect(await db.pipeline().call(['MGET', '{u1}:a', '{u1}:b']).exec()).toEqual([[null, null]])
  })

  it('carries scripts as EVAL, so a cold script cache cannot break a batch', async () => {
    await observer.call(['SCRIPT', 'FLUSH'])
    const [first, second] = await db
      .pipeline()
      .script(cappedIncr, { counter: 'p:c' }, { cap: 1, ttlMs: 60_000 })
      .script(cappedIncr, { counter: 'p:c' }, { cap: 1, ttlMs: 60_000 })
      .exec()
    expect([first, second]).toEqual([1, -1])
  })

  it('an empty pipeline costs nothing; bad input is refused', async () => {
    expect(await db.pipeline().exec()).toEqual([])
    expect(() => db.pipeline().call([] as string[])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    expect(() => db.pipeline().set('k', 'v', { px: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
    expect(() => db.pipeline().hset('k', {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('reports a failed command by its own error', async () => {
    await db.call(['SET', 'p:str', 'x', 'PX', 60_000])
    await expect(db.pipeline().get('p:str').hget('p:str', 'f').exec()).rejects.toMatchObject({
      code: 'COMMAND_ERROR',
      details: { command: 'HGET', redisCode: 'WRONGTYPE' },
    })
  })
})

describe('db.multi()', () => {
  it('runs all or nothing in one MULTI/EXEC', async () => {
    const before = await commandCalls(observer)
    const replies = await db.multi().set('{m}:a', '1', { px: 60_000 }).incr('{m}:a').pttl('{m}:a').exec()
    expect(replies[0]).toBe('OK')
    expect(replies[1]).toBe(2)
    expect(replies[2]).toBeGreaterThan(59_000)
    expect(delta(before, await commandCalls(observer))).toMatchObject({
      multi: 1,
      exec: 1,
      set: 1,
      incrby: 1,
    })
  })

  it('must be single-slot', async () => {
    await expect(
      db.multi().set('{m}:a', '1', { px: 1000 }).set('{other}:b', '2', { px: 1000 }).exec(),
    ).rejects.toMatchObject({ code: 'GUARD_CROSSSLOT' })
  })
})
