import { beforeAll, describe, expect, it } from 'vitest'
import { defineScript } from '../../src/atomic/script.js'
import { RedisExpertError } from '../../src/errors.js'
import { GuardError } from '../../src/guard/index.js'
import { connect } from '../../src/index.js'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { bindKeyspace } from '../../src/ops/index.js'
import { callsBetween, commandCalls } from '../support/commandstats.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/**
 * The strict guard reads defineScript scripts too — on EVALSHA (their SHA1 names their source),
 * on the EVAL fallback and in batches — and holds the commands they name to the hard stops; a
 * computed command name is refused unless the script is declared `reviewed: '<why>'`.
 */

const ks = defineKeyspace('dsg', {
  small: { pattern: 'small:<id>', type: t.hash(), role: 'state', ttl: '1d', maxItems: 8 },
})

const fixture = (name: string) => new URL(`./fixtures/declared/${name}`, import.meta.url)

const keysScript = defineScript({ name: 'dsg-keys', file: fixture('keys.lua'), keys: [], args: ['pattern'] })
const flushScript = defineScript({
  name: 'dsg-flushall',
  file: fixture('flushall.lua'),
  keys: ['marker'],
  args: [],
})
const wholeRead = defineScript({
  name: 'dsg-hgetall',
  file: fixture('hgetall.lua'),
  keys: ['hash'],
  args: [],
})
const dynamic = defineScript({
  name: 'dsg-dynamic',
  file: new URL('./fixtures/dynamic.lua', import.meta.url),
  keys: ['key'],
  args: ['command'],
})
const reviewedKeys = defineScript({
  name: 'dsg-reviewed-keys',
  file: fixture('reviewed-keys.lua'),
  keys: ['key'],
  args: ['command'],
  reviewed: 'ARGV[1] is HLEN or SCARD, chosen by the caller from a fixed list',
})

const { server, db } = await startRedisForFile()

beforeAll(async () => {
  db.declare(ks)
  await db.unsafe({ reason: 'test fixture' }, async (raw) => {
    const fields: string[] = []
    for (let i = 0; i < 2_000; i++) fields.push(`f${i}`, 'v')
    await raw.call(['HSET', 'legacy:big', ...fields])
  })
}, 30_000)

/** The guard code the call throws (or 'sent'), and which script commands reached the server. */
async function outcome(run: () => Promise<unknown>): Promise<{ code: string; sent: string[] }> {
  const before = await commandCalls(db)
  let code = 'sent'
  try {
    await run()
  } catch (error) {
    code = error instanceof GuardError ? error.code : `not refused by the guard: ${String(error)}`
  }
  const delta = callsBetween(before, await commandCalls(db))
  const sent = ['EVALSHA', 'EVAL', 'KEYS', 'FLUSHALL', 'HGETALL'].filter((name) => (delta[name] ?? 0) > 0)
  return { code, sent }
}

async function refusal(run: () => Promise<unknown>): Promise<GuardError> {
  try {
    await run()
  } catch (error) {
    if (error instanceof GuardError) return error
    throw error
  }
  throw new Error('not refused')
}

