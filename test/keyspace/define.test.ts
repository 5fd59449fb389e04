import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { RedisExpertError } from '../../src/errors.js'
import { assertDisjoint, defineKeyspace, type EntryDeclaration, t } from '../../src/keyspace/index.js'
import { overlapWitness } from '../../src/keyspace/overlap.js'
import { buildKey, matchKey, parsePattern } from '../../src/keyspace/pattern.js'

const base = { type: t.hash(), role: 'state', ttl: '1d' } as const

function defineError(entries: Record<string, unknown>, namespace = 'ns'): RedisExpertError {
  try {
    defineKeyspace(namespace, entries as Record<string, EntryDeclaration>)
  } catch (error) {
    if (error instanceof RedisExpertError) return error
    throw error
  }
  throw new Error('defineKeyspace accepted the declaration')
}

describe('definition errors', () => {
  it('KEYSPACE_TTL_REQUIRED: no ttl, or a persistent cache, session or lock', () => {
    expect(defineError({ a: { pattern: 'a', type: t.string(), role: 'state' } }).code).toBe(
      'KEYSPACE_TTL_REQUIRED',
    )
    for (const role of ['cache', 'session', 'lock']) {
      const error = defineError({ a: { pattern: 'a', type: t.string(), role, ttl: 'persistent' } })
      expect(error.code, role).toBe('KEYSPACE_TTL_REQUIRED')
      expect(error.message).toContain(role)
    }
  })

  it('persistent is accepted for long-lived roles', () => {
    for (const role of ['reference', 'state', 'counter', 'analytics', 'queue', 'index']) {
      expect(() =>
        defineKeyspace('ns', {
          a: { pattern: 'a', type: t.string(), role: role as 'state', ttl: 'persistent' },
        }),
      ).not.toThrow()
    }
  })

  it('KEYSPACE_OVERLAP: two patterns that can build one key, with a witness', () => {
    const error = defineError({ a: { ...base, pattern: 'a:<x>' }, b: { ...base, pattern: 'a:b' } })
    expect(error.code).toBe('KEYSPACE_OVERLAP')
    expect(error.details.witness).toBe('ns:a:b')
    expect(
      defineError({ a: { ...base, pattern: 'u:<x>:p' }, b: { ...base, pattern: 'u:q:<y>' } }).details.witness,
    ).toBe('ns:u:q:p')
    expect(defineError({ a: { ...base, pattern: 'a:<x>' }, b: { ...base, pattern: 'a:<y>' } }).code).toBe(
      'KEYSPACE_OVERLAP',
    )
    expect(defineError({ a: { ...base, pattern: 'c:{<x>}' }, b: { ...base, pattern: 'c:{g}' } }).code).toBe(
      'KEYSPACE_OVERLAP',
    )
  })

  it('patterns that only look alike do not overlap', () => {
    const ok = [
      ['user:<id>', 'user:<id>:profile'],
      ['a:<x>', 'a:'],
      ['a:<x>', 'a'],
      ['a:<x>/<y>', 'a:<x>:<y>'],
      ['c:{<x>}', 'c:<x>'],
      ['a:<x>', 'b:<x>'],
      ['a::<x>', 'a:<x>'],
    ]
    for (const [x, y] of ok) {
      expect(
        () => defineKeyspace('ns', { a: { ...base, pattern: x! }, b: { ...base, pattern: y! } }),
        `${x} ${y}`,
      ).not.toThrow()
    }
  })

  it('assertDisjoint checks keyspaces against each other', () => {
    const one = defineKeyspace('app', { a: { ...base, pattern: 'x:<id>' } })
    const two = defineKeyspace('app:x', { b: { ...base, pattern: '<id>' } })
    const three = defineKeyspace('other', { a: { ...base, pattern: 'x:<id>' } })
    expect(() => assertDisjoint([one, three])).not.toThrow()
    expect(() => assertDisjoint([one, two])).toThrow(expect.objectContaining({ code: 'KEYSPACE_OVERLAP' }))
  })

  it('KEYSPACE_INVALID: malformed patterns', () => {
    const bad = [
      '',
      'a<x>',
      '<x>b',
      '<x><y>',
      '<x>-<y>',
      'a:<x',
      'a:<1x>',
      'a:<>',
      'a:<x>:<x>',
      'a b',
      'a*',
      'a?',
      'a[x]',
      'a\\b',
      'a%b',
      'a\n',
      'é',
      '{}',
      'a:{x',
      'a:}x{',
      'a:{x}:{y}',
      'a:{x{y}}',
      'a>b',
    ]
    for (const pattern of bad) {
      expect(defineError({ a: { ...base, pattern } }).code, JSON.stringify(pattern)).toBe('KEYSPACE_INVALID')
    }
    expect(defineError({ a: { ...base, pattern: 42 } }).code).toBe('KEYSPACE_INVALID')
  })

  it('KEYSPACE_INVALID: namespaces and entry names', () => {
    for (const namespace of ['', ':a', 'a:', 'a b', 'a{b}', 'a*', 'a<b>']) {
      expect(defineError({ a: { ...base, pattern: 'a' } }, namespace).code, namespace).toBe(
        'KEYSPACE_INVALID',
      )
    }
    for (const name of ['describe', 'entries', 'namespace', 'parse', 'then', 'decisions', '1a', 'a-b']) {
      expect(defineError({ [name]: { ...base, pattern: 'a' } }).code, name).toBe('KEYSPACE_INVALID')
    }
    expect(defineError({}).code).toBe('KEYSPACE_INVALID')
  })

  it('KEYSPACE_INVALID: unknown options, bad values, contradictions', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['unknown option', { ...base, pattern: 'a', maxFields: 3 }],
      ['typo', { ...base, pattern: 'a', tll: '1d' }],
      ['uncalled type', { ...base, pattern: 'a', type: t.hash }],
      ['no type', { ...base, pattern: 'a', type: undefined }],
      ['bad role', { ...base, pattern: 'a', role: 'database' }],
      ['bad ttl', { ...base, pattern: 'a', ttl: '10 minutes' }],
      ['zero ttl', { ...base, pattern: 'a', ttl: 0 }],
      ['negative ttl', { ...base, pattern: 'a', ttl: -5 }],
      ['fraction of ms', { ...base, pattern: 'a', ttl: 1.5 }],
      ['jitter > 0.5', { ...base, pattern: 'a', jitter: 0.6 }],
      ['jitter < 0', { ...base, pattern: 'a', jitter: -0.1 }],
      ['jitter NaN', { ...base, pattern: 'a', jitter: Number.NaN }],
      ['jitter on persistent', { ...base, pattern: 'a', ttl: 'persistent', jitter: 0.1 }],
      ['sliding on persistent', { ...base, pattern: 'a', ttl: 'persistent', sliding: true }],
      ['sliding not boolean', { ...base, pattern: 'a', sliding: 'yes' }],
      ['sliding lock', { ...base, pattern: 'a', role: 'lock', sliding: true }],
      ['expiresWhenDone not boolean', { ...base, pattern: 'a', ttl: 'persistent', expiresWhenDone: 1 }],
      ['expiresWhenDone with a finite ttl', { ...base, pattern: 'a', ttl: '1h', expiresWhenDone: true }],
      ['cache source of truth', { ...base, pattern: 'a', role: 'cache', durability: 'source-of-truth' }],
      ['lock source of truth', { ...base, pattern: 'a', role: 'lock', durability: 'source-of-truth' }],
      ['bad durability', { ...base, pattern: 'a', durability: 'durable' }],
      ['maxItems on a string', { ...base, pattern: 'a', type: t.string(), maxItems: 3 }],
      ['maxItems zero', { ...base, pattern: 'a', maxItems: 0 }],
      ['maxItems fraction', { ...base, pattern: 'a', maxItems: 1.5 }],
      ['maxValueBytes on a counter', { ...base, pattern: 'a', type: t.counter(), maxValueBytes: 8 }],
      ['codec on a counter', { ...base, pattern: 'a', type: t.counter(), codec: 'json' }],
      ['codec on an hll', { ...base, pattern: 'a', type: t.hll(), codec: 'raw' }],
      ['codec on integer set', { ...base, pattern: 'a', type: t.set({ integers: true }), codec: 'json' }],
      ['raw json', { ...base, pattern: 'a', type: t.json(), codec: 'raw' }],
      ['unknown codec', { ...base, pattern: 'a', codec: 'yaml' }],
      ['description not text', { ...base, pattern: 'a', description: 5 }],
      ['not an object', 'a' as unknown as Record<string, unknown>],
    ]
    for (const [label, declaration] of cases) {
      expect(defineError({ a: declaration }).code, label).toBe('KEYSPACE_INVALID')
    }
  })

  it('accepts every option in range', () => {
    const ks = defineKeyspace('ns', {
      a: {
        pattern: 'a',
        type: t.json(),
        role: 'cache',
        ttl: 600_000,
        jitter: 0.5,
        sliding: true,
        codec: 'msgpack',
      },
      b: { pattern: 'b', type: t.list(), role: 'queue', ttl: '1.5h', maxItems: 10, maxValueBytes: 100 },
      c: { pattern: 'c', type: t.set(), role: 'index', ttl: '2w', jitter: 0, description: 'c' },
      d: { pattern: 'd', type: t.zset(), role: 'state', ttl: 'persistent', durability: 'source-of-truth' },
      e: { pattern: 'e', type: t.hash(), role: 'queue', ttl: 'persistent', expiresWhenDone: true },
    })
    expect(ks.e.policy).toMatchObject({ ttlMs: null, expiresWhenDone: true })
    expect(ks.e.describe().ttl).toBe('persistent until done')
    expect(ks.d.policy.expiresWhenDone).toBe(false)
    expect(ks.a.policy.ttlMs).toBe(600_000)
    expect(ks.b.policy.ttlMs).toBe(5_400_000)
    expect(ks.c.policy.ttlMs).toBe(14 * 86_400_000)
    expect(ks.d.policy.ttlMs).toBeNull()
  })
})

