import { describe, expect, it } from 'vitest'
import { RedisExpertError } from '../../src/errors.js'
import {
  checkBatch,
  checkCommand,
  formatViolation,
  type GuardCommand,
  GuardError,
  type Violation,
} from '../../src/guard/index.js'
import { BATCH_CASES, COMMAND_CASES } from './cases.js'
import { testContext, testKeysOf } from './keys.js'

const label = (command: readonly string[]) => command.join(' ')

describe('checkCommand: the decision table', () => {
  it('has at least 60 cases, both allowed and refused, and every code', () => {
    expect(COMMAND_CASES.length).toBeGreaterThanOrEqual(60)
    const codes = new Set(COMMAND_CASES.map((c) => c.expect))
    for (const code of [
      'ok',
      'GUARD_KEYS',
      'GUARD_UNBOUNDED',
      'GUARD_TTL_REQUIRED',
      'GUARD_DURABILITY',
      'GUARD_BLOCKING',
      'GUARD_CROSSSLOT',
    ]) {
      expect(codes.has(code as never), code).toBe(true)
    }
  })

  it.each(COMMAND_CASES.map((c) => [`${label(c.command)} → ${c.expect} (${c.note})`, c] as const))(
    '%s',
    (_, c) => {
      const ctx = testContext({
        declared: c.declared ? { '*': c.declared } : {},
        durabilityOk: c.durabilityOk ?? true,
      })
      const violations = checkCommand(c.command, ctx)
      expect(violations[0]?.code ?? 'ok').toBe(c.expect)
    },
  )
})

describe('checkBatch: the batch table', () => {
  it.each(BATCH_CASES.map((c) => [`${c.atomic ? 'MULTI' : 'pipeline'}: ${c.note}`, c] as const))(
    '%s',
    (_, c) => {
      const ctx = testContext({ declared: c.declared ?? {}, durabilityOk: c.durabilityOk ?? true })
      const violations = checkBatch(c.commands, { atomic: c.atomic }, ctx)
      expect(violations.length === 0 ? 'ok' : violations.map((v) => v.code)).toEqual(c.expect)
    },
  )

  it('a single command and a batch of one agree on every case', () => {
    for (const c of COMMAND_CASES) {
      const ctx = testContext({
        declared: c.declared ? { '*': c.declared } : {},
        durabilityOk: c.durabilityOk ?? true,
      })
      const single = checkCommand(c.command, ctx).map((v) => v.code)
      const batch = checkBatch([c.command], { atomic: false }, ctx).map((v) => v.code)
      expect(batch.sort(), label(c.command)).toEqual([...single].sort())
    }
  })

  it('numbers each violation with the index of its command', () => {
    const v = checkBatch(
      [
        ['GET', 'a'],
        ['SET', 'b', 'v'],
        ['KEYS', '*'],
      ],
      {},
      testContext(),
    )
    expect(v.map((x) => [x.code, x.index])).toEqual([
      ['GUARD_TTL_REQUIRED', 1],
      ['GUARD_KEYS', 2],
    ])
  })

  it('reports a MULTI slot clash once, at the first command that leaves the slot', () => {
    const v = checkBatch(
      [
        ['SET', 'foo', '1', 'PX', '1'],
        ['GET', 'foo'],
        ['SET', 'bar', '1', 'PX', '1'],
        ['GET', 'baz'],
      ],
      { atomic: true },
      testContext(),
    )
    expect(v).toHaveLength(1)
    expect(v[0]).toMatchObject({ code: 'GUARD_CROSSSLOT', index: 2, key: 'bar', command: 'SET bar' })
    expect(v[0]!.message).toContain("'foo' (slot 12182)")
  })

  it('an empty batch is allowed', () => {
    expect(checkBatch([], { atomic: true }, testContext())).toEqual([])
  })

  it('with no TTL risk, a large pipeline builds no per-key state and passes', () => {
    const commands: GuardCommand[] = []
    for (let i = 0; i < 10_000; i++) commands.push(['SET', `k:${i}`, 'v', 'PX', 1000], ['GET', `k:${i}`])
    expect(checkBatch(commands, {}, testContext())).toHaveLength(0)
  })

  it('a large batch of HSET + PEXPIRE pairs passes in linear time', () => {
    const commands: GuardCommand[] = []
    for (let i = 0; i < 20_000; i++) commands.push(['HSET', `h:${i}`, 'f', 'v'], ['PEXPIRE', `h:${i}`, 1000])
    const started = performance.now()
    expect(checkBatch(commands, {}, testContext())).toHaveLength(0)
    expect(performance.now() - started).toBeLessThan(2000)
  })
})

