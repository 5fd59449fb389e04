import { beforeAll, describe, expect, it } from 'vitest'
import { defineScript } from '../../src/atomic/script.js'
import { connect } from '../../src/connect.js'
import { GuardError } from '../../src/guard/index.js'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { bindKeyspace } from '../../src/ops/index.js'
import { callsBetween, commandCalls } from '../support/commandstats.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/**
 * The strict guard reads the scripts a caller builds — EVAL, EVAL_RO, SCRIPT LOAD, FUNCTION LOAD —
 * and applies the hard stops to the commands they call, before anything is sent; declared
 * (defineScript) scripts are read too (test/guard/define-script.test.ts).
 */

const ks = defineKeyspace('scr', {
  small: { pattern: 'small:<id>', type: t.hash(), role: 'state', ttl: '1d', maxItems: 8 },
  cache: { pattern: 'cache:<id>', type: t.string(), role: 'cache', ttl: '1m' },
})

const { server, db } = await startRedisForFile()

beforeAll(async () => {
  db.declare(ks)
  // An undeclared hash of 10 000 fields: what an EVAL of HGETALL would return in one reply.
  await db.unsafe({ reason: 'test fixture' }, async (raw) => {
    const fields: string[] = []
    for (let i = 0; i < 10_000; i++) fields.push(`f${i}`, 'v')
    await raw.call(['HSET', 'legacy:big', ...fields])
  })
}, 30_000)

/** The guard code of what the call throws, or 'sent' — and whether the server saw the command at all. */
async function outcome(command: (string | number)[]): Promise<{ code: string; ran: boolean }> {
  const before = await commandCalls(db)
  let code = 'sent'
  try {
    await db.call(command)
  } catch (error) {
    code = error instanceof GuardError ? error.code : `not refused by the guard: ${String(error)}`
  }
  const delta = callsBetween(before, await commandCalls(db))
  const name = String(command[0]).toUpperCase()
  const sub = String(command[1]).toUpperCase()
  const ran = (delta[name] ?? 0) > 0 || (delta[`${name}|${sub}`] ?? 0) > 0
  return { code, ran }
}

