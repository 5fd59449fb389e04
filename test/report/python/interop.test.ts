import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type RedisExpertClient } from '../../../src/connect.js'
import { bindKeyspace } from '../../../src/ops/index.js'
import { type RedisServer, startRedis } from '../../../src/testing/index.js'
import { every } from './fixtures/every.js'
import { FIXTURES, type Generated, generateFixture, python } from './helpers.js'

/**
 * The generated module under /usr/bin/python3 (redis-py 4.3) against a real server, beside the
 * TypeScript keyspace: Python writes → TypeScript reads, TypeScript writes → Python reads, every
 * entry type and codec; every Python write leaves its key within the declared TTL band.
 */

let server: RedisServer
let db: RedisExpertClient
let generated: Generated

beforeAll(async () => {
  ;[server, generated] = await Promise.all([startRedis(), generateFixture()])
  db = await connect({ url: server.url })
}, 60_000)
afterAll(async () => {
  await db?.close()
  await server?.stop()
  if (generated) rmSync(generated.dir, { recursive: true, force: true })
})

const doc = {
  title: 'Grüße 😀 "q" \\ \u2028',
  n: 42,
  big: 2 ** 53 - 1,
  ratio: 0.1,
  flags: [true, false],
  tags: ['a', 'ü'],
  nested: { deep: { x: 1.5, y: null, z: -0.25 }, kind: 'a' as const },
  'odd key': 'line\nbreak',
}
const events = [
  { kind: 'click' as const, at: 1 },
  { kind: 'view' as const, at: 2.5 },
]
/** What each side writes and expects to read back. */
const data = {
  text: 'héllo 😀 \u0000 \ufeff',
  blob: Buffer.from([0, 0xff, 0x80, 0xc1]),
  doc,
  packed: { ...doc, big: 2 ** 40, bin: Buffer.from([0, 1, 0xff]) },
  hits: 2 ** 40,
  profile: { name: 'Ann', visits: 5, vip: true, class: 'gold' },
  prices: { a: 1.5, b: 2, 'sku:1': -3 },
  packedHash: { one: doc, two: { ...doc, big: -(2 ** 53 - 1) } },
  sess: { k: 'v', é: '😀' },
  feed: Array.from({ length: 7 }, (_, i) => ({
    kind: i % 2 ? ('view' as const) : ('click' as const),
    at: i,
  })),
  jobs: ['a', 'b'],
  tags: ['x', 'y'],
  ids: [1, 2, 2 ** 40],
  board: [
    ['bob', -1.5],
    ['ann', 2],
  ] as [string, number][],
  events,
  uv: ['a', 'b', 'c'],
  active: 7,
  keywords: 'kw',
  config: { currency: 'EUR', limits: [1, 2.5] },
}
const keywords = { from: 'a b', class: '{c}', self: '' }

/** JSON for Python: bytes as {"$bytes": hex}, non-integer numbers as {"$float": x}. */
function tag(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { $bytes: value.toString('hex') }
  if (typeof value === 'number' && !Number.isInteger(value)) return { $float: value }
  if (Array.isArray(value)) return value.map(tag)
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, tag(v)]))
  return value
}

function untag(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(untag)
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>
    if ('$bytes' in v) return Buffer.from(v.$bytes as string, 'hex')
    if ('$float' in v) return v.$float
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, untag(x)]))
  }
  return value
}

async function run(mode: string, input: unknown = {}): Promise<unknown> {
  const out = await python(
    [join(FIXTURES, 'interop.py'), generated.dir, server.url, mode],
    JSON.stringify(tag(input)),
  )
  return untag(JSON.parse(out))
}