describe('violations', () => {
  const ctx = testContext()

  it('name the rule, the command with its keys only, and the fix', () => {
    const [v] = checkCommand(['SET', 'session:42', 'secret-token-value'], ctx)
    expect(v).toMatchObject({
      rule: 'ttl-required',
      code: 'GUARD_TTL_REQUIRED',
      command: 'SET session:42',
      key: 'session:42',
    })
    expect(v!.fix).toMatch(/PX/)
    expect(JSON.stringify(v)).not.toContain('secret-token-value')
  })

  it('never show values: every word of `command` is the name, a subcommand or a key', () => {
    const all: { command: readonly string[]; v: Violation }[] = []
    for (const c of COMMAND_CASES) {
      const ctx2 = testContext({
        declared: c.declared ? { '*': c.declared } : {},
        durabilityOk: c.durabilityOk ?? true,
      })
      for (const v of checkCommand(c.command, ctx2)) all.push({ command: c.command, v })
    }
    expect(all.length).toBeGreaterThan(50)
    for (const { command, v } of all) {
      const allowed = new Set([command[0]!.toUpperCase(), command[1]?.toUpperCase(), ...testKeysOf(command)])
      for (const word of v.command.split(' '))
        expect(allowed.has(word), `${v.command} from ${label(command)}`).toBe(true)
    }
  })

  it('cut long key lists and long keys, and quote odd keys', () => {
    const keys = Array.from({ length: 10 }, (_, i) => `{t}:${i}`)
    const [v] = checkCommand(['MSET', ...keys.flatMap((k) => [k, 'x'])], ctx)
    expect(v!.command).toBe('MSET {t}:0 {t}:1 {t}:2 {t}:3 …(+6 keys)')
    const long = 'x'.repeat(300)
    expect(checkCommand(['SET', long, 'v'], ctx)[0]!.command).toBe(`SET ${'x'.repeat(100)}…`)
    expect(checkCommand(['SET', 'a b', 'v'], ctx)[0]!.command).toBe('SET "a b"')
  })

  it('format as the GuardError message', () => {
    const [v] = checkCommand(['KEYS', 'user:*'], ctx)
    expect(formatViolation(v!)).toBe(
      'GUARD_KEYS: KEYS refused — KEYS walks the whole keyspace in one call and blocks the server meanwhile. ' +
        'Fix: use db.scan({ match, count }), an iterator over SCAN on every master. ' +
        '(escape hatch: db.unsafe({ reason }, ...))',
    )
    const error = new GuardError(v!)
    expect(error).toBeInstanceOf(RedisExpertError)
    expect(error.code).toBe('GUARD_KEYS')
    expect(error.rule).toBe('keys')
    expect(error.message).toBe(formatViolation(v!))
    expect(error.details).toMatchObject({ rule: 'keys', command: 'KEYS' })
  })

  it('explain unbounded reads with the key and its declaration', () => {
    expect(checkCommand(['SMEMBERS', 'tags'], ctx)[0]!.message).toBe(
      "SMEMBERS reads every member of the set, and 'tags' is undeclared, so potentially large",
    )
    const declared = testContext({ declared: { tags: { entry: 'tags', maxItems: 5000 } } })
    expect(checkCommand(['SMEMBERS', 'tags'], declared)[0]!.message).toContain(
      "(entry 'tags') may hold up to 5000",
    )
    const [wide] = checkCommand(['LRANGE', 'l', 0, 4999], ctx)
    expect(wide!.message).toContain('asks for 5000 items, more than the 1000 one call may read')
    expect(wide!.fix).toContain('within 1000')
  })

  it('honour maxRange from the context', () => {
    const tight = testContext({ maxRange: 10 })
    expect(checkCommand(['LRANGE', 'l', 0, 99], tight)[0]?.code).toBe('GUARD_UNBOUNDED')
    expect(checkCommand(['LRANGE', 'l', 0, 9], tight)).toHaveLength(0)
  })

  it('offer UNLINK as a drop-in for a blocking DEL', () => {
    const [v] = checkCommand(['DEL', '{b}:1', '{b}:2'], ctx)
    expect(v).toMatchObject({ code: 'GUARD_BLOCKING', rewrite: ['UNLINK', '{b}:1', '{b}:2'] })
  })

  it('list every rule a command breaks, strict throws the first', () => {
    const codes = checkCommand(['SUNIONSTORE', 'foo', 'bar', 'baz'], ctx).map((v) => v.code)
    expect(codes).toEqual(['GUARD_UNBOUNDED', 'GUARD_TTL_REQUIRED', 'GUARD_CROSSSLOT'])
  })

  it('a source-of-truth write without durability names the entry', () => {
    const sot = testContext({
      declared: { acct: { entry: 'accounts', sourceOfTruth: true } },
      durabilityOk: false,
    })
    const [v] = checkCommand(['HSET', 'acct', 'f', 'v'], sot)
    expect(v!.message).toContain("source-of-truth entry 'accounts'")
  })
})

