import { describe, expect, it, onTestFinished } from 'vitest'
import type { Reply } from '../../src/common/types.js'
import type { RedisExpertClient } from '../../src/connect.js'
import { RedisExpertError } from '../../src/errors.js'
import { handedJob, type TakeCall, takeLine } from '../../src/queue/calls.js'
import { Queue, Worker } from '../../src/queue/index.js'
import { TAKE } from '../../src/queue/scripts.js'
import { commandsOnMasters, sleep, waitFor } from '../messaging/helpers.js'
import { startPartitionProxy } from '../support/partition-proxy.js'
import { queueFixture, queueServers, rerun } from './helpers.js'

/*
 * Issue 15 (4), the hand-over: an add to a queue with nothing waiting leases its job to a worker
 * registered as idle and pushes it to that worker's wake-up list, so that the worker's wait
 * returns the job itself — no take script between the add and the handler. What a take promises
 * holds for it too: a lost reply gives the job back uncounted, a worker that dies while it waits
 * loses no job and costs it no stall, a worker killed while running it counts a stall.
 */
const { targets, client, server } = queueServers()

const idleWorkers = async (db: RedisExpertClient, q: Queue<unknown>) =>
  Number(await db.call(['ZCARD', q.keys.idle]))

/** The hanging worker fixture (takes jobs, never finishes them; leaseMs 600), waiting idle up to `pollMs`. */
const hangingWorker = (kind: string, queue: string, pollMs: number) =>
  queueFixture('hanging-worker.ts', [JSON.stringify(targets[kind]), queue, String(pollMs)])

/** The take script called as a worker would, `call` over a take of one job with nothing else. */
const takeCall = (db: RedisExpertClient, q: Queue<unknown>) => (token: string, call: Partial<TakeCall>) =>
  TAKE.runCommand(
    db,
    takeLine(q.keys, {
      token,
      revoke: [],
      confirm: [],
      register: '',
      unregister: '',
      leaseMs: 30_000,
      resultTtlMs: 60_000,
      eventsMaxLen: 100,
      count: 1,
      finished: [],
      pollMs: 10_000,
      ...call,
    }),
  )

