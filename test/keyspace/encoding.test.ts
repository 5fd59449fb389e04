import { describe, expect, it } from 'vitest'
import {
  defineKeyspace,
  type Entry,
  predictEncoding,
  type ServerTraits,
  t,
} from '../../src/keyspace/index.js'
import { bindKeyspace } from '../../src/ops/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/*
 * The predicted encoding (describe().encoding) equals OBJECT ENCODING on a real server, for
 * entries filled to their declared bound and one item beyond it, with the server's own
 * listpack limits (from probe()), default and changed.
 */

const ks = defineKeyspace('enc', {
  profile: { pattern: 'profile:<id>', type: t.hash<number>(), role: 'state', ttl: '1h', maxItems: 128 },
  wide: { pattern: 'wide:<id>', type: t.hash(), role: 'state', ttl: '1h', maxItems: 16, maxValueBytes: 100 },
  small: { pattern: 'small:<id>', type: t.hash<number>(), role: 'state', ttl: '1h', maxItems: 16 },
  board: { pattern: 'board:<id>', type: t.zset(), role: 'state', ttl: '1h', maxItems: 128 },
  ids: { pattern: 'ids:<id>', type: t.set({ integers: true }), role: 'index', ttl: '1h', maxItems: 512 },
  tags: { pattern: 'tags:<id>', type: t.set(), role: 'index', ttl: '1h', maxItems: 10 },
  feed: { pattern: 'feed:<id>', type: t.list(), role: 'state', ttl: '1h', maxItems: 100 },
  events: { pattern: 'events:<id>', type: t.stream(), role: 'queue', ttl: '1h', maxItems: 100 },
})

const scalars = defineKeyspace('enc1', {
  code: { pattern: 'code:<id>', type: t.string(), role: 'cache', ttl: '1h', maxValueBytes: 44 },
  doc: { pattern: 'doc:<id>', type: t.json<{ a: string }>(), role: 'cache', ttl: '1h', maxValueBytes: 30 },
  text: { pattern: 'text:<id>', type: t.string(), role: 'cache', ttl: '1h' },
  views: { pattern: 'views:<id>', type: t.counter(), role: 'counter', ttl: '1h' },
  uv: { pattern: 'uv:<id>', type: t.hll(), role: 'analytics', ttl: '1h' },
  active: { pattern: 'active:<id>', type: t.bitmap(), role: 'analytics', ttl: '1h' },
})

const { db } = await startRedisForFile()

async function traits(): Promise<ServerTraits> {
  const probe = await db.probe()
  return { limits: probe.listpack, version: probe.version }
}

/** Writes `n` items into a fresh key of `entry` with the typed operations; returns the key. */
async function fill(entry: Entry, id: string, n: number): Promise<string> {
  const app = bindKeyspace(db, ks) as unknown as Record<
    string,
    (p: object) => Record<string, (...a: unknown[]) => Promise<unknown>> & { key: string }
  >
  const h = app[entry.name]!({ id })
  await db.call(['UNLINK', h.key])
  const value = (i: number) =>
    entry.policy.maxValueBytes ? `${i}`.padEnd(entry.policy.maxValueBytes - 2, 'x') : `${i}`
  switch (entry.policy.kind) {
    case 'hash':
      for (let i = 0; i < n; i++) await h.hset!({ [`f${i}`]: entry.name === 'wide' ? value(i) : i })
      break
    case 'zset':
      for (let i = 0; i < n; i++) await h.add!({ member: `m${i}`, score: i })
      break
    case 'set':
      for (let i = 0; i < n; i++) await h.add!(entry.policy.integers ? i : `m${i}`)
      break
    case 'list':
      for (let i = 0; i < n; i++) await h.push!(`e${i}`)
      break
    case 'stream':
      for (let i = 0; i < n; i++) await h.add!({ i: String(i) })
      break
  }
  return h.key
}

async function encodingOf(key: string): Promise<string> {
  return String(await db.call(['OBJECT', 'ENCODING', key]))
}

describe('predicted encoding equals OBJECT ENCODING', () => {
  it('collections at their bound and beyond, default limits', async () => {
    const server = await traits()
    const rows = Object.fromEntries(ks.describe(server).map((r) => [r.name, r]))
    for (const entry of ks.entries) {
      const max = entry.policy.maxItems!
      const atBound = await fill(entry, 'bound', max)
      expect(await encodingOf(atBound), `${entry.name} at ${max}`).toBe(rows[entry.name]!.encoding)
      if (entry.policy.kind === 'list') continue // a capped list never exceeds its bound
      const beyond = await fill(entry, 'beyond', max + 1)
      const predicted = predictEncoding(
        {
          kind: entry.policy.kind,
          integers: entry.policy.integers,
          items: max + 1,
          valueBytes: entry.policy.maxValueBytes,
        },
        server,
      ).encoding
      expect(await encodingOf(beyond), `${entry.name} at ${max + 1}`).toBe(predicted)
    }
  })

  it('strings, counters, HyperLogLogs and bitmaps', async () => {
    const server = await traits()
    const rows = Object.fromEntries(scalars.describe(server).map((r) => [r.name, r]))
    const app = bindKeyspace(db, scalars)
    await app.code({ id: 1 }).set('x'.repeat(44))
    expect(await encodingOf(app.code({ id: 1 }).key)).toBe(rows.code!.encoding)
    await app.code({ id: 2 }).set('x'.repeat(45))
    expect(await encodingOf(app.code({ id: 2 }).key)).toBe('raw')
    await app.doc({ id: 1 }).set({ a: 'x'.repeat(22) }) // {"a":"…"} = 30 bytes
    expect(await encodingOf(app.doc({ id: 1 }).key)).toBe(rows.doc!.encoding)
    await app.text({ id: 1 }).set('y'.repeat(200))
    expect(await encodingOf(app.text({ id: 1 }).key)).toBe(rows.text!.encoding)
    await app.views({ id: 1 }).incrBy(123456)
    expect(await encodingOf(app.views({ id: 1 }).key)).toBe(rows.views!.encoding)
    await app.uv({ id: 1 }).add('a', 'b')
    expect(await encodingOf(app.uv({ id: 1 }).key)).toBe(rows.uv!.encoding)
    await app.active({ id: 1 }).setBit(1000, 1)
    expect(await encodingOf(app.active({ id: 1 }).key)).toBe(rows.active!.encoding)
  })

  it("follows the server's own limits", async () => {
    await db.call(['CONFIG', 'SET', 'hash-max-listpack-entries', '8', 'zset-max-listpack-entries', '8'])
    try {
      const server = await traits()
      expect(server.limits?.hashEntries).toBe(8)
      const rows = Object.fromEntries(ks.describe(server).map((r) => [r.name, r]))
      expect(rows.small!.encoding).toBe('hashtable')
      expect(rows.board!.encoding).toBe('skiplist')
      expect(await encodingOf(await fill(ks.small, 'limits', 16))).toBe('hashtable')
      expect(await encodingOf(await fill(ks.small, 'limits8', 8))).toBe(
        predictEncoding({ kind: 'hash', items: 8, valueBytes: null }, server).encoding,
      )
      expect(await encodingOf(await fill(ks.board, 'limits', 128))).toBe('skiplist')
    } finally {
      await db.call(['CONFIG', 'SET', 'hash-max-listpack-entries', '128', 'zset-max-listpack-entries', '128'])
    }
  })
})
