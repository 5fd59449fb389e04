import { describe, expect, it } from 'vitest'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { bindKeyspace } from '../../src/ops/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf } from './helpers.js'

interface Product {
  name: string
  price: number
  tags: string[]
}

const ks = defineKeyspace('ops', {
  note: { pattern: 'note:<id>', type: t.string(), role: 'cache', ttl: '10m', jitter: 0.1 },
  product: { pattern: 'product:<id>', type: t.json<Product>(), role: 'cache', ttl: '10m' },
  packed: { pattern: 'packed:<id>', type: t.json<Product>(), role: 'cache', ttl: '10m', codec: 'msgpack' },
  views: { pattern: 'views:<id>', type: t.counter(), role: 'counter', ttl: '1d' },
  user: {
    pattern: 'user:<id>',
    type: t.hash<{ name: string; visits: number; meta: { plan: string } }>(),
    role: 'state',
    ttl: '30d',
    maxItems: 16,
  },
  cart: { pattern: 'cart:{<uid>}', type: t.hash<number>(), role: 'state', ttl: '7d' },
  packedHash: { pattern: 'ph:<id>', type: t.hash<number>(), role: 'state', ttl: '7d', codec: 'msgpack' },
  feed: { pattern: 'feed:<id>', type: t.list<{ text: string }>(), role: 'state', ttl: '1d', maxItems: 3 },
  queue: { pattern: 'queue:<name>', type: t.list(), role: 'queue', ttl: 'persistent' },
  tags: { pattern: 'tags:<id>', type: t.set(), role: 'index', ttl: '1d' },
  ids: { pattern: 'ids:<id>', type: t.set({ integers: true }), role: 'index', ttl: '1d', maxItems: 100 },
  board: { pattern: 'board:<game>', type: t.zset(), role: 'state', ttl: 'persistent' },
  top: { pattern: 'top:<game>', type: t.zset<{ id: number }>(), role: 'state', ttl: '1d', maxItems: 10 },
  events: {
    pattern: 'events:<id>',
    type: t.stream<{ kind: string; n: number }>(),
    role: 'queue',
    ttl: '1d',
    maxItems: 5,
  },
  log: { pattern: 'log:<id>', type: t.stream(), role: 'analytics', ttl: '1d' },
  visitors: { pattern: 'uv:{<site>}:<day>', type: t.hll(), role: 'analytics', ttl: '400d' },
  other: { pattern: 'uvx:<day>', type: t.hll(), role: 'analytics', ttl: '400d' },
  active: { pattern: 'active:<day>', type: t.bitmap(), role: 'analytics', ttl: '90d' },
  session: {
    pattern: 'session:<sid>',
    type: t.hash(),
    role: 'session',
    ttl: '2s',
    sliding: true,
    maxItems: 8,
  },
  token: { pattern: 'token:<sid>', type: t.string(), role: 'session', ttl: '2s', sliding: true },
})

const { db } = await startRedisForFile()

const bound = () => bindKeyspace(db, ks)

/** PTTL of a key, expecting a finite TTL within ttl·(1 ± jitter). */
async function expectTtl(key: string, ttlMs: number, jitter = 0) {
  const pttl = (await db.call(['PTTL', key])) as number
  expect(pttl, `${key} has a TTL`).toBeGreaterThan(0)
  expect(pttl).toBeLessThanOrEqual(Math.ceil(ttlMs * (1 + jitter)))
  expect(pttl).toBeGreaterThan(ttlMs * (1 - jitter) - 5_000)
}

