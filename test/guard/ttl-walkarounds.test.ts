import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_TTL_MS } from '../../src/common/index.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { checkBatch, checkCommand, type GuardCommand, type KeyPolicy } from '../../src/guard/index.js'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import { testContext } from './keys.js'

/*
 * Issue 16: the TTL rule could be walked around — RENAME/COPY of a persistent key onto a key whose
 * entry has a TTL left it without one; [HSET h …] + [PEXPIRE h 'abc' | 1.5] passed the guard (Redis
 * then rejected the PEXPIRE, leaving h without a TTL); SET k v PX 9000000000000000 (~285 000 years)
 * was accepted.
 */

const persistent: Partial<KeyPolicy> = { persistent: true }
const withTtl: Partial<KeyPolicy> = {}
const codes = (violations: readonly { code: string }[]) => violations.map((v) => v.code)

describe('TTL arguments are validated: an integer, > 0, at most MAX_TTL_MS (10 years)', () => {
  it('MAX_TTL_MS is 10 years, documented and shared with the keyspace', () => {
    expect(MAX_TTL_MS).toBe(10 * 365 * 86_400_000)
  })

  const bad: [string, GuardCommand[]][] = [
    ['PEXPIRE abc', [['PEXPIRE', 'h', 'abc']]],
    ['PEXPIRE 1.5 (text)', [['PEXPIRE', 'h', '1.5']]],
    ['PEXPIRE 1.5 (number)', [['PEXPIRE', 'h', 1.5]]],
    ['EXPIRE beyond 10 years', [['EXPIRE', 'h', String(11 * 365 * 86_400)]]],
    ['SET PX 9e15', [['SET', 'k', 'v', 'PX', '9000000000000000']]],
    ['SET PX 0', [['SET', 'k', 'v', 'PX', '0']]],
    ['SET EX -1', [['SET', 'k', 'v', 'EX', '-1']]],
    ['SET PX empty', [['SET', 'k', 'v', 'PX', '']]],
    ['SET PX 20 digits', [['SET', 'k', 'v', 'PX', '99999999999999999999']]],
    ['SET PXAT 285 000 years from now', [['SET', 'k', 'v', 'PXAT', '9000000000000000']]],
    ['SETEX abc', [['SETEX', 'k', 'abc', 'v']]],
    ['PSETEX 0', [['PSETEX', 'k', '0', 'v']]],
    ['GETEX PX 1.5', [['GETEX', 'k', 'PX', '1.5']]],
    ['PEXPIREAT far future', [['PEXPIREAT', 'k', String(Date.now() + 20 * 365 * 86_400_000)]]],
    ['RESTORE ttl abc', [['RESTORE', 'k', 'abc', 'payload']]],
    ['RESTORE ttl -5', [['RESTORE', 'k', '-5', 'payload']]],
  ]
  for (const [label, commands] of bad) {
    it(`refuses ${label}`, () => {
      const command = commands[0]!
      const single = checkCommand(command, testContext())
      expect(codes(single)).toContain('GUARD_TTL_REQUIRED')
      expect(single.find((v) => v.code === 'GUARD_TTL_REQUIRED')?.message).toMatch(/not a valid TTL/)
      // A persistent key gains nothing from a bad TTL either: the command fails on the server.
      expect(codes(checkCommand(command, testContext({ declared: { '*': persistent } })))).toContain(
        'GUARD_TTL_REQUIRED',
      )
    })
  }

  const good: [string, GuardCommand][] = [
    ['PEXPIRE 60000', ['PEXPIRE', 'h', '60000']],
    ['PEXPIRE as a number', ['PEXPIRE', 'h', 60_000]],
    ['EXPIRE 10 years exactly', ['EXPIRE', 'h', String(10 * 365 * 86_400)]],
    ['EXPIRE 0 (deletes)', ['EXPIRE', 'h', '0']],
    ['PEXPIRE -1 (deletes)', ['PEXPIRE', 'h', '-1']],
    ['SET PX 1', ['SET', 'k', 'v', 'PX', '1']],
    ['SET EXAT in an hour', ['SET', 'k', 'v', 'EXAT', String(Math.floor(Date.now() / 1000) + 3600)]],
    ['PEXPIREAT in the past (deletes)', ['PEXPIREAT', 'k', '1000']],
    ['SETEX 60', ['SETEX', 'k', '60', 'v']],
    ['GETEX EX 60', ['GETEX', 'k', 'EX', '60']],
    ['RESTORE ttl 1000', ['RESTORE', 'k', '1000', 'payload']],
  ]
  for (const [label, command] of good) {
    it(`allows ${label}`, () => {
      expect(codes(checkCommand(command, testContext()))).toEqual([])
    })
  }

  it('[HSET h] + [PEXPIRE h abc | 1.5] leaves h without a TTL: refused', () => {
    for (const ttl of ['abc', '1.5', 1.5, '9000000000000000']) {
      const v = checkBatch(
        [
          ['HSET', 'h', 'f', 'v'],
          ['PEXPIRE', 'h', ttl],
        ],
        { atomic: true },
        testContext(),
      )
      expect(
        v.map((x) => [x.code, x.index]),
        String(ttl),
      ).toEqual([
        ['GUARD_TTL_REQUIRED', 0],
        ['GUARD_TTL_REQUIRED', 1],
      ])
    }
  })
})

