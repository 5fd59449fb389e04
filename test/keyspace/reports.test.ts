import { describe, expect, it } from 'vitest'
import { shop } from '../../examples/shop/keys.js'
import { DEFAULT_LISTPACK_LIMITS, type ListpackLimits } from '../../src/keyspace/encoding.js'
import {
  defineKeyspace,
  listpackBytes,
  operationsFor,
  predictEncoding,
  renderDecisions,
  renderSchema,
  t,
} from '../../src/keyspace/index.js'

const redis70: ListpackLimits = { ...DEFAULT_LISTPACK_LIMITS, setEntries: null, setValue: null }

describe('predictEncoding', () => {
  const at = (kind: Parameters<typeof predictEncoding>[0]['kind'], items: number | null, extra = {}) =>
    predictEncoding({ kind, items, valueBytes: null, ...extra }).encoding

  it('hash, zset: listpack up to the entry and value limits', () => {
    // hash-max-listpack-entries is 512 on a bare Redis 7.0 and Valkey 8; zsets keep 128.
    expect(at('hash', 512)).toBe('listpack')
    expect(at('hash', 513)).toBe('hashtable')
    expect(at('hash', null)).toBe('hashtable')
    expect(at('hash', 10, { valueBytes: 65 })).toBe('hashtable')
    expect(at('zset', 128)).toBe('listpack')
    expect(at('zset', 129)).toBe('skiplist')
    expect(
      predictEncoding({ kind: 'hash', items: 4, valueBytes: null }, { version: '6.2.14' }).encoding,
    ).toBe('ziplist')
    const limits = { ...DEFAULT_LISTPACK_LIMITS, hashEntries: 4 }
    expect(predictEncoding({ kind: 'hash', items: 5, valueBytes: null }, { limits }).encoding).toBe(
      'hashtable',
    )
  })

  it('set: intset for integers, listpack from 7.2, else hashtable', () => {
    expect(at('set', 512, { integers: true })).toBe('intset')
    expect(at('set', 513, { integers: true })).toBe('hashtable')
    expect(at('set', 128)).toBe('listpack')
    expect(at('set', 129)).toBe('hashtable')
    expect(predictEncoding({ kind: 'set', items: 10, valueBytes: null }, { limits: redis70 }).encoding).toBe(
      'hashtable',
    )
    expect(
      predictEncoding({ kind: 'set', items: 10, valueBytes: null }, { version: '7.0.15' }).encoding,
    ).toBe('hashtable')
    expect(
      predictEncoding({ kind: 'set', items: 10, integers: true, valueBytes: null }, { limits: redis70 })
        .encoding,
    ).toBe('intset')
  })

  it('list: quicklist before 7.2; from 7.2 listpack while it fits one node', () => {
    expect(predictEncoding({ kind: 'list', items: 5, valueBytes: null }, { limits: redis70 }).encoding).toBe(
      'quicklist',
    )
    expect(at('list', 100)).toBe('listpack')
    expect(at('list', 200)).toBe('quicklist')
    expect(at('list', null)).toBe('quicklist')
    expect(listpackBytes(2, 3)).toBe(6 + 2 * (1 + 3 + 1) + 1)
  })

  it('strings, counters, hll, bitmap, stream', () => {
    expect(at('string', null)).toBe('raw')
    expect(at('json', null, { valueBytes: 44 })).toBe('embstr')
    expect(at('json', null, { valueBytes: 45 })).toBe('raw')
    expect(at('counter', null)).toBe('int')
    expect(at('hll', null)).toBe('raw')
    expect(at('bitmap', null)).toBe('raw')
    expect(at('stream', null)).toBe('stream')
  })
})

describe('describe()', () => {
  it('returns one row per entry with the documented columns', () => {
    const rows = shop.describe()
    expect(rows.map((r) => r.name)).toEqual([
      'user',
      'product',
      'session',
      'cart',
      'board',
      'visitors',
      'config',
    ])
    expect(rows[0]).toEqual({
      name: 'user',
      pattern: 'shop:user:<id>',
      type: 'hash',
      ttlMs: 2_592_000_000,
      ttl: '30d',
      jitter: 0,
      sliding: false,
      role: 'state',
      durability: 'ephemeral',
      maxItems: 16,
      maxValueBytes: null,
      codec: 'json',
      encoding: 'listpack',
      encodingNote: '16 items ≤ 512 fields of ≤ 64 bytes',
      slotTag: null,
      match: 'shop:user:*',
      description: 'profile fields, refreshed on every write',
    })
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]))
    expect(byName.cart).toMatchObject({ slotTag: '{<uid>}', encoding: 'hashtable', maxItems: null })
    expect(byName.board).toMatchObject({
      ttlMs: null,
      ttl: 'persistent',
      durability: 'source-of-truth',
      encoding: 'skiplist',
    })
    expect(byName.visitors).toMatchObject({ codec: null, encoding: 'raw' })
    expect(byName.product).toMatchObject({ jitter: 0.1, encoding: 'raw' })
    expect(byName.session).toMatchObject({ sliding: true, encoding: 'listpack' })
  })

  it('uses the server limits it is given', () => {
    const limits = { ...DEFAULT_LISTPACK_LIMITS, hashEntries: 8 }
    expect(shop.user.describe({ limits }).encoding).toBe('hashtable')
  })
})