describe.each(['standalone', 'cluster'])('hand-over (%s)', (kind) => {
  it('an add to an idle queue is the one script between the add and the handler: no take runs', async () => {
    const db = await client(kind)
    const q = new Queue<number>(db, `handover-${kind}`)
    let started: () => void = () => {}
    const start = new Promise<void>((resolve) => {
      started = resolve
    })
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const seen: { attempt: number; stalls: number }[] = []
    const w = new Worker<number, number>(db, q.name, async (job) => {
      if (job.name === 'warm-up') return 0
      seen.push({ attempt: job.attempt, stalls: job.stalls })
      started()
      await gate
      return job.data
    })
    onTestFinished(() => {
      release()
      return w.close()
    })
    // A warm-up job, handed over too, loads the scripts (EVALSHA from then on, no EVAL).
    await waitFor('the worker registers as idle', async () => (await idleWorkers(db, q)) === 1)
    const warmUp = await q.add('warm-up', 0)
    await waitFor('warmed up', async () => (await q.getJob(warmUp.id))?.state === 'completed')
    await waitFor('the worker registers as idle again', async () => (await idleWorkers(db, q)) === 1)
    let id = ''
    const commands = await commandsOnMasters(db, async () => {
      id = (await q.add('j', 5)).id
      await start
      // The receipt: the worker renews the job's short first lease once its handler has started.
      await sleep(100)
    })
    // The add (TIME; no EXISTS: the id is the producer's own, new; ZPOPMAX: the idle worker —
    // registered only while nothing waits; HSET; ZADD of the lease; RPUSH to the worker's list),
    // the receipt (extend.lua: TIME, HGET of the token, HDEL of the mark, ZADD XX). The wait
    // that returned the job (BLPOP) was sent before: the server counts it when it began or when
    // it ended.
    const { BLPOP = 0, ...rest } = commands
    expect(BLPOP).toBeLessThanOrEqual(1)
    expect(rest).toEqual({
      EVALSHA: 2,
      TIME: 2,
      ZPOPMAX: 1,
      HSET: 1,
      ZADD: 2,
      RPUSH: 1,
      HGET: 1,
      HDEL: 1,
    })
    expect(await q.getJob(id)).toMatchObject({ state: 'active', attemptsMade: 0 })
    expect(Number(await db.call(['HEXISTS', q.keys.job(id), 'handed']))).toBe(0)
    release()
    await waitFor('completed', async () => (await q.getJob(id))?.state === 'completed')
    expect(seen).toEqual([{ attempt: 1, stalls: 0 }])
    expect(await q.getJob(id)).toMatchObject({ result: 5, attemptsMade: 1, stalls: 0 })
  })

  it('a worker SIGKILLed while it waits idle: the job handed to it runs elsewhere, no stall counted', async () => {
    const db = await client(kind)
    const q = new Queue<number>(db, `handover-dead-${kind}`)
    const hanging = hangingWorker(kind, q.name, 10_000)
    await waitFor('the child registers as idle', async () => (await idleWorkers(db, q)) === 1, 20_000)
    hanging.proc.kill('SIGKILL')
    await hanging.exited
    // Its registration outlives it (10 s): the add hands the job to it.
    const { id } = await q.add('j', 7)
    expect(await q.getJob(id)).toMatchObject({ state: 'active' })
    const list = q.keys.wake(String(await db.call(['HGET', q.keys.job(id), 'token'])))
    expect(await db.call(['LLEN', list])).toBe(1)
    const { runs, worker: w } = rerun(db, q)
    // Its first lease (RECEIPT_MS) runs out unrenewed: the job goes back, and the list with it.
    await waitFor('completed', async () => (await q.getJob(id))?.state === 'completed', 10_000)
    expect(await db.call(['EXISTS', list])).toBe(0)
    expect(runs).toEqual([{ attempt: 1, stalls: 0 }])
    const job = await q.getJob(id)
    expect(job).toMatchObject({ result: 14, attemptsMade: 1, stalls: 0 })
    expect(job?.history).toEqual([])
    expect(w.stats().returned).toBe(1)
  }, 30_000)

  it('a worker SIGKILLed while it runs a job handed to it: the job runs again, one stall counted', async () => {
    const db = await client(kind)
    const q = new Queue<number>(db, `handover-killed-${kind}`)
    const hanging = hangingWorker(kind, q.name, 10_000)
    await waitFor('the child registers as idle', async () => (await idleWorkers(db, q)) === 1, 20_000)
    const { id } = await q.add('j', 7)
    await waitFor('the child starts it', () => hanging.out().includes(`started ${id}`), 10_000)
    await waitFor(
      'the receipt',
      async () => Number(await db.call(['HEXISTS', q.keys.job(id), 'handed'])) === 0,
      5000,
    )
    hanging.proc.kill('SIGKILL')
    await hanging.exited
    const { runs } = rerun(db, q)
    await waitFor('completed', async () => (await q.getJob(id))?.state === 'completed', 10_000)
    expect(runs).toEqual([{ attempt: 1, stalls: 1 }])
    expect((await q.getJob(id))?.history.map((h) => h.event)).toEqual(['stalled'])
  }, 30_000)

  it('a worker with free slots left after a hand-over waits for more: a second add starts at once', async () => {
    const db = await client(kind)
    const q = new Queue<number>(db, `handover-more-${kind}`)
    const started: number[] = []
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const w = new Worker<number, void>(
      db,
      q.name,
      async (job) => {
        started.push(job.data)
        await gate
      },
      { concurrency: 2, pollMs: 10_000 },
    )
    onTestFinished(() => {
      release()
      return w.close()
    })
    await waitFor('registered', async () => (await idleWorkers(db, q)) === 1)
    await q.add('j', 1)
    await waitFor('the first starts', () => started.length === 1)
    await q.add('j', 2)
    await waitFor('the second starts while the first runs', () => started.length === 2, 2000)
  })

  it('registrations whose wait is over are dropped: by the next registration, and by an add that finds only such', async () => {
    const db = await client(kind)
    const q = new Queue<number>(db, `handover-stale-${kind}`)
    // A worker killed long ago left its registration (its wait ended at server time 1).
    const dead = 'dead.0~'
    await db.call(['ZADD', q.keys.idle, 1, dead])
    // An add finds only that one: no hand-over, and the set is emptied.
    const { id } = await q.add('j', 1)
    expect(await q.getJob(id)).toMatchObject({ state: 'wait' })
    expect(await idleWorkers(db, q)).toBe(0)
    await db.call(['ZADD', q.keys.idle, 1, dead])
    // A live worker registering drops it; the job waiting runs.
    let ran = 0
    const w = new Worker<number, void>(db, q.name, () => void ran++, { pollMs: 10_000 })
    onTestFinished(() => w.close())
    await waitFor('ran', () => ran === 1)
    await waitFor('registered', async () => (await idleWorkers(db, q)) === 1)
    expect(await db.call(['ZSCORE', q.keys.idle, dead])).toBeNull()
  })

  it('a job handed over keeps its name and data whatever they hold; withdrawn, it goes back in its place', async () => {
    const db = await client(kind)
    const q = new Queue<unknown>(db, `handover-bytes-${kind}`)
    const id = 'given-id_1.~'
    const name = 'nàme\n2 3'
    const data = { text: 'line\nbreak é 😀', n: [1, 2] }
    // A registration as the worker makes it: a take that finds the queue empty registers.
    const registration = 't1~'
    const take = takeCall(db, q)
    await q.add('first', 0).then(() => take('t0', {})) // loads the scripts; takes that job
    await take('t1', { register: registration })
    expect(await idleWorkers(db, q)).toBe(1)
    await q.add(name, data, { jobId: id })
    const [element] = (await db.call(['LRANGE', q.keys.wake(registration), 0, -1])) as string[]
    expect(handedJob(element as string)?.taken).toMatchObject({
      id,
      name,
      data: JSON.stringify(data),
      token: 't1~',
    })
    // The wait ended before the job reached it: the next call withdraws the registration, and
    // the job on the list goes back to waiting, nothing counted.
    await take('t2', { count: 0, unregister: registration })
    expect(Number(await db.call(['EXISTS', q.keys.wake(registration)]))).toBe(0)
    expect(await q.getJob(id)).toMatchObject({ state: 'wait', attemptsMade: 0, stalls: 0 })
    const seen: { id: string; name: string; data: unknown }[] = []
    const w = new Worker<unknown, void>(db, q.name, (job) => {
      seen.push({ id: job.id, name: job.name, data: job.data })
    })
    onTestFinished(() => w.close())
    await waitFor('ran', () => seen.length === 1, 3000)
    expect(seen).toEqual([{ id, name, data }])
  })

  it('a take that leaves jobs waiting drops every registration: a later add waits its turn', async () => {
    const db = await client(kind)
    const q = new Queue<unknown>(db, `handover-order-${kind}`)
    const take = takeCall(db, q)
    await q.add('first', 0).then(() => take('t0', {})) // loads the scripts; takes that job
    await q.add('due-1', 1, { delayMs: 50 })
    await q.add('due-2', 2, { delayMs: 50 })
    // A worker registers as idle: nothing waits (both jobs are delayed).
    await take('t1', { register: 't1~' })
    expect(await idleWorkers(db, q)).toBe(1)
    await sleep(80)
    // Another worker's take finds both due, takes one and leaves one waiting.
    const taken = (await take('t2', {})) as Reply[]
    expect((taken[1] as Reply[]).length).toBe(1)
    expect(await idleWorkers(db, q)).toBe(0)
    expect(await db.call(['LLEN', q.keys.signal])).toBe(1)
    // So a new add is not handed over ahead of the job that waits: it waits behind it.
    const { id } = await q.add('late', 3)
    expect(await q.getJob(id)).toMatchObject({ state: 'wait' })
    const waiting = (await db.call(['ZRANGE', q.keys.wait, 0, 9])) as string[]
    expect(waiting.at(-1)).toBe(id)
    expect(waiting).toHaveLength(2)
  })

  it('close() withdraws the registration: a later add is not handed to the closed worker', async () => {
    const db = await client(kind)
    const q = new Queue<number>(db, `handover-close-${kind}`)
    const w = new Worker<number, void>(db, q.name, () => {}, { pollMs: 10_000 })
    await waitFor('registered', async () => (await idleWorkers(db, q)) === 1)
    await w.close()
    expect(await idleWorkers(db, q)).toBe(0)
    const { id } = await q.add('j', 1)
    expect(await q.getJob(id)).toMatchObject({ state: 'wait' })
  })

  it('pause() drops the registrations: an add while paused waits, and runs after resume()', async () => {
    const db = await client(kind)
    const q = new Queue<number>(db, `handover-pause-${kind}`)
    let ran = 0
    const w = new Worker<number, void>(db, q.name, () => void ran++, { pollMs: 10_000 })
    onTestFinished(() => w.close())
    await waitFor('registered', async () => (await idleWorkers(db, q)) === 1)
    await q.pause()
    const { id } = await q.add('j', 1)
    await sleep(100)
    expect(await q.getJob(id)).toMatchObject({ state: 'wait' })
    expect(ran).toBe(0)
    await q.resume()
    await waitFor('ran', () => ran === 1, 3000)
  })
})