describe('RENAME / COPY onto a key whose entry has a TTL apply the destination declaration', () => {
  const ctx = testContext({ declared: { '{p}:config': persistent, '{p}:cache': withTtl } })

  it('RENAME/RENAMENX/COPY of a persistent key onto a TTL entry: refused alone', () => {
    for (const name of ['RENAME', 'RENAMENX', 'COPY']) {
      const v = checkCommand([name, '{p}:config', '{p}:cache'], ctx)
      expect(codes(v), name).toEqual(['GUARD_TTL_REQUIRED'])
      expect(v[0]?.key).toBe('{p}:cache')
      expect(v[0]?.message).toContain('persistent')
    }
  })

  it('… and allowed when a PEXPIRE follows in the same MULTI', () => {
    expect(
      checkBatch(
        [
          ['COPY', '{p}:config', '{p}:cache'],
          ['PEXPIRE', '{p}:cache', '60000'],
        ],
        { atomic: true },
        ctx,
      ),
    ).toEqual([])
    expect(
      codes(
        checkBatch(
          [
            ['PEXPIRE', '{p}:cache', '60000'],
            ['RENAME', '{p}:config', '{p}:cache'],
          ],
          { atomic: true },
          ctx,
        ),
      ),
    ).toEqual(['GUARD_TTL_REQUIRED'])
  })

  it('onto a persistent entry, or from a TTL entry (whose TTL moves with it): allowed', () => {
    expect(checkCommand(['RENAME', '{p}:cache', '{p}:config'], ctx)).toEqual([])
    expect(checkCommand(['RENAME', '{p}:cache', '{p}:other'], ctx)).toEqual([])
    expect(checkCommand(['RENAME', '{u}:a', '{u}:b'], testContext())).toEqual([])
  })

  it('RESTORE onto a TTL entry must carry a TTL; onto a persistent one it may not', () => {
    expect(codes(checkCommand(['RESTORE', '{p}:cache', '0', 'payload'], ctx))).toEqual(['GUARD_TTL_REQUIRED'])
    expect(checkCommand(['RESTORE', '{p}:config', '0', 'payload'], ctx)).toEqual([])
  })

  it('MOVE keeps the key name, so the declaration is its own: allowed', () => {
    expect(checkCommand(['MOVE', '{p}:cache', '1'], ctx)).toEqual([])
  })
})

describe('through a client on a real server (strict)', () => {
  const ks = defineKeyspace('walk', {
    config: { pattern: 'config:{<id>}', type: t.json(), role: 'reference', ttl: 'persistent' },
    page: { pattern: 'page:{<id>}', type: t.json(), role: 'cache', ttl: '1h' },
    profile: { pattern: 'profile:<id>', type: t.hash(), role: 'state', ttl: '1h' },
  })
  let server: RedisServer
  let db: RedisExpertClient
  beforeAll(async () => {
    server = await startRedis()
    db = await connect({ url: server.url, keyspaces: [ks] })
  })
  afterAll(async () => {
    await db?.close()
    await server?.stop()
  })

  it('refuses each walk-around before anything is sent; the keys stay as they were', async () => {
    const config = ks.config.key({ id: 'a' })
    const page = ks.page.key({ id: 'a' })
    const profile = ks.profile.key({ id: 'a' })
    await db.call(['SET', config, '{"v":1}'])
    await expect(db.call(['RENAME', config, page])).rejects.toMatchObject({ code: 'GUARD_TTL_REQUIRED' })
    await expect(db.call(['COPY', config, page])).rejects.toMatchObject({ code: 'GUARD_TTL_REQUIRED' })
    await expect(
      db.batch(
        [
          ['HSET', profile, 'f', 'v'],
          ['PEXPIRE', profile, 'abc'],
        ],
        { atomic: true },
      ),
    ).rejects.toMatchObject({ code: 'GUARD_TTL_REQUIRED' })
    await expect(db.call(['SET', page, 'v', 'PX', '9000000000000000'])).rejects.toMatchObject({
      code: 'GUARD_TTL_REQUIRED',
    })
    expect(await db.call(['EXISTS', page])).toBe(0)
    expect(await db.call(['EXISTS', profile])).toBe(0)
    expect(await db.call(['GET', config])).toBe('{"v":1}')
    // The sanctioned way: COPY then PEXPIRE in one MULTI.
    await db.batch(
      [
        ['COPY', config, page],
        ['PEXPIRE', page, 60_000],
      ],
      { atomic: true },
    )
    expect(await db.call(['PTTL', page])).toBeGreaterThan(0)
  })
})
