import { afterAll, describe, expect, it, onTestFinished } from 'vitest'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import {
  createStreamProducer,
  createStreamWorker,
  readDeadLetters,
  type StreamEntryInfo,
  type StreamWorker,
} from '../../src/messaging/index.js'
import { startPartitionProxy } from '../support/partition-proxy.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf, commandsOf, consumerNames, pendingCount, sleep, waitFor } from './helpers.js'

const { server, db } = await startRedisForFile()
const workers: StreamWorker[] = []

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close({ timeoutMs: 1000 })))
})

type Job = { n: number; poison?: boolean }

function worker(stream: string, handler: (job: Job, deliveries: number) => Promise<void> | void, extra = {}) {
  const w = createStreamWorker<Job>(db, stream, (job, entry) => handler(job, entry.deliveries), {
    group: 'g',
    blockMs: 100,
    claimIdleMs: 300,
    retryDelayMs: 50,
    ...extra,
  })
  workers.push(w)
  return w
}

describe('stream producer', () => {
  it('add is one XADD with the trim; addMany is one round trip', async () => {
    const producer = createStreamProducer<Job>(db, 'p1', { trim: { maxLen: 5, exact: true } })
    expect(producer.key).toBe('stream:{p1}')
    const commands = await commandsOf(db, () => producer.add({ n: 1 }))
    expect(commands).toEqual({ XADD: 1 })
    const ids = await producer.addMany(Array.from({ length: 9 }, (_, n) => ({ n })))
    expect(ids).toHaveLength(9)
    expect(await db.call(['XLEN', producer.key])).toBe(5)
    const entries = (await db.call(['XRANGE', producer.key, '-', '+', 'COUNT', 10])) as [string, string[]][]
    expect(entries.map((e) => JSON.parse(e[1][1]!).n)).toEqual([4, 5, 6, 7, 8])
  })

  it('MINID trimming drops entries older than minAgeMs', async () => {
    const producer = createStreamProducer<Job>(db, 'p2', { trim: { minAgeMs: 200, exact: true } })
    await producer.addMany([{ n: 1 }, { n: 2 }])
    await sleep(250)
    await producer.add({ n: 3 })
    expect(await db.call(['XLEN', producer.key])).toBe(1)
  })

  it('approximate MAXLEN by default keeps the stream bounded without an exact trim per add', async () => {
    const producer = createStreamProducer<Job>(db, 'p3', { trim: { maxLen: 100 } })
    await producer.addMany(Array.from({ length: 1000 }, (_, n) => ({ n })))
    const length = Number(await db.call(['XLEN', producer.key]))
    expect(length).toBeGreaterThanOrEqual(100)
    expect(length).toBeLessThan(300)
  })

  it('refuses bad input with INVALID_ARGUMENT', async () => {
    expect(await codeOf(() => createStreamProducer(db, ''))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createStreamProducer(db, 's', { trim: { maxLen: 0 } }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(
      await codeOf(() => createStreamProducer(db, 's', { trim: { maxLen: 1, minAgeMs: 1 } as never })),
    ).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createStreamProducer(db, 's', { codec: 'pickle' as never }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => createStreamProducer(db, 's', { namespace: 'a b' }))).toBe('INVALID_ARGUMENT')
    const producer = createStreamProducer(db, 's')
    expect(await codeOf(() => producer.add(10n))).toBe('ENCODE_FAILED')
    expect(await codeOf(() => createStreamWorker(db, 's', () => {}, {} as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => createStreamWorker(db, 's', 'x' as never, { group: 'g' }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => createStreamWorker(db, 's', () => {}, { group: 'g', concurrency: 0 }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => createStreamWorker(db, 's', () => {}, { group: 'g', startId: 'x' }))).toBe(
      'INVALID_ARGUMENT',
    )
  })
})

describe('stream worker', () => {
  it('handles every entry once with bounded concurrency, acknowledging after success', async () => {
    const producer = createStreamProducer<Job>(db, 'w1')
    await producer.addMany(Array.from({ length: 40 }, (_, n) => ({ n })))
    let running = 0
    let peak = 0
    const seen: number[] = []
    const w = worker(
      'w1',
      async (job) => {
        running++
        peak = Math.max(peak, running)
        await sleep(10)
        seen.push(job.n)
        running--
      },
      { concurrency: 8 },
    )
    await w.start()
    await producer.addMany(Array.from({ length: 10 }, (_, n) => ({ n: 40 + n })))
    await waitFor('50 entries', () => seen.length === 50)
    expect(peak).toBe(8)
    expect(new Set(seen).size).toBe(50)
    await waitFor('acks', async () => (await pendingCount(db, w.key, 'g')) === 0)
    await w.close()
    expect(w.stats()).toMatchObject({ processed: 50, failed: 0, inFlight: 0 })
  })

  it('commands per batch: one XREADGROUP (and its TIME) for up to `concurrency` entries, one XACK for the acks of a tick', async () => {
    const producer = createStreamProducer<Job>(db, 'w0')
    await db.call(['XGROUP', 'CREATE', producer.key, 'g', '0', 'MKSTREAM'])
    await producer.addMany(Array.from({ length: 40 }, (_, n) => ({ n })))
    let handled = 0
    const w = worker('w0', () => void handled++, { concurrency: 20, claimIdleMs: 60_000, blockMs: 300 })
    const commands = await commandsOf(db, async () => {
      await w.start()
      await waitFor('40 entries', async () => handled === 40 && (await pendingCount(db, w.key, 'g')) === 0)
    })
    // Entries read together finish together here (trivial handler): their acks share an XACK.
    expect(commands.XACK).toBeGreaterThanOrEqual(1)
    expect(commands.XACK).toBeLessThanOrEqual(4)
    expect(commands.XREADGROUP).toBeLessThanOrEqual(4)
    // TIME rides with each read (the delivery's server time): one per XREADGROUP, less the read
    // still blocking when the counts were taken, whose TIME has not run yet.
    expect(commands.TIME).toBeGreaterThanOrEqual((commands.XREADGROUP ?? 0) - 1)
    expect(commands.TIME).toBeLessThanOrEqual(commands.XREADGROUP ?? 0)
    expect(commands.EVALSHA ?? 0).toBe(0)
    await w.close()
  })

  it('retries a failed entry after retryDelayMs, counting deliveries', async () => {
    const producer = createStreamProducer<Job>(db, 'w2')
    await producer.add({ n: 1 })
    const deliveries: number[] = []
    const w = worker('w2', (_job, d) => {
      deliveries.push(d)
      if (d < 3) throw new Error('transient')
    })
    await w.start()
    await waitFor('third delivery', () => deliveries.length === 3)
    expect(deliveries).toEqual([1, 2, 3])
    await waitFor('ack', async () => (await pendingCount(db, w.key, 'g')) === 0)
    await w.close()
    expect(w.stats()).toMatchObject({ processed: 1, failed: 2 })
  })

  it('retries after ~retryDelayMs even when periodic recovery is far apart (default claimIdleMs 30 s)', async () => {
    const producer = createStreamProducer<Job>(db, 'w2b')
    await producer.add({ n: 1 })
    const at: number[] = []
    const w = worker(
      'w2b',
      (_job, d) => {
        at.push(Date.now())
        if (d < 3) throw new Error('transient')
      },
      { claimIdleMs: 30_000, retryDelayMs: 100 },
    )
    await w.start()
    // Periodic passes come every 10 s here: three deliveries within 5 s need the retry passes.
    await waitFor('third delivery', () => at.length === 3, 5_000)
    expect((at[2] as number) - (at[0] as number)).toBeGreaterThanOrEqual(200)
    await waitFor('ack', async () => (await pendingCount(db, w.key, 'g')) === 0)
    await w.close()
  })

  it('moves a poison entry to the dead-letter stream after maxDeliveries, with the error', async () => {
    const producer = createStreamProducer<Job>(db, 'w3')
    await producer.addMany([{ n: 1, poison: true }, { n: 2 }])
    const calls = new Map<number, number>()
    const w = worker(
      'w3',
      (job) => {
        calls.set(job.n, (calls.get(job.n) ?? 0) + 1)
        if (job.poison) throw new Error(`poison ${job.n}`)
      },
      { maxDeliveries: 3 },
    )
    await w.start()
    await waitFor('dead letter', async () => (await readDeadLetters(db, 'w3')).length === 1)
    const [dead] = await readDeadLetters<Job>(db, 'w3')
    expect(dead).toMatchObject({
      group: 'g',
      deliveries: 3,
      error: 'poison 1',
      message: { n: 1, poison: true },
    })
    expect(calls.get(1)).toBe(3)
    expect(calls.get(2)).toBe(1)
    expect(await pendingCount(db, w.key, 'g')).toBe(0)
    await w.close()
  })

  it('dead-letters an undecodable entry at once', async () => {
    await db.call(['XADD', 'stream:{w4}', '*', 'd', '{not json'])
    const w = worker('w4', () => {})
    await w.start()
    await waitFor('dead letter', async () => (await readDeadLetters(db, 'w4')).length === 1)
    const [dead] = await readDeadLetters(db, 'w4')
    expect(dead?.deliveries).toBe(1)
    expect(dead?.message).toBeUndefined()
    await w.close()
  })

  it('recovers entries a dead consumer left pending, and dead-letters ones that exhausted deliveries', async () => {
    const producer = createStreamProducer<Job>(db, 'w5')
    await db.call(['XGROUP', 'CREATE', producer.key, 'g', '0', 'MKSTREAM'])
    await producer.addMany(Array.from({ length: 6 }, (_, n) => ({ n })))
    // A consumer that read everything and died without acknowledging.
    await db.call(['XREADGROUP', 'GROUP', 'g', 'ghost', 'COUNT', 6, 'STREAMS', producer.key, '>'])
    // One entry already crashed 3 consumers: its 4th claim exceeds maxDeliveries 3.
    const entries = (await db.call(['XRANGE', producer.key, '-', '+', 'COUNT', 1])) as [string, string[]][]
    for (let i = 0; i < 2; i++) await db.call(['XCLAIM', producer.key, 'g', 'ghost', 0, entries[0]![0]])
    const seen: number[] = []
    const w = worker('w5', (job) => void seen.push(job.n), { maxDeliveries: 3, concurrency: 10 })
    await w.start()
    await waitFor('recovery', () => seen.length === 5, 5000)
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5])
    const dead = await readDeadLetters<Job>(db, 'w5')
    expect(dead.map((d) => [d.message?.n, d.deliveries])).toEqual([[0, 3]])
    expect(await pendingCount(db, w.key, 'g')).toBe(0)
    expect(w.stats().reclaimed).toBe(5)
    await w.close()
  })

  it("a stall is not a failure: a dead consumer's entry runs again, a second stall dead-letters it; failures count apart", async () => {
    const producer = createStreamProducer<Job>(db, 'w9')
    await db.call(['XGROUP', 'CREATE', producer.key, 'g', '0', 'MKSTREAM'])
    const [a, b] = await producer.addMany([{ n: 1 }, { n: 2 }])
    // A consumer read both and died; another claimed the second and died too (a second stall).
    await db.call(['XREADGROUP', 'GROUP', 'g', 'ghost', 'COUNT', 2, 'STREAMS', producer.key, '>'])
    await db.call(['XCLAIM', producer.key, 'g', 'ghost-2', 0, b!])
    const [c] = await producer.addMany([{ n: 3, poison: true }])
    const seen: [number, number, number][] = []
    const w = createStreamWorker<Job>(
      db,
      'w9',
      (job, entry) => {
        seen.push([job.n, entry.attempt, entry.stalls])
        if (job.poison && entry.attempt === 1) throw new Error('once')
      },
      { group: 'g', blockMs: 100, claimIdleMs: 300, retryDelayMs: 50, maxDeliveries: 2, autorun: false },
    )
    workers.push(w)
    await w.start()
    await waitFor('handled', () => seen.length === 3, 5000)
    // The stalled entry ran again as attempt 1 after one stall; the failing one as attempt 2, no stall.
    expect(seen.sort((x, y) => x[0] - y[0] || x[1] - y[1])).toEqual([
      [1, 1, 1],
      [3, 1, 0],
      [3, 2, 0],
    ])
    // XCLAIM by ghost-2 reset the second entry's idle time: it is recovered a pass later.
    await waitFor('dead letter', async () => (await readDeadLetters(db, 'w9')).length === 1, 5000)
    const dead = await readDeadLetters<Job>(db, 'w9')
    expect(dead.map((d) => [d.sourceId, d.message?.n])).toEqual([[b, 2]])
    expect(dead[0]?.error).toMatch(/stalled 2 times \(maxStalls 1\)/)
    expect(await pendingCount(db, w.key, 'g')).toBe(0)
    // Failure counts go once their entry is acknowledged.
    expect(Number(await db.call(['HLEN', 'stream:{w9}:failures']))).toBe(0)
    expect([a, c]).toHaveLength(2)
    await w.close()
  })

  it('recovery and reads together never exceed concurrency', async () => {
    const producer = createStreamProducer<Job>(db, 'w5b')
    await db.call(['XGROUP', 'CREATE', producer.key, 'g', '0', 'MKSTREAM'])
    await producer.addMany(Array.from({ length: 10 }, (_, n) => ({ n })))
    await db.call(['XREADGROUP', 'GROUP', 'g', 'ghost', 'COUNT', 10, 'STREAMS', producer.key, '>'])
    await producer.addMany(Array.from({ length: 30 }, (_, n) => ({ n: 10 + n })))
    let running = 0
    let peak = 0
    const seen = new Set<number>()
    const w = worker(
      'w5b',
      async (job) => {
        running++
        peak = Math.max(peak, running)
        await sleep(15)
        seen.add(job.n)
        running--
      },
      { concurrency: 3, claimIdleMs: 90 },
    )
    await w.start()
    await waitFor('all 40', () => seen.size === 40)
    expect(peak).toBe(3)
    expect(w.stats().reclaimed).toBeGreaterThanOrEqual(10)
    await w.close()
  })

  it('renews entries it is still handling, so a slow handler is not reclaimed by others', async () => {
    const producer = createStreamProducer<Job>(db, 'w6')
    await producer.add({ n: 1 })
    const handledBy: string[] = []
    const a = worker(
      'w6',
      async () => {
        handledBy.push('a')
        await sleep(1000)
      },
      { consumer: 'a' },
    )
    const b = worker('w6', () => void handledBy.push('b'), { consumer: 'b', autorun: false })
    await a.start()
    await waitFor('a has it', () => handledBy.length === 1)
    await b.start()
    await sleep(1100)
    expect(handledBy).toEqual(['a'])
    await Promise.all([a.close(), b.close()])
  })

  it("an entry another consumer claimed stays that one's: a's renewal does not take it back, nor does a's failure", async () => {
    const producer = createStreamProducer<Job>(db, 'w6b')
    const id = await producer.add({ n: 1 })
    let fail: (error: Error) => void = () => {}
    const running = new Promise<void>((_, reject) => {
      fail = reject
    })
    let started = false
    const a = worker(
      'w6b',
      async () => {
        started = true
        await running
      },
      { consumer: 'a', claimIdleMs: 300 },
    )
    await waitFor('a handles it', () => started)
    // What another consumer's XAUTOCLAIM does once a's renewals stopped reaching Redis for
    // claimIdleMs (a partition, an event loop blocked): the entry is b's now, b runs it and, alive,
    // renews it every claimIdleMs / 3 as a consumer does.
    const renewAsB = () => db.call(['XCLAIM', a.key, 'g', 'b', 0, id, 'JUSTID'])
    await renewAsB()
    const bRenews = setInterval(() => void renewAsB(), 100)
    const owners = new Set<string | undefined>()
    const watchOwner = async (ms: number) => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) {
        const pending = (await db.call(['XPENDING', a.key, 'g', '-', '+', 10])) as [string, string][]
        owners.add(pending.find((p) => p[0] === id)?.[1])
      }
    }
    try {
      await watchOwner(400) // four of a's renewal rounds (every claimIdleMs / 3)
      expect([...owners]).toEqual(['b'])
      // a's handler fails now: the entry's fate is b's to decide, so a neither counts a failure
      // nor claims it for a retry.
      fail(new Error('a gives up'))
      await waitFor('a is done', () => a.stats().failed === 1)
      await watchOwner(200)
      expect([...owners]).toEqual(['b'])
      expect(await db.call(['HGET', a.keyspace.failures.key({ stream: 'w6b' }), `${id}|g`])).toBeNull()
    } finally {
      clearInterval(bRenews)
    }
    await a.close()
  })

  describe("a handler's signal", () => {
    /** A consumer on `stream` whose handler (first run) waits to be told, then rethrows. */
    function toldWorker(stream: string, client: RedisExpertClient, extra = {}) {
      const seen = { runs: 0, toldAt: 0, told: undefined as unknown }
      const w = createStreamWorker<Job>(
        client,
        stream,
        async (_job, entry) => {
          if (seen.runs++ > 0) return
          await new Promise((resolve) => entry.signal.addEventListener('abort', resolve))
          seen.toldAt = performance.now()
          seen.told = entry.signal.reason
          throw entry.signal.reason
        },
        { group: 'g', consumer: 'a', blockMs: 100, claimIdleMs: 1000, retryDelayMs: 50, ...extra },
      )
      workers.push(w)
      return { w, seen }
    }

    it('a consumer cut off from Redis is told by its own clock, before another can reclaim the entry; its failure is not counted', async () => {
      const proxy = await startPartitionProxy(server.port)
      onTestFinished(() => proxy.close())
      const cutOff = await connect({ url: proxy.url })
      onTestFinished(() => cutOff.close())
      const producer = createStreamProducer<Job>(db, 'sig1')
      const id = await producer.add({ n: 1 })
      const a = toldWorker('sig1', cutOff)
      await waitFor('a handles it', () => a.seen.runs === 1)
      proxy.cut()
      let startedByB = 0
      const byB: StreamEntryInfo[] = []
      const b = createStreamWorker<Job>(
        db,
        'sig1',
        (_job, entry) => {
          startedByB ||= performance.now()
          byB.push(entry)
        },
        { group: 'g', consumer: 'b', blockMs: 100, claimIdleMs: 1000, retryDelayMs: 50 },
      )
      workers.push(b)
      await waitFor('b handles it', () => byB.length === 1, 5000)
      expect(a.seen.toldAt).toBeGreaterThan(0)
      expect(a.seen.toldAt).toBeLessThan(startedByB)
      expect(String((a.seen.told as Error).message)).toMatch(/could not renew it within claimIdleMs/)
      expect(byB[0]).toMatchObject({ id, attempt: 1, stalls: 1 })
      proxy.heal()
      await waitFor('a is done', () => a.w.stats().inFlight === 0, 3000)
      await waitFor('acknowledged', async () => (await pendingCount(db, b.key, 'g')) === 0, 3000)
      expect(await db.call(['HGET', b.keyspace.failures.key({ stream: 'sig1' }), `${id}|g`])).toBeNull()
      await Promise.all([a.w.close({ timeoutMs: 1000 }), b.close()])
    }, 20_000)

    it('a read that blocked for longer than claimIdleMs: the entry is not aborted while renewals get through', async () => {
      const producer = createStreamProducer<Job>(db, 'sig2')
      let aborted: boolean | undefined
      const w = createStreamWorker<Job>(
        db,
        'sig2',
        async (_job, entry) => {
          // Three claimIdleMs long: renewals (every third of it) must keep it.
          await sleep(1500)
          aborted = entry.signal.aborted
        },
        { group: 'g', blockMs: 1500, claimIdleMs: 500, retryDelayMs: 50 },
      )
      workers.push(w)
      await w.start()
      // The read blocks (blockMs 1.5 s) for longer than claimIdleMs before the entry comes.
      await sleep(1200)
      await producer.add({ n: 1 })
      await waitFor('the handler ends', () => aborted !== undefined, 5000)
      expect(aborted).toBe(false)
      await w.close()
    }, 20_000)

    it('fires when close() gives up waiting (timeoutMs)', async () => {
      const producer = createStreamProducer<Job>(db, 'sig3')
      await producer.add({ n: 1 })
      const a = toldWorker('sig3', db)
      await waitFor('a handles it', () => a.seen.runs === 1)
      await a.w.close({ timeoutMs: 200 })
      await waitFor('a is told', () => a.seen.told !== undefined)
      expect(String((a.seen.told as Error).message)).toMatch(/closed/)
    })
  })

  it('removes idle consumers that hold nothing, never one with pending entries', async () => {
    const producer = createStreamProducer<Job>(db, 'w7')
    await db.call(['XGROUP', 'CREATE', producer.key, 'g', '0', 'MKSTREAM'])
    await db.call(['XGROUP', 'CREATECONSUMER', producer.key, 'g', 'idle-empty'])
    await producer.add({ n: 1 })
    await db.call(['XREADGROUP', 'GROUP', 'g', 'idle-holding', 'COUNT', 1, 'STREAMS', producer.key, '>'])
    await sleep(120)
    // The timer prunes every consumerIdleMs (capped at a minute); here the call runs it at once.
    const w = worker('w7', () => {}, { consumerIdleMs: 100, claimIdleMs: 60_000, consumer: 'me' })
    const deleted = await w.pruneConsumers()
    expect(deleted).toEqual(['idle-empty'])
    expect(await consumerNames(db, w.key, 'g')).toEqual(['idle-holding'])
    await w.close()
  })

  it('graceful shutdown: stops reading, finishes and acknowledges in-flight entries', async () => {
    const producer = createStreamProducer<Job>(db, 'w8')
    await producer.addMany(Array.from({ length: 20 }, (_, n) => ({ n })))
    const done: number[] = []
    const w = worker(
      'w8',
      async (job) => {
        await sleep(200)
        done.push(job.n)
      },
      { concurrency: 4 },
    )
    await w.start()
    await sleep(50)
    await w.close()
    expect(done).toHaveLength(4)
    expect(await pendingCount(db, w.key, 'g')).toBe(0)
    // Nothing was read after the shutdown began: the group stopped at the 4th entry.
    const info = (await db.call(['XINFO', 'GROUPS', w.key])) as (string | number)[][]
    const firstFour = (await db.call(['XRANGE', w.key, '-', '+', 'COUNT', 4])) as [string][]
    expect(info[0]![info[0]!.indexOf('last-delivered-id') + 1]).toBe(firstFour[3]![0])
  })

  it('a binary codec (msgpack) round-trips through reads, recovery and dead letters', async () => {
    // One namespace, one codec: the keyspace declares it for the Key Schema table.
    const producer = createStreamProducer<{ b: number[] }>(db, 'w9', { codec: 'msgpack', namespace: 'bin' })
    await db.call(['XGROUP', 'CREATE', producer.key, 'g', '0', 'MKSTREAM'])
    await producer.add({ b: [0, 255, 128] })
    await db.call(['XREADGROUP', 'GROUP', 'g', 'ghost', 'COUNT', 1, 'STREAMS', producer.key, '>'])
    await producer.add({ b: [1] })
    const seen: number[][] = []
    const w = createStreamWorker<{ b: number[] }>(db, 'w9', (m) => void seen.push(m.b), {
      group: 'g',
      codec: 'msgpack',
      namespace: 'bin',
      blockMs: 100,
      claimIdleMs: 200,
    })
    workers.push(w)
    await w.start()
    await waitFor('both', () => seen.length === 2, 5000)
    expect(seen).toContainEqual([0, 255, 128])
    expect(w.stats().reclaimed).toBe(1)
    await w.close()
    expect(await codeOf(() => createStreamProducer(db, 'w9', { codec: 'json', namespace: 'bin' }))).toBe(
      'KEYSPACE_OVERLAP',
    )
  })
})