describe('the strict guard reads defineScript scripts', () => {
  it('refuses one that calls KEYS, on EVALSHA and on its EVAL fallback, before anything is sent', async () => {
    expect(await outcome(() => keysScript.run(db, {}, { pattern: '*' }))).toEqual({
      code: 'GUARD_KEYS',
      sent: [],
    })
    expect(await outcome(() => db.call(['EVAL', keysScript.source, 0, '*']))).toEqual({
      code: 'GUARD_KEYS',
      sent: [],
    })
    const error = await refusal(() => keysScript.run(db, {}, { pattern: '*' }))
    expect(error.message).toMatch(/inside script 'dsg-keys', line 8/)
    expect(error.violation.command).toBe("EVALSHA script 'dsg-keys' → KEYS")
  })

  it('refuses one that calls FLUSHALL: nothing is flushed', async () => {
    await db.call(['SET', 'dsg:survivor', '1', 'PX', 60_000])
    expect(await outcome(() => flushScript.run(db, { marker: 'dsg:marker' }, {}))).toEqual({
      code: 'GUARD_BLOCKING',
      sent: [],
    })
    expect(await db.call(['EXISTS', 'dsg:survivor'])).toBe(1)
    expect(await db.call(['EXISTS', 'legacy:big'])).toBe(1)
  })

  it('in a batch (MULTI), naming the command of the batch', async () => {
    const error = await refusal(() =>
      db.batch([['GET', '{dsg}:survivor'], flushScript.command({ marker: '{dsg}:marker' }, {})], {
        atomic: true,
      }),
    )
    expect(error.code).toBe('GUARD_BLOCKING')
    expect(error.violation.index).toBe(1)
    expect(error.violation.command).toBe("EVALSHA script 'dsg-flushall' → FLUSHALL")
    expect(await db.call(['EXISTS', 'legacy:big'])).toBe(1)
  })

  it('judges an unbounded read with the call’s own key: refused on an undeclared hash, run on a bounded entry', async () => {
    expect(await outcome(() => wholeRead.run(db, { hash: 'legacy:big' }, {}))).toEqual({
      code: 'GUARD_UNBOUNDED',
      sent: [],
    })
    const small = ks.small.key({ id: 1 })
    await bindKeyspace(db, ks).small({ id: 1 }).hset({ a: '1' })
    expect(await wholeRead.run(db, { hash: small }, {})).toEqual(['a', '"1"']) // the entry's JSON codec
  })

  it('refuses a computed command name (GUARD_SCRIPT) unless the script is declared reviewed', async () => {
    const error = await refusal(() => dynamic.run(db, { key: 'legacy:big' }, { command: 'HLEN' }))
    expect(error.code).toBe('GUARD_SCRIPT')
    expect(error.message).toMatch(/script 'dsg-dynamic' calls redis\.call\(<not a literal>\) at line 9/)
    expect(error.message).toMatch(/reviewed: '<why they are safe>'/)
    const reviewed = defineScript({
      name: 'dsg-dynamic-reviewed',
      file: fixture('dynamic-reviewed.lua'),
      keys: ['key'],
      args: ['command'],
      reviewed: 'called with HLEN or TYPE only',
    })
    expect(reviewed.reviewed).toBe('called with HLEN or TYPE only')
    expect(await reviewed.run(db, { key: 'legacy:big' }, { command: 'HLEN' })).toBe(2_000)
  })

  it('reviewed excuses the computed names only: a literal KEYS beside them is still refused', async () => {
    expect(await outcome(() => reviewedKeys.run(db, { key: 'legacy:big' }, { command: 'HLEN' }))).toEqual({
      code: 'GUARD_KEYS',
      sent: [],
    })
  })

  it('the toolkit’s own scripts still run: the typed write (reviewed) on a cold script cache', async () => {
    await db.unsafe({ reason: 'test: a cold script cache' }, (raw) => raw.call(['SCRIPT', 'FLUSH']))
    expect(await bindKeyspace(db, ks).small({ id: 2 }).hset({ b: '2' })).toBe(1)
  })

  it('warn mode sends it and reports the violation', async () => {
    const warned = await connect({ url: server.url, guard: 'warn' })
    try {
      const seen: string[] = []
      warned.on('violation', (event: { code: string }) => seen.push(event.code))
      expect(await dynamic.run(warned, { key: 'legacy:big' }, { command: 'HLEN' })).toBe(2_000)
      // One event per command sent: EVALSHA, then its EVAL on a server that had not seen the script.
      expect(seen.length).toBeGreaterThan(0)
      expect(new Set(seen)).toEqual(new Set(['GUARD_SCRIPT']))
    } finally {
      await warned.close()
    }
  })

  it('reviewed must say why: an empty reason or a non-string is SCRIPT_INVALID', () => {
    for (const reviewed of ['', '  ', true, 1]) {
      let error: unknown
      try {
        defineScript({
          name: 'dsg-bad-reviewed',
          file: fixture('hgetall.lua'),
          keys: ['hash'],
          args: [],
          reviewed: reviewed as string,
        })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(RedisExpertError)
      expect((error as RedisExpertError).code).toBe('SCRIPT_INVALID')
    }
  })
})
