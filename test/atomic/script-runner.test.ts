import { describe, expect, it } from 'vitest'
import { defineScript } from '../../src/index.js'
import { connectAlsoForFile, startRedisForFile } from '../support/redis-fixture.js'
import { cappedIncr } from './fixtures/scripts.js'
import { commandCalls, delta } from './helpers.js'

/** The one script runner (Script.run): call options, the read-only variants, batches. */

const readOnly = defineScript({
  name: 'read-only',
  file: new URL('./fixtures/read-only.lua', import.meta.url),
  keys: ['key'],
  args: [],
})

const { server, db } = await startRedisForFile()
const observer = await connectAlsoForFile(server, { guard: 'off' })

describe('Script.run options', () => {
  it('readonly sends EVALSHA_RO, and EVAL_RO once on NOSCRIPT', async () => {
    await db.call(['SET', 'ro:k', 'v', 'PX', 60_000])
    await observer.call(['SCRIPT', 'FLUSH'])
    const before = await commandCalls(observer)
    expect(await readOnly.run(db, { key: 'ro:k' }, {}, { readonly: true })).toBe('v')
    expect(delta(before, await commandCalls(observer))).toEqual({ evalsha_ro: 1, eval_ro: 1, get: 1 })
    const warm = await commandCalls(observer)
    expect(await readOnly.run(db, { key: 'ro:k' }, {}, { readonly: true })).toBe('v')
    expect(delta(warm, await commandCalls(observer))).toEqual({ evalsha_ro: 1, get: 1 })
  })

  it('passes the call options on (buffers), and still refuses a missing key', async () => {
    const reply = await readOnly.run(db, { key: 'ro:k' }, {}, { buffers: true })
    expect(Buffer.isBuffer(reply)).toBe(true)
    await expect(readOnly.run(db, {} as { key: string }, {})).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
  })
})

describe('Script.batch', () => {
  it('several calls in one pipeline; on a cold server the batch once more with EVAL', async () => {
    await observer.call(['SCRIPT', 'FLUSH'])
    const lines = [1, 2, 3].map((n) => cappedIncr.command({ counter: `{b}:${n}` }, { cap: 5, ttlMs: 60_000 }))
    const before = await commandCalls(observer)
    expect(await cappedIncr.batch(db, lines)).toEqual([1, 1, 1])
    expect(delta(before, await commandCalls(observer))).toMatchObject({ eval: 3, incr: 3 })
    const warm = await commandCalls(observer)
    expect(await cappedIncr.batch(db, lines)).toEqual([2, 2, 2])
    expect(delta(warm, await commandCalls(observer))).toEqual({ evalsha: 3, get: 3, incr: 3, pexpire: 3 })
  })
})