describe('decision log', () => {
  const ks = defineKeyspace('d', {
    notes: { pattern: 'notes:<id>', type: t.hash(), role: 'state', ttl: 'persistent', maxItems: 600 },
    page: { pattern: 'page:<id>', type: t.json(), role: 'cache', ttl: '1h' },
    profile: { pattern: 'profile:<id>', type: t.json(), role: 'state', ttl: '30d' },
    blob: { pattern: 'blob:<id>', type: t.string(), role: 'cache', ttl: '1h', jitter: 0.1, codec: 'json' },
    feed: { pattern: 'feed:<id>', type: t.list(), role: 'state', ttl: '1d' },
    log: { pattern: 'log', type: t.stream(), role: 'analytics', ttl: '7d' },
    big: { pattern: 'big:<id>', type: t.hash(), role: 'state', ttl: '1d', maxItems: 10, maxValueBytes: 200 },
    ledger: {
      pattern: 'ledger:{<id>}',
      type: t.zset(),
      role: 'state',
      ttl: 'persistent',
      durability: 'source-of-truth',
    },
    ledgerIndex: { pattern: 'ledger:{<id>}:idx', type: t.set(), role: 'index', ttl: 'persistent' },
  })
  const byEntry = Object.fromEntries(ks.decisions().map((d) => [d.entry, d]))

  it('answers the five questions for every entry', () => {
    for (const d of Object.values(byEntry)) {
      expect(d.structure.length).toBeGreaterThan(20)
      expect(d.operations.length).toBeGreaterThan(3)
      expect(d.persistence).toMatch(/Expires|Never expires/)
      expect(d.atomicity.length).toBeGreaterThan(10)
      expect(d.serialization.length).toBeGreaterThan(10)
    }
    expect(byEntry.ledger!.persistence).toContain('appendonly yes')
    expect(byEntry.ledger!.atomicity).toContain('ledgerIndex')
  })

  it('warns where the declaration is questionable', () => {
    const warns = (name: string) => byEntry[name]!.warnings.join('\n')
    expect(warns('notes')).toContain('state with no TTL')
    expect(warns('notes')).toContain('exceeds hash-max-listpack-entries 512')
    expect(warns('page')).toContain('without jitter')
    expect(warns('profile')).toContain('t.hash<T>()')
    expect(warns('blob')).toContain('structured data')
    expect(warns('feed')).toContain('unbounded list')
    expect(warns('log')).toContain('stream without maxItems')
    expect(warns('big')).toContain('maxValueBytes 200 exceeds hash-max-listpack-value 64')
    expect(warns('ledger')).toBe('')
  })

  it('lists the commands of each operation under the policy', () => {
    const ops = (name: 'user' | 'session' | 'cart' | 'board' | 'product') =>
      Object.fromEntries(operationsFor(shop[name].policy).map((o) => [o.op, o]))
    expect(ops('user').hset!.commands).toEqual(['EVALSHA', 'HSET', 'PEXPIRE'])
    expect(ops('user').get!.status).toBe('bounded')
    expect(ops('cart').get!.status).toBe('refused')
    expect(ops('session').hget!.commands).toEqual(['HGET', 'PEXPIRE'])
    expect(ops('board').add!.commands).toEqual(['ZADD'])
    expect(ops('board').range!.status).toBe('bounded')
    expect(ops('product').set!.commands).toEqual(['SET'])
  })
})

describe('renderers', () => {
  it('renders the schema as markdown, text and JSON', () => {
    const md = renderSchema(shop.describe(), 'md')
    expect(md.split('\n')[0]).toBe(
      '| entry | pattern | type | ttl | jitter | sliding | role | durability | max items | codec | encoding | slot tag | description |',
    )
    expect(md).toContain(
      '| user | `shop:user:<id>` | hash | 30d | — | — | state | ephemeral | 16 | json | listpack | — |',
    )
    expect(md).toContain('`{<uid>}`')
    const text = renderSchema(shop.describe(), 'text')
    expect(text).toMatch(/^entry\s+pattern\s+type/)
    expect(JSON.parse(renderSchema(shop.describe(), 'json'))).toEqual(shop.describe())
  })

  it('renders the decision log as markdown and text', () => {
    const md = renderDecisions(shop.decisions(), 'md')
    expect(md).toContain('### user — `shop:user:<id>`')
    expect(md).toContain('1. **Structure.**')
    expect(md).toContain('| hset | EVALSHA → HSET → PEXPIRE |')
    const text = renderDecisions(shop.decisions(), 'text')
    expect(text).toContain('  5. serialization')
  })
})