describe('the strict guard reads scripts built at the call site', () => {
  it('refuses the bypasses of issue 14 before sending them: KEYS, FLUSHALL, HGETALL of an undeclared key, EVAL_RO, FUNCTION LOAD, SCRIPT LOAD', async () => {
    expect(await outcome(['EVAL', "return redis.call('KEYS', '*')", 0])).toEqual({
      code: 'GUARD_KEYS',
      ran: false,
    })
    expect(await outcome(['EVAL', "return redis.call('FLUSHALL')", 0])).toEqual({
      code: 'GUARD_BLOCKING',
      ran: false,
    })
    expect(await outcome(['EVAL', "return redis.call('HGETALL', KEYS[1])", 1, 'legacy:big'])).toEqual({
      code: 'GUARD_UNBOUNDED',
      ran: false,
    })
    expect(await outcome(['EVAL_RO', "return redis.call('HGETALL', KEYS[1])", 1, 'legacy:big'])).toEqual({
      code: 'GUARD_UNBOUNDED',
      ran: false,
    })
    const library =
      "#!lua name=lib\nredis.register_function{function_name='all', callback=function(keys) return redis.call('KEYS', '*') end, flags={'no-writes'}}"
    expect(await outcome(['FUNCTION', 'LOAD', 'REPLACE', library])).toEqual({
      code: 'GUARD_KEYS',
      ran: false,
    })
    expect(await outcome(['SCRIPT', 'LOAD', "return redis.call('SMEMBERS', 'legacy:set')"])).toEqual({
      code: 'GUARD_UNBOUNDED',
      ran: false,
    })
    // The server is intact.
    expect(await db.unsafe({ reason: 'test' }, (raw) => raw.call(['HLEN', 'legacy:big']))).toBe(10_000)
  })

  it('applies the hard stops with the call’s own keys and arguments: bounded reads pass, TTLs must follow writes, one slot', async () => {
    const small = bindKeyspace(db, ks).small({ id: 1 }).key
    await bindKeyspace(db, ks).small({ id: 1 }).hset({ a: '1' })
    expect(await db.call(['EVAL', "return redis.call('HGETALL', KEYS[1])", 1, small])).toEqual(['a', '"1"'])
    const cache = bindKeyspace(db, ks).cache({ id: 1 }).key
    expect(await outcome(['EVAL', "return redis.call('SET', KEYS[1], ARGV[1])", 1, cache, 'v'])).toEqual({
      code: 'GUARD_TTL_REQUIRED',
      ran: false,
    })
    await db.call([
      'EVAL',
      "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('PEXPIRE', KEYS[1], ARGV[2])",
      1,
      cache,
      'v',
      60_000,
    ])
    expect(await db.call(['PTTL', cache])).toBeGreaterThan(50_000)
    expect(await outcome(['EVAL', "return redis.call('LRANGE', KEYS[1], 0, -1)", 1, 'legacy:list'])).toEqual({
      code: 'GUARD_UNBOUNDED',
      ran: false,
    })
    expect(
      await outcome(['EVAL', "return redis.call('LRANGE', KEYS[1], 0, ARGV[1])", 1, 'legacy:list', 99]),
    ).toEqual({
      code: 'sent',
      ran: true,
    })
    expect(await outcome(['EVAL', "redis.call('GET', 'a{1}') return redis.call('GET', 'b{2}')", 0])).toEqual({
      code: 'GUARD_CROSSSLOT',
      ran: false,
    })
    // A command named in a comment or a string is not a call.
    expect(await db.call(['EVAL', "-- redis.call('KEYS', '*')\nreturn \"redis.call('FLUSHALL')\"", 0])).toBe(
      "redis.call('FLUSHALL')",
    )
  })

  it('refuses a script whose command names are not literals (GUARD_SCRIPT), naming the line', async () => {
    let error: unknown
    try {
      await db.call(['EVAL', 'local c = ARGV[1]\nreturn redis.call(c, KEYS[1])', 1, 'x', 'GET'])
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(GuardError)
    expect((error as GuardError).code).toBe('GUARD_SCRIPT')
    expect((error as GuardError).message).toMatch(/line 2: a command name that is not a literal/)
    expect((error as GuardError).message).toMatch(/declare the script with defineScript/)
  })

  it('in a batch too, naming the command of the batch', async () => {
    let error: unknown
    try {
      await db.batch([
        ['GET', 'x'],
        ['EVAL', "return redis.call('KEYS', '*')", 0],
      ])
    } catch (e) {
      error = e
    }
    expect((error as GuardError).code).toBe('GUARD_KEYS')
    expect((error as GuardError).violation.index).toBe(1)
  })

  it('declared scripts with reviewed computed names run, on EVALSHA and on their EVAL fallback (the typed write on a cold cache)', async () => {
    // Without `reviewed` the computed name is GUARD_SCRIPT (test/guard/define-script.test.ts).
    const script = defineScript({
      name: 'reviewed-dynamic',
      file: new URL('./fixtures/dynamic.lua', import.meta.url),
      keys: ['key'],
      args: ['command'],
      reviewed: 'called with a one-key read command only (HLEN, TYPE)',
    })
    await db.unsafe({ reason: 'test: a cold script cache' }, (raw) => raw.call(['SCRIPT', 'FLUSH']))
    expect(await script.run(db, { key: 'legacy:big' }, { command: 'HLEN' })).toBe(10_000)
    await db.unsafe({ reason: 'test: a cold script cache' }, (raw) => raw.call(['SCRIPT', 'FLUSH']))
    // write.lua calls commands named by ARGV from its own tables: declared reviewed, so the EVAL fallback is not refused.
    expect(await bindKeyspace(db, ks).small({ id: 2 }).hset({ b: '2' })).toBe(1)
  })

  it('warn mode sends it and reports; db.unsafe is the explicit escape hatch', async () => {
    const warned = await connect({ url: server.url, guard: 'warn' })
    try {
      const seen: string[] = []
      warned.on('violation', (event: { code: string }) => seen.push(event.code))
      expect(await warned.call(['EVAL', "return #redis.call('KEYS', 'legacy:*')", 0])).toBeGreaterThan(0)
      expect(seen).toEqual(['GUARD_KEYS'])
    } finally {
      await warned.close()
    }
    expect(
      await db.unsafe({ reason: 'test: reviewed by hand' }, (raw) =>
        raw.call(['EVAL', "return #redis.call('KEYS', 'legacy:*')", 0]),
      ),
    ).toBeGreaterThan(0)
  })
})