describe('the generated module against a real server', () => {
  it('every Python write leaves its key within the declared TTL band (each write on a key without one)', async () => {
    const writes = (await run('write-ttl', data)) as {
      entry: string
      op: string
      key: string
      pttl: number
    }[]
    expect(writes.length).toBeGreaterThan(50)
    for (const w of writes) {
      const policy = every.entries.find((e) => e.name === w.entry)!.policy
      const label = `${w.entry} ${w.op} ${w.key}: PTTL ${w.pttl}`
      if (policy.ttlMs === null) {
        expect(w.pttl, label).toBe(-1)
        continue
      }
      expect(w.pttl, label).toBeLessThanOrEqual(Math.round(policy.ttlMs * (1 + policy.jitter)))
      expect(w.pttl, label).toBeGreaterThan(policy.ttlMs * (1 - policy.jitter) - 5_000)
    }
    const ops = new Set(writes.map((w) => `${w.entry}.${w.op}`))
    for (const op of [
      'profile.hincr_by',
      'profile.hdel',
      'feed.pop',
      'feed.shift',
      'tags.remove',
      'uv.merge',
    ])
      expect(ops).toContain(op)
    // Jitter spreads the TTLs of writes made together over ttl·(1 ± 0.2).
    const jittered = writes.filter((w) => w.op === 'jitter').map((w) => w.pttl)
    expect(new Set(jittered).size).toBeGreaterThan(15)
    expect(Math.max(...jittered) - Math.min(...jittered)).toBeGreaterThan(3_600_000 * 0.1)
  })

  it('Python writes every entry type and codec; TypeScript reads and decodes each', async () => {
    await run('write', data)
    const fx = bindKeyspace(db, every)
    expect(await fx.text({ id: 'py' }).get()).toBe(data.text)
    expect(await fx.blob({ id: 'py' }).get()).toEqual(data.blob)
    expect(await fx.doc({ id: 'py' }).get()).toEqual(data.doc)
    expect(await fx.packed({ id: 'py' }).get()).toEqual(data.packed)
    expect(await fx.hits({ page: 'py' }).get()).toBe(data.hits)
    expect(await fx.profile({ uid: 'py' }).get()).toEqual(data.profile)
    const prices: Record<string, number> = {}
    for await (const [field, value] of fx.prices({ uid: 'py' }).scan()) prices[field] = value
    expect(prices).toEqual(data.prices)
    expect(await fx.packedHash({ id: 'py' }).get()).toEqual(data.packedHash)
    expect(await fx.sess({ sid: 'py' }).get()).toEqual(data.sess)
    expect(await fx.feed({ uid: 'py' }).range(0, -1)).toEqual(data.feed.slice(-5))
    expect(await fx.jobs({ q: 'py' }).range(0, 99)).toEqual(data.jobs)
    expect((await fx.tags({ id: 'py' }).members()).sort()).toEqual(data.tags)
    const ids: number[] = []
    for await (const id of fx.ids({ id: 'py' }).scan()) ids.push(id)
    expect(ids.sort((a, b) => a - b)).toEqual(data.ids)
    expect(await fx.board({ game: 'py' }).range(0, 9)).toEqual(
      data.board.map(([member, score]) => ({ member, score })),
    )
    expect((await fx.events({ day: 'py' }).range({ count: 10 })).map((e) => e.fields)).toEqual(events)
    expect(await fx.uv({ site: 'py', day: '1' }).count()).toBe(3)
    expect(await fx.active({ day: 'py' }).getBit(7)).toBe(1)
    expect(await fx.keywords(keywords).get()).toBe(data.keywords)
    expect(await fx.config().get()).toEqual(data.config)
  })

  it('TypeScript writes every entry type and codec; Python reads and decodes each', async () => {
    const fx = bindKeyspace(db, every)
    await fx.text({ id: 'ts' }).set(data.text)
    // t.string() with the bytes codec: Buffers in and out (its TypeScript type says string).
    await fx.blob({ id: 'ts' }).set(data.blob as unknown as string)
    await fx.doc({ id: 'ts' }).set(data.doc)
    await fx.packed({ id: 'ts' }).set(data.packed)
    await fx.hits({ page: 'ts' }).set(data.hits)
    await fx.profile({ uid: 'ts' }).hset(data.profile)
    await fx.prices({ uid: 'ts' }).hset(data.prices)
    await fx.packedHash({ id: 'ts' }).hset(data.packedHash)
    await fx.sess({ sid: 'ts' }).hset(data.sess)
    await fx.feed({ uid: 'ts' }).push(...data.feed)
    await fx.jobs({ q: 'ts' }).push(...data.jobs)
    await fx.tags({ id: 'ts' }).add(...data.tags)
    await fx.ids({ id: 'ts' }).add(...data.ids)
    await fx.board({ game: 'ts' }).add(...data.board.map(([member, score]) => ({ member, score })))
    for (const fields of events) await fx.events({ day: 'ts' }).add(fields)
    await fx.uv({ site: 'ts', day: '1' }).add(...data.uv)
    await fx.active({ day: 'ts' }).setBit(7, 1)
    await fx.keywords(keywords).set(data.keywords)
    await fx.config().set(data.config)
    // A sliding entry: Python's read extends the TTL that TypeScript shortened.
    await db.call(['PEXPIRE', fx.sess({ sid: 'ts' }).key, 60_000])

    const read = (await run('read')) as Record<string, unknown>
    expect(read).toEqual({
      ...data,
      feed: data.feed.slice(-5),
      board: data.board,
      uv: 3,
      active: [1, 1],
    })
    expect(await db.call(['PTTL', fx.sess({ sid: 'ts' }).key])).toBeGreaterThan(60_000)
  })

  it('the hard stops hold in Python: unbounded reads, bool parameters, cross-slot batches refused before any I/O; bad bytes named', async () => {
    expect(await run('refuse')).toEqual({
      'hgetall unbounded': 'UNBOUNDED_READ',
      'zrange 0 -1 unbounded': 'UNBOUNDED_READ',
      'zrangebyscore without count': 'UNBOUNDED_READ',
      'lrange 0 -1 unbounded': 'UNBOUNDED_READ',
      'bool parameter': 'KEY_PARAM_INVALID',
      'hincr_by msgpack': 'INVALID_ARGUMENT',
      'pipeline cross slot': 'CROSS_SLOT',
      'commands sent': 0,
      'decode failed': ['DECODE_FAILED', true],
      'raw not utf-8': 'DECODE_FAILED',
    })
  })
})