describe('hand-over: a lost reply (standalone)', () => {
  it("the wait's reply carrying the job is lost: the job goes back uncounted and runs once", async () => {
    const db = await client('standalone')
    const proxy = await startPartitionProxy(server().port)
    onTestFinished(() => proxy.close())
    const cutOff = await client({ url: proxy.url })
    const q = new Queue<number>(db, 'handover-lost')
    const runs: { attempt: number; stalls: number }[] = []
    const errors: unknown[] = []
    const w = new Worker<number, number>(
      cutOff,
      q.name,
      (job) => {
        runs.push({ attempt: job.attempt, stalls: job.stalls })
        return job.data
      },
      // The wait took the job: it is the worker's for its lease from the add (6 s), then goes back.
      { pollMs: 1000, leaseMs: 6000, onError: (error) => void errors.push(error) },
    )
    onTestFinished(() => w.close({ timeoutMs: 1000 }))
    await waitFor('registered', async () => (await idleWorkers(db, q)) === 1)
    // The worker's wait is under way; its reply — the job — cannot reach it.
    proxy.cut()
    const { id } = await q.add('j', 3)
    expect(await q.getJob(id)).toMatchObject({ state: 'active' })
    await waitFor(
      'the wait times out',
      () => errors.some((e) => e instanceof RedisExpertError && e.code === 'COMMAND_TIMEOUT'),
      8000,
    ).catch((error) => {
      throw new Error(`${error}: ${errors.map(String).join('; ')}`)
    })
    proxy.heal()
    await waitFor('completed', async () => (await q.getJob(id))?.state === 'completed', 10_000)
    expect(runs).toEqual([{ attempt: 1, stalls: 0 }])
    expect(await q.getJob(id)).toMatchObject({ result: 3, attemptsMade: 1, stalls: 0 })
    expect(w.stats().returned).toBe(1)
  }, 30_000)
})

describe('hand-over: a handler that holds the event loop (standalone)', () => {
  it('past the first lease (5 s) keeps its job: a job handed over is leased for the worker’s leaseMs', async () => {
    const db = await client('standalone')
    const q = new Queue<number>(db, 'handover-busy')
    // Default options (leaseMs 30 s), 5.6 s of synchronous work per job.
    const busy = queueFixture('busy-worker.ts', [JSON.stringify(targets.standalone), q.name, '5600'])
    await waitFor('the child registers as idle', async () => (await idleWorkers(db, q)) === 1, 20_000)
    const { id } = await q.add('j', 4)
    await waitFor('the child starts it', () => busy.out().includes(`started ${id}`), 5000)
    // Another worker meanwhile: its takes recover every lease that runs out.
    const { runs } = rerun(db, q)
    await waitFor('the child finishes it', () => busy.out().includes(`done ${id}`), 15_000)
    expect(busy.out()).toContain(`done ${id}, aborted: false`)
    await waitFor('completed', async () => (await q.getJob(id))?.state === 'completed', 5000)
    expect(runs).toEqual([])
    expect(await q.getJob(id)).toMatchObject({ result: 4, attemptsMade: 1, stalls: 0, history: [] })
  }, 30_000)
})
