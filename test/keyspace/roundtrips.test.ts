import { beforeAll, describe, expect, it } from 'vitest'
import { connect } from '../../src/connect.js'
import {
  defineKeyspace,
  type EntryDeclaration,
  type Keyspace,
  operationsFor,
  type TypeKind,
  t,
} from '../../src/keyspace/index.js'
import { bindKeyspace } from '../../src/ops/index.js'
import { startRedis } from '../../src/testing/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { CountingExecutor, callsBetween, codeOf, commandCalls, countCommands } from './helpers.js'

/*
 * Pins the round-trip table of operations.ts: for every type under every policy (finite TTL,
 * persistent, sliding, bounded), every operation sends exactly the commands its plan lists
 * (INFO commandstats delta on a dedicated server) in exactly one round trip.
 */

type Handle = Record<string, (...args: unknown[]) => unknown>

/** How to call each operation, on a key prepared by `prepare`. */
const CALLS: Record<TypeKind, Record<string, (h: Handle) => unknown>> = {
  string: { get: (h) => h.get!(), set: (h) => h.set!('v') },
  json: { get: (h) => h.get!(), set: (h) => h.set!({ a: 1 }) },
  counter: {
    get: (h) => h.get!(),
    incr: (h) => h.incr!(),
    incrBy: (h) => h.incrBy!(2),
    set: (h) => h.set!(5),
  },
  hash: {
    hget: (h) => h.hget!('f'),
    hmget: (h) => h.hmget!('f', 'n'),
    hset: (h) => h.hset!({ f: 1 }),
    hdel: (h) => h.hdel!('gone'),
    hincrBy: (h) => h.hincrBy!('n', 1),
    hexists: (h) => h.hexists!('f'),
    len: (h) => h.len!(),
    get: (h) => h.get!(),
    scan: (h) => drain(h.scan!() as AsyncIterable<unknown>),
  },
  list: {
    push: (h) => h.push!('a'),
    unshift: (h) => h.unshift!('b'),
    pop: (h) => h.pop!(),
    shift: (h) => h.shift!(),
    range: (h) => h.range!(0, 1),
    len: (h) => h.len!(),
  },
  set: {
    add: (h) => h.add!('a'),
    remove: (h) => h.remove!('gone'),
    isMember: (h) => h.isMember!('a'),
    card: (h) => h.card!(),
    members: (h) => h.members!(),
    scan: (h) => drain(h.scan!() as AsyncIterable<unknown>),
  },
  zset: {
    add: (h) => h.add!({ member: 'a', score: 1 }),
    incr: (h) => h.incr!('a', 1),
    score: (h) => h.score!('a'),
    rank: (h) => h.rank!('a'),
    range: (h) => h.range!(0, 1),
    rangeByScore: (h) => h.rangeByScore!(0, 10, { count: 5 }),
    remove: (h) => h.remove!('gone'),
    card: (h) => h.card!(),
    scan: (h) => drain(h.scan!() as AsyncIterable<unknown>),
  },
  stream: { add: (h) => h.add!({ f: 'v' }), len: (h) => h.len!(), range: (h) => h.range!({ count: 2 }) },
  hll: { add: (h) => h.add!('a'), count: (h) => h.count!(), merge: (h) => h.merge!(h.key) },
  bitmap: { setBit: (h) => h.setBit!(1, 1), getBit: (h) => h.getBit!(1), count: (h) => h.count!() },
}
const COMMON: Record<string, (h: Handle) => unknown> = {
  exists: (h) => h.exists!(),
  ttl: (h) => h.ttl!(),
  delete: (h) => h.delete!(),
}

async function drain(iterable: AsyncIterable<unknown>): Promise<number> {
  let n = 0
  for await (const _ of iterable) n++
  return n
}

const TYPES: Record<TypeKind, () => EntryDeclaration['type']> = {
  string: t.string,
  json: t.json,
  counter: t.counter,
  hash: t.hash,
  list: t.list,
  set: t.set,
  zset: t.zset,
  stream: t.stream,
  hll: t.hll,
  bitmap: t.bitmap,
}
const COLLECTIONS: readonly TypeKind[] = ['hash', 'list', 'set', 'zset', 'stream']

const VARIANTS = {
  ttl: { role: 'state', ttl: '1h', jitter: 0.1 },
  persistent: { role: 'state', ttl: 'persistent' },
  sliding: { role: 'session', ttl: '1h', sliding: true },
  bounded: { role: 'state', ttl: '1h', maxItems: 50 },
  boundedPersistent: { role: 'state', ttl: 'persistent', maxItems: 50 },
} as const

