/**
 * The guard's decision table, run through a connected client against a real server: refused
 * commands never reach it (strict), the same commands pass in 'off', and 'warn' reports
 * each refusal as a `violation` event and sends the command anyway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type GuardEvent, type RedisExpertClient } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import { commandCalls } from '../support/commandstats.js'
import { COMMAND_CASES, type CommandCase } from './cases.js'

/** Commands that would stop, pause or take over the test server's connection when actually sent. */
const HARMFUL = new Set(['SHUTDOWN', 'MONITOR', 'DEBUG', 'CLIENT'])

// Cases about undeclared keys on a durable server: declarations and durability are tested separately.
const CASES = COMMAND_CASES.filter((c) => c.declared === undefined && c.durabilityOk !== false)
const SENDABLE = CASES.filter((c) => !HARMFUL.has(c.command[0]?.toUpperCase() ?? ''))

let server: RedisServer
const clients: RedisExpertClient[] = []
async function client(guard: 'strict' | 'warn' | 'off'): Promise<RedisExpertClient> {
  const db = await connect({ url: server.url, guard })
  clients.push(db)
  return db
}

beforeAll(async () => {
  server = await startRedis({ config: { appendonly: 'yes', appendfsync: 'everysec' } })
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()))
  await server?.stop()
})

/** The guard's code when it refused, 'ok' when the command reached the server (whatever it answered). */
async function outcome(db: RedisExpertClient, test: CommandCase): Promise<string> {
  try {
    await db.call(test.command)
    return 'ok'
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown'
    return code.startsWith('GUARD_') ? code : 'ok'
  }
}

describe('the decision table on a real server', () => {
  it(`has at least 60 cases, allowed and refused`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60)
    expect(CASES.filter((c) => c.expect === 'ok').length).toBeGreaterThanOrEqual(20)
    expect(new Set(CASES.map((c) => c.expect)).size).toBeGreaterThanOrEqual(6)
  })

  it('strict: each case is refused with its code or allowed; refused commands never reach the server', async () => {
    const db = await client('strict')
    const observer = await client('off')
    for (const test of CASES) {
      const name = test.command[0]?.toLowerCase().replace(/ .*/, '') ?? ''
      // The client sends DEL of a possibly large key as UNLINK instead of refusing it.
      const rewritten = name === 'del' && test.expect === 'GUARD_BLOCKING'
      const before = await commandCalls(observer)
      const rewrites = db.stats().guard.rewritten
      expect(await outcome(db, test), `${test.command.join(' ')} — ${test.note}`).toBe(
        rewritten ? 'ok' : test.expect,
      )
      if (rewritten) expect(db.stats().guard.rewritten).toBe(rewrites + 1)
      if (test.expect !== 'ok') {
        const after = await commandCalls(observer)
        expect(after.get(name) ?? 0, `${name} reached the server`).toBe(before.get(name) ?? 0)
      }
    }
  })

  it('off: the same commands are all sent', async () => {
    const db = await client('off')
    for (const test of SENDABLE) expect(await outcome(db, test), test.command.join(' ')).toBe('ok')
    expect(db.stats().guard.refused).toBe(0)
  })

  it('warn: each refusal becomes a violation event and the command is sent', async () => {
    const db = await client('warn')
    const events: GuardEvent[] = []
    db.on('violation', (event) => events.push(event))
    for (const test of SENDABLE) {
      events.length = 0
      expect(await outcome(db, test), test.command.join(' ')).toBe('ok')
      if (test.expect === 'ok') expect(events.filter((e) => e.action !== 'rewritten')).toEqual([])
      else expect(events[0], test.command.join(' ')).toMatchObject({ code: test.expect, mode: 'warn' })
    }
    const stats = db.stats().guard
    expect(stats.warned).toBeGreaterThanOrEqual(SENDABLE.filter((c) => c.expect !== 'ok').length)
    expect(stats.violations.GUARD_KEYS).toBeGreaterThanOrEqual(1)
  })

  it('unsafe() lets a refusal through with its reason, and the reason is required', async () => {
    const db = await client('strict')
    const events: GuardEvent[] = []
    db.on('violation', (event) => events.push(event))
    const keys = await db.unsafe({ reason: 'one-off migration on an empty test server' }, (raw) =>
      raw.call(['KEYS', '*']),
    )
    expect(Array.isArray(keys)).toBe(true)
    expect(events).toMatchObject([
      { code: 'GUARD_KEYS', action: 'allowed', reason: expect.stringContaining('migration') },
    ])
    expect(() => db.unsafe({ reason: '' }, (raw) => raw.call(['KEYS', '*']))).toThrow(/reason/)
    await expect(db.call(['KEYS', '*'], { allow: ['GUARD_KEYS'] })).resolves.toBeDefined()
  })

  it('rewrites DEL of an undeclared (possibly large) key to UNLINK', async () => {
    const db = await client('strict')
    const observer = await client('off')
    await db.call(['SET', 'victim', 'x', 'PX', 60_000])
    const before = await commandCalls(observer)
    expect(await db.call(['DEL', 'victim'])).toBe(1)
    const after = await commandCalls(observer)
    expect((after.get('unlink') ?? 0) - (before.get('unlink') ?? 0)).toBe(1)
    expect(after.get('del') ?? 0).toBe(before.get('del') ?? 0)
    expect(db.stats().guard.rewritten).toBe(1)
  })
})