describe('string and json values', () => {
  it('get / set / exists / ttl / delete', async () => {
    const note = bound().note({ id: 'a:b' })
    expect(note.key).toBe('ops:note:a%3Ab')
    expect(await note.get()).toBeNull()
    expect(await note.ttl()).toBe('missing')
    expect(await note.set('hello')).toBe(true)
    expect(await note.get()).toBe('hello')
    expect(await db.call(['GET', note.key])).toBe('hello')
    await expectTtl(note.key, 600_000, 0.1)
    expect(await note.exists()).toBe(true)
    expect(await note.set('other', { mode: 'ifAbsent' })).toBe(false)
    expect(await note.get()).toBe('hello')
    expect(await note.set('other', { mode: 'ifPresent' })).toBe(true)
    expect(await note.get()).toBe('other')
    expect(await note.delete()).toBe(true)
    expect(await note.delete()).toBe(false)
    expect(await note.set('x', { mode: 'ifPresent' })).toBe(false)
    expect(await note.exists()).toBe(false)
  })

  it('json and msgpack values round-trip', async () => {
    const value = { name: 'Lamp', price: 1999, tags: ['home', 'ünïcode'] }
    const product = bound().product({ id: 1 })
    await product.set(value)
    expect(await product.get()).toEqual(value)
    expect(JSON.parse(String(await db.call(['GET', product.key])))).toEqual(value)
    const packed = bound().packed({ id: 1 })
    await packed.set(value)
    expect(await packed.get()).toEqual(value)
    await expectTtl(packed.key, 600_000)
  })

  it('a value that fails to decode raises DECODE_FAILED naming the key', async () => {
    const product = bound().product({ id: 'broken' })
    await db.call(['SET', product.key, '{not json', 'PX', 60_000])
    const error = await product.get().catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'DECODE_FAILED',
      details: { key: 'ops:product:broken', entry: 'product' },
    })
    expect(String((error as Error).message)).toContain('ops:product:broken')
    const packed = bound().packed({ id: 'broken' })
    await db.call(['SET', packed.key, Buffer.from([0x82]), 'PX', 60_000])
    expect(await codeOf(packed.get())).toBe('DECODE_FAILED')
    const views = bound().views({ id: 'broken' })
    await db.call(['SET', views.key, 'twelve', 'PX', 60_000])
    expect(await codeOf(views.get())).toBe('DECODE_FAILED')
    const user = bound().user({ id: 'broken' })
    await db.batch([
      ['HSET', user.key, 'name', 'unquoted'],
      ['PEXPIRE', user.key, 60_000],
    ])
    const hashError = await user.hget('name').catch((e: unknown) => e)
    expect(hashError).toMatchObject({ code: 'DECODE_FAILED', details: { key: user.key, field: 'name' } })
  })

  it('refuses values the codec cannot encode, before any I/O', async () => {
    const product = bound().product({ id: 'bad' })
    expect(await codeOf(product.set(undefined as unknown as Product))).toBe('ENCODE_FAILED')
    expect(
      await codeOf(
        bound()
          .note({ id: 'x' })
          .set(42 as unknown as string),
      ),
    ).toBe('ENCODE_FAILED')
    expect(await codeOf(product.set({ name: 'x', price: 10n } as unknown as Product))).toBe('ENCODE_FAILED')
    expect(await codeOf(product.set(value(), { mode: 'sometimes' as 'ifAbsent' }))).toBe('INVALID_ARGUMENT')
    expect(await product.exists()).toBe(false)
  })
})

function value(): Product {
  return { name: 'x', price: 1, tags: [] }
}

describe('counter', () => {
  it('incr / incrBy / get / set', async () => {
    const views = bound().views({ id: 1 })
    expect(await views.get()).toBeNull()
    expect(await views.incr()).toBe(1)
    expect(await views.incrBy(41)).toBe(42)
    expect(await views.incrBy(-2)).toBe(40)
    expect(await views.get()).toBe(40)
    await expectTtl(views.key, 86_400_000)
    await views.set(7)
    expect(await views.get()).toBe(7)
    expect(await db.call(['OBJECT', 'ENCODING', views.key])).toBe('int')
    expect(await codeOf(views.incrBy(1.5))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(views.set(Number.NaN))).toBe('INVALID_ARGUMENT')
  })
})