/** Random patterns over a tiny alphabet, so that overlaps are frequent enough to test both ways. */
const segment = fc.oneof(fc.constantFrom('a', 'b', 'ab', ''), fc.constant('<p>'))
const pattern = fc
  .tuple(fc.array(fc.tuple(segment, fc.constantFrom(':', '/')), { maxLength: 3 }), segment)
  .map(([pairs, last]) => {
    let n = 0
    const name = (s: string) => (s === '<p>' ? `<p${n++}>` : s)
    return pairs.map(([s, d]) => name(s) + d).join('') + name(last)
  })
  .filter((p) => p !== '')

describe('overlap detection is exact', () => {
  // Every parameter value that matters: the literals used and one value no literal equals.
  const values = ['a', 'b', 'ab', 'x', '']

  function keysOf(text: string): string[] {
    const parsed = parsePattern('ns', text, 'e')
    let combos: Record<string, string>[] = [{}]
    for (const name of parsed.params) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [name]: v })))
    return combos.map((c) => buildKey(parsed, parsed.params.length ? c : undefined))
  }

  it('reports an overlap iff some key of one pattern is a key of the other', () => {
    let overlaps = 0
    fc.assert(
      fc.property(pattern, pattern, (x, y) => {
        const a = parsePattern('ns', x, 'a')
        const b = parsePattern('ns', y, 'b')
        const witness = overlapWitness(a, b)
        const shared = keysOf(x).some((key) => matchKey(b, key) !== null)
        expect(witness !== null, `${x} vs ${y}`).toBe(shared)
        if (witness !== null) {
          overlaps++
          expect(matchKey(a, witness)).not.toBeNull()
          expect(matchKey(b, witness)).not.toBeNull()
        }
      }),
      { numRuns: 3000 },
    )
    expect(overlaps).toBeGreaterThan(100)
  })
})
