import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { scanNode } from '../../src/audit/scan.js'
import type { KeyRecord } from '../../src/audit/types.js'
import { type Command, connect, type Executor, type RedisExpertClient, type Reply } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

let server: RedisServer
let db: RedisExpertClient

beforeAll(async () => {
  server = await startRedis()
  db = await connect({ url: server.url, guard: 'off' })
})
afterAll(async () => {
  await db?.close()
  await server?.stop()
})

/**
 * The real master, with another client's writes slipped in between SCAN and the pipeline that
 * follows it: the race a live audit meets on a busy server, made deterministic.
 */
function racing(
  node: Executor,
  between: (keys: Buffer[]) => Promise<void>,
  afterFirstRound: (commands: readonly Command[]) => Promise<void> = async () => {},
): Executor {
  return {
    async call<T extends Reply = Reply>(command: Command, options?: Parameters<Executor['call']>[1]) {
      const reply = await node.call<T>(command, options)
      if (String(command[0]) === 'SCAN') await between((reply as unknown as [Buffer, Buffer[]])[1])
      return reply
    },
    async batch(commands, options) {
      const replies = await node.batch(commands, options)
      if (String(commands[0]?.[0]) === 'PTTL') await afterFirstRound(commands)
      return replies
    },
  }
}

async function collect(node: Executor, limit: number | null = null) {
  const records: KeyRecord[] = []
  const result = await scanNode(node, 0, {
    count: 100,
    samples: 5,
    limit,
    bucket: null,
    onRecords: (batch) => records.push(...batch),
  })
  return { records, result }
}

describe('scanNode', () => {
  it('tolerates keys deleted, or turned into another type, between SCAN and the pipeline', async () => {
    await db.call(['FLUSHALL'])
    const keys = Array.from({ length: 1000 }, (_, i) => `race:${i}`)
    await db.batch(keys.map((key) => ['SET', key, 'v']))
    const [master] = await db.masters()
    let deleted = 0
    let retyped = 0
    const node = racing(master as Executor, async (batch) => {
      // Half of each batch disappears; some keys become hashes.
      const gone = batch.filter((_, i) => i % 2 === 0)
      if (gone.length > 0) deleted += Number(await db.call(['UNLINK', ...gone]))
      for (const key of batch.filter((_, i) => i % 10 === 1)) {
        await db.batch([
          ['DEL', key],
          ['HSET', key, 'f', 'v'],
        ])
        retyped++
      }
    })
    const { records, result } = await collect(node)
    expect(deleted).toBeGreaterThan(400)
    expect(result.vanished).toBe(deleted)
    expect(result.keys).toBe(1000 - deleted)
    expect(records).toHaveLength(1000 - deleted)
    expect(result.complete).toBe(true)
    // The keys that changed type are reported as what they are now.
    expect(records.filter((r) => r.type === 'hash')).toHaveLength(retyped)
    expect(records.filter((r) => r.type === 'string')).toHaveLength(1000 - deleted - retyped)
  })

  it('recovers when a key changes type between the first round and its size command', async () => {
    await db.call(['FLUSHALL'])
    await db.batch(Array.from({ length: 300 }, (_, i) => ['SET', `flip:${i}`, 'v']))
    const [master] = await db.masters()
    let flipped = 0
    const node = racing(
      master as Executor,
      async () => {},
      async (commands) => {
        // The encoding said string; before STRLEN, some keys become hashes: STRLEN fails with
        // WRONGTYPE, the batch is retried command by command, and TYPE then HLEN are asked.
        const keys = commands.filter((c) => String(c[0]) === 'PTTL').map((c) => String(c[1]))
        for (const key of keys.filter((_, i) => i % 7 === 0)) {
          await db.batch([
            ['DEL', key],
            ['HSET', key, 'a', '1', 'b', '2'],
          ])
          flipped++
        }
      },
    )
    const { records, result } = await collect(node)
    expect(result.keys).toBe(300)
    const hashes = records.filter((r) => r.type === 'hash')
    expect(hashes).toHaveLength(flipped)
    expect(hashes.every((r) => r.size === 2)).toBe(true)
    expect(records.filter((r) => r.type === 'string').every((r) => r.size === 1)).toBe(true)
  })

  it('stops at the limit and says the scan is incomplete', async () => {
    await db.call(['FLUSHALL'])
    await db.batch(Array.from({ length: 1000 }, (_, i) => ['SET', `k:${i}`, 'v']))
    const [master] = await db.masters()
    const { records, result } = await collect(master as Executor, 250)
    expect(records).toHaveLength(250)
    expect(result.complete).toBe(false)
    const all = await collect(master as Executor, 5000)
    expect(all.result.complete).toBe(true)
    expect(all.records).toHaveLength(1000)
  })

  it('reads every type with its size command', async () => {
    await db.call(['FLUSHALL'])
    await db.batch([
      ['SET', 's', 'hello'],
      ['HSET', 'h', 'a', '1', 'b', '2'],
      ['RPUSH', 'l', '1', '2', '3'],
      ['SADD', 'set', 'x', 'y', 'z', 'w'],
      ['SADD', 'ints', '1', '2'],
      ['ZADD', 'z', '1', 'a'],
      ['XADD', 'x', '*', 'f', 'v'],
      ['PFADD', 'hll', 'a'],
      ['SET', 'n', '12345', 'PX', 60_000],
    ])
    const [master] = await db.masters()
    const { records } = await collect(master as Executor)
    const byKey = Object.fromEntries(records.map((r) => [r.key, [r.type, r.size, r.encoding]]))
    expect(byKey).toEqual({
      s: ['string', 5, 'embstr'],
      h: ['hash', 2, 'listpack'],
      l: ['list', 3, expect.stringMatching(/^(quicklist|listpack)$/)],
      set: ['set', 4, expect.stringMatching(/^(hashtable|listpack)$/)],
      ints: ['set', 2, 'intset'],
      z: ['zset', 1, 'listpack'],
      x: ['stream', 1, 'stream'],
      hll: ['string', expect.any(Number), expect.stringMatching(/^(raw|embstr)$/)],
      n: ['string', 5, 'int'],
    })
    expect(records.find((r) => r.key === 'n')?.ttlMs).toBeGreaterThan(50_000)
    expect(records.every((r) => (r.bytes ?? 0) > 0)).toBe(true)
  })
})