describe('arguments', () => {
  const ctx = testContext()

  it('accept numbers and Buffers', () => {
    expect(checkCommand(['SET', 'k', Buffer.from('v'), 'PX', 1000], ctx)).toHaveLength(0)
    expect(checkCommand(['LRANGE', Buffer.from('l'), 0, -1], ctx)[0]).toMatchObject({
      code: 'GUARD_UNBOUNDED',
      key: 'l',
    })
    expect(checkCommand(['SET', 'k', 'v', Buffer.from('px'), Buffer.from('10')], ctx)).toHaveLength(0)
  })

  it('read options in any case', () => {
    expect(checkCommand(['zrange', 'z', '-inf', '+inf', 'byscore', 'limit', 0, 10], ctx)).toHaveLength(0)
    expect(checkCommand(['Set', 'k', 'v', 'Px', 10], ctx)).toHaveLength(0)
  })

  it('leave malformed numbers to the server', () => {
    expect(checkCommand(['LRANGE', 'l', 'zero', 'ten'], ctx)).toHaveLength(0)
  })

  it('check unknown (module) commands for slots, and for TTL/durability when the context says they write', () => {
    const keysOf = (c: GuardCommand) =>
      String(c[0]).toUpperCase() === 'JSON.SET' ? [String(c[1])] : testKeysOf(c)
    const plain = { ...testContext(), keysOf }
    expect(checkCommand(['JSON.SET', 'doc', '$', '{}'], plain)).toHaveLength(0)
    const writes = { ...plain, isWrite: () => true }
    expect(checkCommand(['JSON.SET', 'doc', '$', '{}'], writes)[0]).toMatchObject({
      code: 'GUARD_TTL_REQUIRED',
      command: 'JSON.SET doc',
    })
    expect(
      checkBatch(
        [
          ['JSON.SET', 'doc', '$', '{}'],
          ['PEXPIRE', 'doc', 10],
        ],
        {},
        writes,
      ),
    ).toHaveLength(0)
    const multi = { ...testContext(), keysOf: () => ['foo', 'bar'] }
    expect(checkCommand(['MOD.MULTI', 'foo', 'bar'], multi)[0]?.code).toBe('GUARD_CROSSSLOT')
  })

  const bad: [string, unknown][] = [
    ['a string', 'GET k'],
    ['undefined', undefined],
    ['an object', { 0: 'GET' }],
    ['an empty command', []],
    ['an empty name', ['', 'k']],
    ['a numeric name', [42, 'k']],
    ['a null argument', ['GET', null]],
    ['an undefined argument', ['SET', 'k', undefined]],
    ['an object argument', ['SET', 'k', { v: 1 }]],
    ['NaN', ['EXPIRE', 'k', Number.NaN]],
    ['Infinity', ['EXPIRE', 'k', Number.POSITIVE_INFINITY]],
    ['a boolean', ['SET', 'k', true]],
  ]
  it.each(bad)('reject %s with INVALID_ARGUMENT', (_, command) => {
    const run = () => checkCommand(command as GuardCommand, ctx)
    expect(run).toThrow(RedisExpertError)
    try {
      run()
    } catch (error) {
      expect((error as RedisExpertError).code).toBe('INVALID_ARGUMENT')
    }
  })

  it('reject a batch that is not an array, or holds a bad command (naming its index)', () => {
    expect(() => checkBatch('GET k' as unknown as GuardCommand[], {}, ctx)).toThrow(/array of commands/)
    expect(() => checkBatch([['GET', 'k'], ['SET', 'k', null] as unknown as GuardCommand], {}, ctx)).toThrow(
      /batch command 1/,
    )
  })
})
