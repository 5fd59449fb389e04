import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { RedisExpertError } from '../../src/errors.js'
import { Guard, GuardError, type GuardEvent, type GuardMode } from '../../src/guard/index.js'
import { COMMAND_CASES } from './cases.js'
import { testContext } from './keys.js'

const ctx = testContext()

function events(guard: Guard): GuardEvent[] {
  const seen: GuardEvent[] = []
  guard.on('violation', (event) => seen.push(event))
  return seen
}

describe('Guard modes', () => {
  it('is strict by default and refuses with a GuardError naming rule, command and fix', () => {
    const guard = new Guard()
    expect(guard.mode).toBe('strict')
    expect(guard.active).toBe(true)
    const seen = events(guard)
    let thrown: unknown
    try {
      guard.check(['SMEMBERS', 'tags'], ctx)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(GuardError)
    expect(thrown).toBeInstanceOf(RedisExpertError)
    const error = thrown as GuardError
    expect(error.code).toBe('GUARD_UNBOUNDED')
    expect(error.message).toMatch(/^GUARD_UNBOUNDED: SMEMBERS tags refused — SMEMBERS reads every member/)
    expect(error.message).toMatch(
      /Fix: iterate with SSCAN .*\(escape hatch: db\.unsafe\(\{ reason \}, \.\.\.\)\)$/,
    )
    expect(seen).toMatchObject([{ code: 'GUARD_UNBOUNDED', action: 'refused', mode: 'strict' }])
    expect(guard.stats()).toMatchObject({
      refused: 1,
      warned: 0,
      allowed: 0,
      violations: { GUARD_UNBOUNDED: 1 },
    })
  })

  it('strict throws the first violation and carries them all', () => {
    const guard = new Guard('strict')
    try {
      guard.checkBatch(
        [
          ['KEYS', '*'],
          ['SET', 'k', 'v'],
        ],
        {},
        ctx,
      )
      expect.unreachable()
    } catch (error) {
      expect((error as GuardError).code).toBe('GUARD_KEYS')
      expect((error as GuardError).violations.map((v) => v.code)).toEqual([
        'GUARD_KEYS',
        'GUARD_TTL_REQUIRED',
      ])
    }
    expect(guard.stats().refused).toBe(2)
  })

  it('warn emits a violation event per violation and lets every case through', () => {
    const guard = new Guard('warn')
    const seen = events(guard)
    let refused = 0
    for (const c of COMMAND_CASES) {
      const context = testContext({
        declared: c.declared ? { '*': c.declared } : {},
        durabilityOk: c.durabilityOk ?? true,
      })
      expect(() => guard.check(c.command, context)).not.toThrow()
      if (c.expect !== 'ok') refused++
    }
    expect(new Set(seen.map((e) => e.action))).toEqual(new Set(['warned']))
    expect(seen.length).toBeGreaterThanOrEqual(refused)
    expect(guard.stats().warned).toBe(seen.length)
  })

  it('off computes nothing and lets everything through', () => {
    const guard = new Guard('off')
    expect(guard.active).toBe(false)
    const seen = events(guard)
    let asked = 0
    const spy = {
      ...ctx,
      keysOf: () => {
        asked++
        return []
      },
      declarationOf: () => {
        asked++
        return undefined
      },
    }
    for (const c of COMMAND_CASES) guard.check(c.command, spy)
    guard.checkBatch([['KEYS', '*']], { atomic: true }, spy)
    guard.enforce([{ rule: 'keys', code: 'GUARD_KEYS', command: 'KEYS', message: 'm', fix: 'f' }])
    expect(asked).toBe(0)
    expect(seen).toEqual([])
    expect(guard.stats().violations.GUARD_KEYS).toBe(0)
  })

  it('can change mode, and rejects unknown modes', () => {
    const guard = new Guard('warn')
    guard.mode = 'strict'
    expect(() => guard.check(['KEYS', '*'], ctx)).toThrow(GuardError)
    expect(() => new Guard('loose' as GuardMode)).toThrow(/guard mode must be one of strict, warn, off/)
    expect(() => {
      guard.mode = 'x' as GuardMode
    }).toThrow(RedisExpertError)
  })
})

describe('escape hatches', () => {
  it('unsafe() lets violations through, reported with the reason', () => {
    const guard = new Guard('strict')
    const seen = events(guard)
    const result = guard.unsafe({ reason: 'one-off migration' }, () => {
      guard.check(['KEYS', 'legacy:*'], ctx)
      return 42
    })
    expect(result).toBe(42)
    expect(seen).toMatchObject([{ code: 'GUARD_KEYS', action: 'allowed', reason: 'one-off migration' }])
    expect(guard.stats()).toMatchObject({ allowed: 1, refused: 0 })
    // Outside the scope the guard is strict again.
    expect(() => guard.check(['KEYS', '*'], ctx)).toThrow(GuardError)
  })

  it('unsafe() follows async continuations, and nests', async () => {
    const guard = new Guard('strict')
    const seen = events(guard)
    await guard.unsafe({ reason: 'outer' }, async () => {
      await sleep(1)
      guard.check(['FLUSHALL'], ctx)
      await guard.unsafe({ reason: 'inner' }, async () => {
        await sleep(1)
        guard.check(['MONITOR'], ctx)
      })
      guard.check(['SAVE'], ctx)
    })
    expect(seen.map((e) => [e.command, e.reason])).toEqual([
      ['FLUSHALL', 'outer'],
      ['MONITOR', 'inner'],
      ['SAVE', 'outer'],
    ])
    expect(guard.unsafeReason).toBeUndefined()
  })

  it('a concurrent task outside the scope stays guarded', async () => {
    const guard = new Guard('strict')
    const inside = guard.unsafe({ reason: 'backfill' }, async () => {
      await sleep(5)
      guard.check(['KEYS', '*'], ctx)
    })
    const outside = (async () => {
      await sleep(1)
      guard.check(['KEYS', '*'], ctx)
    })()
    const [a, b] = await Promise.allSettled([inside, outside])
    expect(a.status).toBe('fulfilled')
    expect(b.status === 'rejected' && b.reason instanceof GuardError).toBe(true)
  })

  it.each([
    ['no options', undefined],
    ['no reason', {}],
    ['an empty reason', { reason: '' }],
    ['a blank reason', { reason: '   ' }],
    ['a non-string reason', { reason: 42 }],
  ])('unsafe() with %s is an INVALID_ARGUMENT', (_, options) => {
    const guard = new Guard()
    expect(() => guard.unsafe(options as { reason: string }, () => 1)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    )
  })

  it('enforce() takes an explicit reason or a per-call allow list', () => {
    const guard = new Guard('strict')
    const seen = events(guard)
    guard.check(['SET', 'k', 'v'], ctx, { unsafeReason: 'seeding fixtures' })
    guard.check(['SMEMBERS', 's'], ctx, { allow: ['GUARD_UNBOUNDED'] })
    expect(() => guard.check(['SMEMBERS', 's'], ctx, { allow: ['GUARD_KEYS'] })).toThrow(GuardError)
    expect(() => guard.check(['SET', 'k', 'v'], ctx, { unsafeReason: '' })).toThrow(/non-empty string/)
    expect(seen.map((e) => [e.code, e.action, e.reason])).toEqual([
      ['GUARD_TTL_REQUIRED', 'allowed', 'seeding fixtures'],
      ['GUARD_UNBOUNDED', 'allowed', 'allow: GUARD_UNBOUNDED'],
      ['GUARD_UNBOUNDED', 'refused', undefined],
    ])
  })

  it('counts per rule, and resets', () => {
    const guard = new Guard('warn')
    guard.check(['KEYS', '*'], ctx)
    guard.check(['KEYS', '*'], ctx)
    guard.check(['MGET', 'foo', 'bar'], ctx)
    expect(guard.stats()).toEqual({
      mode: 'warn',
      violations: {
        GUARD_KEYS: 2,
        GUARD_UNBOUNDED: 0,
        GUARD_TTL_REQUIRED: 0,
        GUARD_DURABILITY: 0,
        GUARD_BLOCKING: 0,
        GUARD_CROSSSLOT: 1,
        GUARD_SCRIPT: 0,
      },
      refused: 0,
      warned: 3,
      allowed: 0,
      rewritten: 0,
      exceeded: 0,
    })
    guard.resetStats()
    expect(guard.stats().warned).toBe(0)
    expect(guard.stats().violations.GUARD_KEYS).toBe(0)
  })
})