describe('hash', () => {
  it('hset / hget / hmget / hincrBy / hexists / hdel / len / get', async () => {
    const user = bound().user({ id: 42 })
    expect(await user.get()).toBeNull()
    expect(await user.hset({ name: 'Ann', visits: 1, meta: { plan: 'pro' } })).toBe(3)
    expect(await user.hset({ name: 'Ann B.', meta: undefined })).toBe(0)
    expect(await user.hget('name')).toBe('Ann B.')
    expect(await user.hget('meta')).toEqual({ plan: 'pro' })
    expect(await user.hincrBy('visits', 5)).toBe(6)
    expect(await user.hget('visits')).toBe(6)
    expect(await user.hmget('name', 'visits')).toEqual({ name: 'Ann B.', visits: 6 })
    expect(await user.hexists('meta')).toBe(true)
    expect(await user.len()).toBe(3)
    expect(await user.get()).toEqual({ name: 'Ann B.', visits: 6, meta: { plan: 'pro' } })
    await db.unsafe({ reason: 'a hostile field written behind the toolkit' }, (raw) =>
      raw.call(['HSET', user.key, '__proto__', '{"polluted":true}']),
    )
    const whole = (await user.get()) as Record<string, unknown>
    expect(Object.getPrototypeOf(whole)).toBe(Object.prototype)
    expect(Object.hasOwn(whole, '__proto__')).toBe(true)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    await db.call(['HDEL', user.key, '__proto__'])
    expect(await user.hdel('meta')).toBe(1)
    expect(await user.hget('meta')).toBeNull()
    await expectTtl(user.key, 30 * 86_400_000)
    // Values are JSON per field: readable by any client.
    expect(await db.call(['HGET', user.key, 'name'])).toBe('"Ann B."')
  })

  it('scan iterates an unbounded hash; get() is refused on it', async () => {
    const cart = bound().cart({ uid: 7 })
    const items: Record<string, number> = {}
    for (let i = 0; i < 300; i++) items[`sku-${i}`] = i
    await cart.hset(items)
    const seen = new Map<string, number>()
    for await (const [field, quantity] of cart.scan({ count: 50 })) seen.set(field, quantity)
    expect(seen.size).toBe(300)
    expect(seen.get('sku-299')).toBe(299)
    const matched: string[] = []
    for await (const [field] of cart.scan({ match: 'sku-1?' })) matched.push(field)
    expect(matched.sort()).toEqual([
      'sku-10',
      'sku-11',
      'sku-12',
      'sku-13',
      'sku-14',
      'sku-15',
      'sku-16',
      'sku-17',
      'sku-18',
      'sku-19',
    ])
    const unbounded = cart as unknown as { get(): Promise<unknown> }
    expect(await codeOf(unbounded.get())).toBe('UNBOUNDED_READ')
    expect(await cart.hincrBy('sku-1', 2)).toBe(3)
  })

  it('refuses bad input before any I/O', async () => {
    const user = bound().user({ id: 'bad' }) as unknown as Record<
      string,
      (...a: unknown[]) => Promise<unknown>
    >
    expect(await codeOf(user.hset!({}))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(user.hset!({ name: undefined }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(user.hset!(null))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(user.hset!(['a']))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(user.hget!(42))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(user.hmget!())).toBe('INVALID_ARGUMENT')
    expect(await codeOf(user.hdel!())).toBe('INVALID_ARGUMENT')
    expect(await codeOf(user.hincrBy!('visits', 0.5))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => user.scan!({ count: 0 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => user.scan!({ match: 5 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(bound().packedHash({ id: 1 }).hincrBy('a', 1))).toBe('INVALID_ARGUMENT')
    expect(await db.call(['EXISTS', 'ops:user:bad'])).toBe(0)
  })
})

describe('list', () => {
  it('a bounded list keeps its newest maxItems', async () => {
    const feed = bound().feed({ id: 1 })
    expect(await feed.push({ text: 'a' }, { text: 'b' })).toBe(2)
    expect(await feed.push({ text: 'c' }, { text: 'd' })).toBe(3)
    expect(await feed.range(0, -1)).toEqual([{ text: 'b' }, { text: 'c' }, { text: 'd' }])
    expect(await feed.unshift({ text: 'z' })).toBe(3)
    expect(await feed.range(0, -1)).toEqual([{ text: 'z' }, { text: 'b' }, { text: 'c' }])
    expect(await feed.pop()).toEqual({ text: 'c' })
    expect(await feed.shift()).toEqual({ text: 'z' })
    expect(await feed.len()).toBe(1)
    await expectTtl(feed.key, 86_400_000)
  })

  it('an unbounded list refuses whole ranges, allows windows of one sign', async () => {
    const queue = bound().queue({ name: 'jobs' })
    await queue.push('1', '2', '3', '4')
    expect(await queue.range(0, 1)).toEqual(['1', '2'])
    expect(await queue.range(-2, -1)).toEqual(['3', '4'])
    expect(await codeOf(queue.range(0, -1))).toBe('UNBOUNDED_READ')
    expect(await codeOf(queue.range(0.5, 2))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(queue.push())).toBe('INVALID_ARGUMENT')
    expect(await queue.shift()).toBe('1')
    expect(await queue.ttl()).toBe('persistent')
    expect(await bound().queue({ name: 'empty' }).pop()).toBeNull()
  })
})

describe('set', () => {
  it('add / remove / isMember / card / scan', async () => {
    const tags = bound().tags({ id: 1 })
    expect(await tags.add('red', 'green', 'red')).toBe(2)
    expect(await tags.isMember('red')).toBe(true)
    expect(await tags.isMember('blue')).toBe(false)
    expect(await tags.remove('green', 'blue')).toBe(1)
    expect(await tags.card()).toBe(1)
    await tags.add(...Array.from({ length: 200 }, (_, i) => `t${i}`))
    const seen = new Set<string>()
    for await (const member of tags.scan({ count: 30 })) seen.add(member)
    expect(seen.size).toBe(201)
    expect(await codeOf((tags as unknown as { members(): Promise<unknown> }).members())).toBe(
      'UNBOUNDED_READ',
    )
    await expectTtl(tags.key, 86_400_000)
  })

  it('integer sets store decimals and offer members() when bounded', async () => {
    const ids = bound().ids({ id: 1 })
    expect(await ids.add(3, 1, 2)).toBe(3)
    expect((await ids.members()).sort()).toEqual([1, 2, 3])
    expect(await db.call(['OBJECT', 'ENCODING', ids.key])).toBe('intset')
    expect(await codeOf(ids.add(1.5))).toBe('ENCODE_FAILED')
    expect(await codeOf(ids.add())).toBe('INVALID_ARGUMENT')
  })
})

describe('sorted set', () => {
  it('add / incr / score / rank / range / rangeByScore / remove / card / scan', async () => {
    const board = bound().board({ game: 'chess' })
    expect(
      await board.add(
        { member: 'ann', score: 10 },
        { member: 'bob', score: 20 },
        { member: 'cy', score: 15 },
      ),
    ).toBe(3)
    expect(await board.incr('ann', 15)).toBe(25)
    expect(await board.score('ann')).toBe(25)
    expect(await board.score('nobody')).toBeNull()
    expect(await board.rank('ann')).toBe(2)
    expect(await board.rank('ann', { reverse: true })).toBe(0)
    expect(await board.range(0, 1)).toEqual([
      { member: 'cy', score: 15 },
      { member: 'bob', score: 20 },
    ])
    expect(await board.range(0, 0, { reverse: true })).toEqual([{ member: 'ann', score: 25 }])
    expect(await board.rangeByScore(16, Number.POSITIVE_INFINITY, { count: 10 })).toEqual([
      { member: 'bob', score: 20 },
      { member: 'ann', score: 25 },
    ])
    expect(await board.rangeByScore(Number.NEGATIVE_INFINITY, 30, { count: 1, reverse: true })).toEqual([
      { member: 'ann', score: 25 },
    ])
    expect(await codeOf(board.range(0, -1))).toBe('UNBOUNDED_READ')
    expect(await codeOf((board.rangeByScore as (a: number, b: number) => Promise<unknown>)(0, 1))).toBe(
      'UNBOUNDED_READ',
    )
    expect(await codeOf(board.add({ member: 'x', score: Number.NaN }))).toBe('INVALID_ARGUMENT')
    await board.add({ member: 'inf', score: Number.POSITIVE_INFINITY })
    expect(await board.score('inf')).toBe(Number.POSITIVE_INFINITY)
    expect(await board.remove('inf', 'nobody')).toBe(1)
    expect(await board.card()).toBe(3)
    const seen: string[] = []
    for await (const { member } of board.scan()) seen.push(member)
    expect(seen.sort()).toEqual(['ann', 'bob', 'cy'])
    expect(await board.ttl()).toBe('persistent')
  })

  it('a bounded sorted set allows whole ranges; members go through the codec', async () => {
    const top = bound().top({ game: 'go' })
    await top.add({ member: { id: 1 }, score: 1 }, { member: { id: 2 }, score: 2 })
    expect(await top.range(0, -1)).toEqual([
      { member: { id: 1 }, score: 1 },
      { member: { id: 2 }, score: 2 },
    ])
    expect(await top.rangeByScore(0, 10)).toHaveLength(2)
    await expectTtl(top.key, 86_400_000)
  })
})

describe('stream', () => {
  it('add with trimming / len / range with COUNT', async () => {
    const events = bound().events({ id: 1 })
    const ids: string[] = []
    for (let n = 0; n < 8; n++) ids.push(await events.add({ kind: 'click', n }))
    expect(ids[0]).toMatch(/^\d+-\d+$/)
    expect(await events.len()).toBeLessThanOrEqual(8) // MAXLEN ~ trims whole nodes only
    const last = await events.range({ reverse: true, count: 2 })
    expect(last.map((e) => e.fields.n)).toEqual([7, 6])
    expect(last[0]!.id).toBe(ids[7])
    const all = await events.range({})
    expect(all.length).toBeLessThanOrEqual(5)
    await expectTtl(events.key, 86_400_000)
    expect(await events.add({ kind: 'x', n: 1 }, { id: '99999999999999-1' })).toBe('99999999999999-1')
    expect(await codeOf(events.add({ kind: 'x', n: 1 }, { id: 'bad id' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(events.add({} as { kind: string; n: number }))).toBe('INVALID_ARGUMENT')
  })

  it('an unbounded stream requires a count', async () => {
    const log = bound().log({ id: 1 })
    await log.add({ msg: 'hello' })
    expect(await log.range({ count: 10 })).toEqual([expect.objectContaining({ fields: { msg: 'hello' } })])
    expect(await codeOf((log.range as (o: object) => Promise<unknown>)({}))).toBe('UNBOUNDED_READ')
    expect(await codeOf(log.range({ count: 10, start: 'x' }))).toBe('INVALID_ARGUMENT')
  })
})

describe('HyperLogLog', () => {
  it('add / count / merge within one hash tag; CROSS_SLOT otherwise', async () => {
    const monday = bound().visitors({ site: 'shop', day: 'mon' })
    const tuesday = bound().visitors({ site: 'shop', day: 'tue' })
    expect(await monday.add('a', 'b', 'c')).toBe(true)
    expect(await monday.add('a')).toBe(false)
    await tuesday.add('c', 'd')
    expect(await monday.count()).toBe(3)
    expect(await monday.count(tuesday)).toBe(4)
    const week = bound().visitors({ site: 'shop', day: 'week' })
    await week.merge(monday, tuesday.key)
    expect(await week.count()).toBe(4)
    await expectTtl(week.key, 400 * 86_400_000)
    expect(await db.call(['OBJECT', 'ENCODING', week.key])).toBe('raw')
    const elsewhere = bound().other({ day: 'mon' })
    expect(await codeOf(monday.count(elsewhere))).toBe('CROSS_SLOT')
    expect(await codeOf(week.merge())).toBe('INVALID_ARGUMENT')
    expect(await codeOf(monday.add(5 as unknown as string))).toBe('INVALID_ARGUMENT')
  })
})

describe('bitmap', () => {
  it('setBit / getBit / count', async () => {
    const active = bound().active({ day: '2024-05-01' })
    expect(await active.setBit(7, 1)).toBe(0)
    expect(await active.setBit(7, 1)).toBe(1)
    await active.setBit(100, 1)
    expect(await active.getBit(7)).toBe(1)
    expect(await active.getBit(8)).toBe(0)
    expect(await active.count()).toBe(2)
    expect(await active.count({ start: 0, end: 0 })).toBe(1)
    expect(await active.count({ start: 0, end: 7, unit: 'bit' })).toBe(1)
    await expectTtl(active.key, 90 * 86_400_000)
    expect(await codeOf(active.setBit(-1, 1))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(active.setBit(2 ** 32, 1))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(active.setBit(1, 2 as 1))).toBe('INVALID_ARGUMENT')
  })
})

describe('sliding entries', () => {
  it('reads extend the TTL in the same round trip', async () => {
    const session = bound().session({ sid: 's1' })
    const token = bound().token({ sid: 't1' })
    await session.hset({ user: '42' })
    await token.set('abc')
    await new Promise((resolve) => setTimeout(resolve, 1200))
    const before = (await db.call(['PTTL', session.key])) as number
    expect(before).toBeLessThanOrEqual(800)
    expect(await session.hget('user')).toBe('42')
    expect(await token.get()).toBe('abc')
    expect((await db.call(['PTTL', session.key])) as number).toBeGreaterThan(1500)
    expect((await db.call(['PTTL', token.key])) as number).toBeGreaterThan(1500)
    // exists() and ttl() are introspection: they do not extend.
    await new Promise((resolve) => setTimeout(resolve, 600))
    await session.exists()
    expect((await db.call(['PTTL', session.key])) as number).toBeLessThanOrEqual(1400)
  })

  it('expires when not read', async () => {
    const token = bound().token({ sid: 'gone' })
    await token.set('x')
    await new Promise((resolve) => setTimeout(resolve, 2200))
    expect(await token.get()).toBeNull()
  })
})
