import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { shop } from '../../examples/shop/keys.js'
import { keySlot } from '../../src/common/index.js'
import { RedisExpertError } from '../../src/errors.js'
import { defineKeyspace, type Keyspace, t } from '../../src/keyspace/index.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof RedisExpertError ? error.code : `not a RedisExpertError: ${String(error)}`
  }
  return undefined
}

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc
    .array(
      fc.constantFrom(
        ':',
        '*',
        '?',
        '[',
        ']',
        '{',
        '}',
        ' ',
        '\n',
        '\0',
        '%',
        '',
        'a',
        'profile',
        '/',
        '#',
        'é',
      ),
      {
        maxLength: 6,
      },
    )
    .map((p) => p.join('')),
)

describe('keys', () => {
  it('builds and parses the keys of the issue', () => {
    expect(shop.user.key({ id: '42' })).toBe('shop:user:42')
    expect(shop.user.key({ id: 42 })).toBe('shop:user:42')
    expect(shop.cart.key({ uid: '42' })).toBe('shop:cart:{42}')
    expect(shop.config.key()).toBe('shop:config')
    expect(shop.user.parse('shop:user:42')).toEqual({ id: '42' })
    expect(shop.user.parse('shop:user:a%3Ab')).toEqual({ id: 'a:b' })
    expect(shop.user.key({ id: 'a:b' })).toBe('shop:user:a%3Ab')
    expect(shop.user.key({ id: '' })).toBe('shop:user:%')
    expect(shop.parse('shop:cart:{7}')).toEqual({ entry: 'cart', params: { uid: '7' } })
    expect(shop.parse('shop:nothing')).toBeNull()
  })

  it('gives each entry a SCAN MATCH glob', () => {
    expect(shop.user.match).toBe('shop:user:*')
    expect(shop.cart.match).toBe('shop:cart:{*}')
    expect(shop.config.match).toBe('shop:config')
  })

  it('refuses bad parameters with KEY_PARAM_INVALID', () => {
    const user = shop.user as unknown as { key(p?: unknown): string }
    expect(codeOf(() => user.key())).toBe('KEY_PARAM_INVALID')
    expect(codeOf(() => user.key({}))).toBe('KEY_PARAM_INVALID')
    expect(codeOf(() => user.key({ id: '1', extra: '2' }))).toBe('KEY_PARAM_INVALID')
    expect(codeOf(() => user.key({ id: null }))).toBe('KEY_PARAM_INVALID')
    expect(codeOf(() => user.key({ id: 1.5 }))).toBe('KEY_PARAM_INVALID')
    expect(codeOf(() => user.key({ id: '\uD800' }))).toBe('KEY_PARAM_INVALID')
    expect(codeOf(() => user.key('42'))).toBe('KEY_PARAM_INVALID')
    expect(codeOf(() => user.key(Object.create({ id: '1' })))).toBe('KEY_PARAM_INVALID')
    expect(codeOf(() => (shop.config as unknown as { key(p?: unknown): string }).key({ id: '1' }))).toBe(
      'KEY_PARAM_INVALID',
    )
  })

  it('refuses keys of other entries with KEY_MISMATCH', () => {
    for (const key of [
      'shop:user:42:profile',
      'shop:user:',
      'shop:user:a:b',
      'shop:user:a%3ab',
      'shop:user:%41',
      'shop:users:1',
      'other:user:1',
      'shop:cart:42',
      'shop:user:*',
    ]) {
      expect(
        codeOf(() => shop.user.parse(key)),
        key,
      ).toBe('KEY_MISMATCH')
      expect(shop.user.tryParse(key)).toBeNull()
    }
  })

  it('round-trips hostile parameters', () => {
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        const ks = tricky
        expect(ks.pair.parse(ks.pair.key({ a, b }))).toEqual({ a, b })
        expect(ks.cart.parse(ks.cart.key({ uid: a }))).toEqual({ uid: a })
      }),
      { numRuns: 1000 },
    )
  })

  it('never lets a hash tag be opened, closed or moved by a parameter', () => {
    fc.assert(
      fc.property(hostile, hostile, (uid, sku) => {
        const items = tricky.items.key({ uid, sku })
        const cart = tricky.cart.key({ uid })
        expect(keySlot(items)).toBe(keySlot(cart))
        expect(keySlot(items)).toBe(keySlot(`{${items.slice(items.indexOf('{') + 1, items.indexOf('}'))}}`))
      }),
      { numRuns: 500 },
    )
  })
})

/** Patterns chosen to sit close to each other: prefixes, same shapes with other delimiters, tags. */
const tricky = defineKeyspace('t', {
  user: { pattern: 'user:<id>', type: t.hash(), role: 'state', ttl: '1d' },
  profile: { pattern: 'user:<id>:profile', type: t.hash(), role: 'state', ttl: '1d' },
  nested: { pattern: 'user:<id>:<a>:x', type: t.hash(), role: 'state', ttl: '1d' },
  pair: { pattern: 'pair:<a>/<b>', type: t.string(), role: 'state', ttl: '1d' },
  pairColon: { pattern: 'pair:<a>:<b>', type: t.string(), role: 'state', ttl: '1d' },
  hashed: { pattern: 'evt#<n>', type: t.string(), role: 'state', ttl: '1d' },
  cart: { pattern: 'cart:{<uid>}', type: t.hash<number>(), role: 'state', ttl: '1d' },
  items: { pattern: 'cart:{<uid>}:<sku>', type: t.hash(), role: 'state', ttl: '1d' },
  config: { pattern: 'config', type: t.json(), role: 'reference', ttl: 'persistent' },
  configs: { pattern: 'config:<name>', type: t.json(), role: 'reference', ttl: 'persistent' },
  empty: { pattern: 'e::<x>', type: t.string(), role: 'state', ttl: '1d' },
})

describe('no two (entry, parameters) pairs build the same key', () => {
  const entryAndParams = (ks: Keyspace) =>
    fc.constantFrom(...ks.entries).chain((entry) =>
      fc.tuple(...entry.policy.pattern.params.map(() => hostile)).map((values) => ({
        entry: entry.name,
        params: Object.fromEntries(entry.policy.pattern.params.map((name, i) => [name, values[i]!])),
      })),
    )

  it('each key parses back to exactly the pair that built it, under exactly one entry', () => {
    const ks = tricky as unknown as Keyspace
    fc.assert(
      fc.property(entryAndParams(ks), ({ entry, params }) => {
        const built = ks.entries.find((e) => e.name === entry)!
        const key = (built.key as (p?: unknown) => string)(
          built.policy.pattern.params.length ? params : undefined,
        )
        const matching = ks.entries.filter((e) => e.tryParse(key) !== null)
        expect(matching.map((e) => e.name)).toEqual([entry])
        expect(ks.parse(key)).toEqual({ entry, params })
      }),
      { numRuns: 3000 },
    )
  })

  it('distinct pairs give distinct keys', () => {
    const ks = tricky as unknown as Keyspace
    const keyOf = ({ entry, params }: { entry: string; params: Record<string, string> }) => {
      const e = ks.entries.find((x) => x.name === entry)!
      return (e.key as (p?: unknown) => string)(e.policy.pattern.params.length ? params : undefined)
    }
    fc.assert(
      fc.property(entryAndParams(ks), entryAndParams(ks), (x, y) => {
        fc.pre(JSON.stringify(x) !== JSON.stringify(y))
        expect(keyOf(x)).not.toBe(keyOf(y))
      }),
      { numRuns: 3000 },
    )
  })
})