const declarations: Record<string, EntryDeclaration> = {}
for (const kind of Object.keys(TYPES) as TypeKind[]) {
  for (const [variant, options] of Object.entries(VARIANTS)) {
    if (variant.startsWith('bounded') && !COLLECTIONS.includes(kind)) continue
    declarations[`${kind}_${variant}`] = {
      pattern: `${kind}:${variant}:{<id>}`,
      type: TYPES[kind](),
      ...options,
    }
  }
}
const ks = defineKeyspace('rt', declarations) as unknown as Keyspace

/** Puts some data in the key so that every read has something to do. */
async function prepare(kind: TypeKind, key: string): Promise<void> {
  await db.call(['UNLINK', key])
  const setup: Record<TypeKind, (string | number)[][]> = {
    string: [['SET', key, 'x']],
    json: [['SET', key, '{"a":1}']],
    counter: [['SET', key, '1']],
    hash: [['HSET', key, 'f', '1', 'n', '2']],
    list: [['RPUSH', key, '"a"', '"b"']],
    set: [['SADD', key, '"a"']],
    zset: [['ZADD', key, '1', '"a"']],
    stream: [['XADD', key, '*', 'f', '"v"']],
    hll: [['PFADD', key, 'x']],
    bitmap: [['SETBIT', key, 3, 1]],
  }
  // Raw writes without a TTL: the setup knowingly steps past the guard.
  await db.unsafe({ reason: 'test fixture' }, async () => {
    for (const command of setup[kind]) await db.call(command)
  })
}

const { db } = await startRedisForFile()

beforeAll(async () => {
  // The typed-write script's first EVALSHA on a fresh server is answered NOSCRIPT and resent as
  // EVAL (one extra round trip, once per server): warm it so the table's steady state is pinned.
  const warm = bindKeyspace(db, ks) as unknown as Record<string, (p: object) => Handle>
  await warm.hash_ttl!({ id: 'warm' }).hset!({ f: 1 })
})

describe('round trips and commands per operation (INFO commandstats)', () => {
  it('the first typed write on a server that never saw the script: NOSCRIPT, then EVAL (2 round trips, once)', async () => {
    const fresh = await startRedis()
    const other = await connect({ url: fresh.url })
    try {
      const counting = new CountingExecutor(other)
      const app = bindKeyspace(counting, ks) as unknown as Record<string, (p: object) => Handle>
      const before = await commandCalls(other)
      await app.hash_ttl!({ id: 'cold' }).hset!({ f: 1 })
      const after = await commandCalls(other)
      expect(counting.roundTrips).toBe(2)
      expect(callsBetween(before, after)).toEqual({ EVALSHA: 1, EVAL: 1, HSET: 1, PEXPIRE: 1 })
      counting.roundTrips = 0
      await app.hash_ttl!({ id: 'cold' }).hset!({ f: 2 })
      expect(counting.roundTrips).toBe(1)
    } finally {
      await other.close()
      await fresh.stop()
    }
  })

  for (const entry of ks.entries) {
    it(`${entry.name}`, async () => {
      const counting = new CountingExecutor(db)
      const app = bindKeyspace(counting, ks) as unknown as Record<string, (p: object) => Handle>
      const kind = entry.policy.kind
      const calls = { ...CALLS[kind], ...COMMON }
      const plans = operationsFor(entry.policy)
      expect(plans.map((p) => p.op).sort()).toEqual(Object.keys(calls).sort())
      for (const plan of plans) {
        const handle = app[entry.name]!({ id: 'k' })
        await prepare(kind, handle.key as unknown as string)
        counting.roundTrips = 0
        const before = await commandCalls(db)
        const outcome = await codeOf(async () => calls[plan.op]!(handle))
        const after = await commandCalls(db)
        const label = `${entry.name}.${plan.op}`
        if (plan.status === 'refused') {
          expect(outcome, label).toBe('UNBOUNDED_READ')
          expect(callsBetween(before, after), label).toEqual({})
          expect(counting.roundTrips, label).toBe(0)
        } else {
          expect(outcome, label).toBeUndefined()
          expect(callsBetween(before, after), label).toEqual(countCommands(plan.commands))
          expect(counting.roundTrips, label).toBe(1)
        }
      }
    })
  }
})
