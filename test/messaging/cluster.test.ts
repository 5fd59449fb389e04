import { describe, expect, it } from 'vitest'
import {
  createPubSub,
  createStreamProducer,
  createStreamWorker,
  defineChannels,
  message,
  readDeadLetters,
} from '../../src/messaging/index.js'
import { commandCalls } from '../support/commandstats.js'
import { startClusterForFile } from '../support/redis-fixture.js'
import { consumerNames, pendingCount, sleep, waitFor } from './helpers.js'

/* Messaging on a real 3-master Cluster: a stream and its dead letters share a hash tag. */

const { db } = await startClusterForFile({ masters: 3, replicasPerMaster: 0 })

async function slotOwners(keys: readonly string[]): Promise<Set<number>> {
  const owners = new Set<number>()
  const shards = (await db.call(['CLUSTER', 'SLOTS'])) as [number, number, [string, number]][]
  for (const key of keys) {
    const slot = Number(await db.call(['CLUSTER', 'KEYSLOT', key]))
    owners.add(shards.findIndex(([from, to]) => slot >= from && slot <= to))
  }
  return owners
}

describe('streams on a 3-master Cluster', () => {
  it('streams on every master: all entries handled, poison dead-lettered beside its stream', async () => {
    const names = Array.from({ length: 6 }, (_, i) => `c${i}`)
    const producers = names.map((name) => createStreamProducer<{ n: number; poison?: boolean }>(db, name))
    expect((await slotOwners(producers.map((p) => p.key))).size).toBe(3)
    for (const p of producers) await p.addMany([{ n: 1 }, { n: 2, poison: true }, { n: 3 }])
    const handled: string[] = []
    const workers = names.map((name) =>
      createStreamWorker<{ n: number; poison?: boolean }>(
        db,
        name,
        (job) => {
          if (job.poison) throw new Error('poison')
          handled.push(`${name}:${job.n}`)
        },
        { group: 'g', blockMs: 100, claimIdleMs: 300, retryDelayMs: 20, maxDeliveries: 2, concurrency: 2 },
      ),
    )
    await Promise.all(workers.map((w) => w.start()))
    await waitFor('every dead letter', async () => {
      const dead = await Promise.all(names.map((name) => readDeadLetters(db, name)))
      return dead.every((d) => d.length === 1)
    })
    expect(handled.sort()).toEqual(names.flatMap((name) => [`${name}:1`, `${name}:3`]).sort())
    for (const w of workers) expect(await pendingCount(db, w.key, 'g')).toBe(0)
    await Promise.all(workers.map((w) => w.close()))
  })

  it("recovers a dead consumer's entries and prunes it", async () => {
    const producer = createStreamProducer<{ n: number }>(db, 'crecover')
    await db.call(['XGROUP', 'CREATE', producer.key, 'g', '0', 'MKSTREAM'])
    await producer.addMany([{ n: 1 }, { n: 2 }])
    await db.call(['XREADGROUP', 'GROUP', 'g', 'ghost', 'COUNT', 2, 'STREAMS', producer.key, '>'])
    const seen: number[] = []
    const w = createStreamWorker<{ n: number }>(db, 'crecover', (job) => void seen.push(job.n), {
      group: 'g',
      blockMs: 100,
      claimIdleMs: 200,
      consumerIdleMs: 100,
    })
    await w.start()
    await waitFor('recovery', () => seen.length === 2)
    await waitFor('acks', async () => (await pendingCount(db, w.key, 'g')) === 0)
    // The prune timer (every consumerIdleMs here) removes the ghost once it holds nothing.
    await waitFor('prune', async () => !(await consumerNames(db, w.key, 'g')).includes('ghost'))
    expect(await consumerNames(db, w.key, 'g')).toEqual([w.consumer])
    await w.close()
  })
})

describe('pub/sub on a 3-master Cluster', () => {
  const channels = defineChannels('cps', {
    room: { pattern: 'room:{<room>}', message: message<{ n: number }>(), sharded: true },
    news: { pattern: 'news:<topic>', message: message<string>() },
  })

  it('sharded channels: each message is published on the shard that owns its slot, and received', async () => {
    const ps = createPubSub(db, channels)
    const rooms = Array.from({ length: 9 }, (_, i) => `r${i}`)
    expect((await slotOwners(rooms.map((room) => channels.room.channel({ room })))).size).toBe(3)
    const got: string[] = []
    for (const room of rooms)
      await ps.subscribe('room', { room }, (m, { params }) => void got.push(`${params.room}:${m.n}`))
    const masters = await db.masters()
    const before = await Promise.all(masters.map((m) => commandCalls(m)))
    for (const room of rooms) expect(await ps.publish('room', { room }, { n: 1 })).toBe(1)
    await waitFor('every room', () => got.length === rooms.length)
    expect(got.sort()).toEqual(rooms.map((room) => `${room}:1`).sort())
    // SPUBLISH ran on all three masters (each on its own shard), 9 in all.
    const after = await Promise.all(masters.map((m) => commandCalls(m)))
    const perMaster = after.map((a, i) => (a.get('spublish') ?? 0) - (before[i]!.get('spublish') ?? 0))
    expect(perMaster.every((n) => n > 0)).toBe(true)
    expect(perMaster.reduce((x, y) => x + y, 0)).toBe(9)
    await ps.close()
  })

  it('classic channels and patterns reach a subscriber from any node', async () => {
    const ps = createPubSub(db, channels)
    const got: string[] = []
    await ps.psubscribe('news', (text, { params }) => void got.push(`${params.topic}:${text}`))
    await ps.subscribe('news', { topic: 'a' }, (text) => void got.push(`only-a:${text}`))
    for (const topic of ['a', 'b', 'c']) await ps.publish('news', { topic }, 'x')
    await waitFor('four', () => got.length === 4)
    expect(got.sort()).toEqual(['a:x', 'b:x', 'c:x', 'only-a:x'])
    await sleep(10)
    await ps.close()
  })
})
