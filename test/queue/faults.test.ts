import { describe, expect, it, onTestFinished } from 'vitest'
import type { RedisExpertClient } from '../../src/connect.js'
import { RedisExpertError } from '../../src/errors.js'
import { Queue, Worker } from '../../src/queue/index.js'
import { sleep, waitFor } from '../messaging/helpers.js'
import { startPartitionProxy } from '../support/partition-proxy.js'
import { queueFixture, queueServers, rerun } from './helpers.js'

/*
 * Issue 15: jobs are never lost unrun.
 * (1) a stall (lease expired: the worker crashed) is not a failure: the job runs again, and is dead
 *     only after maxStalls stalls (default 1) — with default job options;
 * (2) leases come from the server's clock: a worker whose clock is ±5 s off expires no healthy lease;
 * (3) a take whose reply is lost counts no attempt and kills no job.
 */
const { targets, client, server } = queueServers({ 'enable-debug-command': 'local' })

describe.each(['standalone', 'cluster'])('stalls (%s)', (kind) => {
  it('a worker SIGKILLed mid-job, default job options: the job runs again and completes; its history shows the stall', async () => {
    const db = await client(kind)
    const q = new Queue<number>(db, `stall-${kind}`)
    const { id } = await q.add('j', 7)
    const hanging = queueFixture('hanging-worker.ts', [JSON.stringify(targets[kind]), q.name])
    await waitFor('the child to start it', () => hanging.out().includes(`started ${id}`), 20_000)
    hanging.proc.kill('SIGKILL')
    await hanging.exited
    expect((await q.getJob(id))?.state).toBe('active')
    const { runs } = rerun(db, q)
    await waitFor('completed', async () => (await q.getJob(id))?.state === 'completed', 10_000)
    // The stall cost no attempt: the run that completed is attempt 1 of 1, after one stall.
    expect(runs).toEqual([{ attempt: 1, stalls: 1 }])
    const job = await q.getJob(id)
    expect(job).toMatchObject({ result: 14, attemptsMade: 1, stalls: 1 })
    expect(job?.history.map((h) => h.event)).toEqual(['stalled'])
    expect(job?.history[0]).toMatchObject({ event: 'stalled', attempt: 1 })
  }, 30_000)

  it('a job that crashes every worker that takes it is dead after maxStalls (default 1), not looping', async () => {
    const db = await client(kind)
    const q = new Queue<number>(db, `poison-${kind}`)
    const { id } = await q.add('j', 1)
    let started = 0
    // Each child takes it and dies; the next child's take recovers the expired lease first.
    for (let round = 0; round < 5; round++) {
      const c = queueFixture('crashing-worker.ts', [JSON.stringify(targets[kind]), q.name, '400'])
      await waitFor(
        'the child to start the job, or the job to be dead',
        async () => c.out().includes(`started ${id}`) || (await q.getJob(id))?.state === 'dead',
        15_000,
      )
      if (c.out().includes(`started ${id}`)) {
        started++
        await c.exited
      } else break
    }
    const job = await q.getJob(id)
    expect(started).toBe(2)
    expect(job).toMatchObject({ state: 'dead', stalls: 2, attemptsMade: 0 })
    expect(job?.error).toMatch(/stalled 2 times/)
    expect(job?.history.map((h) => h.event)).toEqual(['stalled', 'stalled'])
    expect(await q.counts()).toMatchObject({ wait: 0, active: 0, dead: 1 })
  }, 60_000)
})

describe('server time only (standalone)', () => {
  it('workers whose clocks run 5 s ahead and 5 s behind expire no healthy lease', async () => {
    const db = await client('standalone')
    const q = new Queue<number>(db, 'skew')
    const TOTAL = 60
    await q.addBulk(Array.from({ length: TOTAL }, (_, n) => ({ name: 'j', data: n })))
    const args = (shift: number) => [JSON.stringify(targets.standalone), q.name, String(shift), '2000', '800']
    const ahead = queueFixture('skewed-worker.ts', args(5000))
    const behind = queueFixture('skewed-worker.ts', args(-5000))
    const here: number[] = []
    const w = new Worker<number, number>(
      db,
      q.name,
      async (job) => {
        await sleep(800)
        here.push(job.data)
        return job.data
      },
      { leaseMs: 2000, concurrency: 4, pollMs: 50 },
    )
    w.start()
    onTestFinished(() => w.close())
    await waitFor(
      'every job to end',
      async () => {
        const c = await q.counts()
        return c.completed + c.dead >= TOTAL
      },
      40_000,
    )
    const ran = (out: string) => [...out.matchAll(/^ran (\d+)$/gm)].map((m) => Number(m[1]))
    const all = [...here, ...ran(ahead.out()), ...ran(behind.out())].sort((a, b) => a - b)
    expect(await q.counts()).toMatchObject({ completed: TOTAL, dead: 0, active: 0, wait: 0 })
    // Each ran once: no lease expired under a healthy worker, so no job ran twice.
    expect(all).toEqual(Array.from({ length: TOTAL }, (_, n) => n))
    // All three took part.
    expect(here.length).toBeGreaterThan(0)
    expect(ran(ahead.out()).length).toBeGreaterThan(0)
    expect(ran(behind.out()).length).toBeGreaterThan(0)
  }, 60_000)
})

describe('a worker cut off from Redis (standalone; a proxy that stops forwarding)', () => {
  /** A worker through a proxy that can be cut, whose handler (first run) waits to be told and rethrows. */
  /**
   * A job an add handed to an idle worker counts as received once the worker's renewal got
   * through (its `handed` mark gone): until then, a lease that runs out returns it uncounted.
   */
  async function received(db: RedisExpertClient, q: Queue<string>, id: string) {
    await waitFor(
      'the receipt',
      async () => Number(await db.call(['HEXISTS', q.keys.job(id), 'handed'])) === 0,
    )
  }

  async function cutOffWorker(queue: string, second: () => string) {
    const proxy = await startPartitionProxy(server().port)
    onTestFinished(() => proxy.close())
    const cutOff = await client({ url: proxy.url })
    const seen = { started: 0, toldAt: 0, told: undefined as unknown }
    const w = new Worker<string, string>(
      cutOff,
      queue,
      async (job) => {
        if (seen.started++ > 0) return second()
        await new Promise((resolve) => job.signal.addEventListener('abort', resolve))
        seen.toldAt = performance.now()
        seen.told = job.signal.reason
        // A well-behaved handler gives up when told: its failure is the lease's, not the job's.
        throw job.signal.reason
      },
      { leaseMs: 1000, pollMs: 50 },
    )
    onTestFinished(() => w.close({ timeoutMs: 1000 }))
    return { proxy, worker: w, seen }
  }

  it('its handler is told by its own clock, before another worker can recover the job; its failure is not counted', async () => {
    const db = await client('standalone')
    const q = new Queue<string>(db, 'cut-off')
    const a = await cutOffWorker(q.name, () => 'a again')
    const { id } = await q.add('j', 'x')
    await waitFor('a runs it', () => a.seen.started === 1)
    await received(db, q, id)
    a.proxy.cut()
    // The lease runs out on the server (nothing renews it), and another worker recovers the job
    // as a stall and runs it; a, cut off, hears nothing from Redis all the while.
    let startedByB = 0
    const ranByB: number[] = []
    const b = new Worker<string, string>(
      db,
      q.name,
      (job) => {
        startedByB ||= performance.now()
        ranByB.push(job.stalls)
        return 'b'
      },
      { leaseMs: 1000, pollMs: 50 },
    )
    onTestFinished(() => b.close())
    await waitFor('b ran it', () => ranByB.length === 1, 5000)
    expect(ranByB).toEqual([1])
    expect(a.seen.toldAt).toBeGreaterThan(0)
    expect(a.seen.toldAt).toBeLessThan(startedByB)
    expect(String((a.seen.told as Error).message)).toMatch(/lease of job .* ran out/)
    a.proxy.heal()
    await waitFor('a settles', () => a.worker.stats().running === 0, 3000)
    await sleep(200)
    expect(await q.getJob(id)).toMatchObject({ state: 'completed', result: 'b', stalls: 1, attemptsMade: 1 })
    expect(a.worker.stats()).toMatchObject({ failed: 0, dead: 0 })
  }, 20_000)

  it('a lone worker cut off past its lease: the aborted attempt is a stall, not a failure, and the job runs again', async () => {
    const db = await client('standalone')
    const q = new Queue<string>(db, 'cut-off-alone')
    const a = await cutOffWorker(q.name, () => 'second run')
    // One attempt: a failure counted for the aborted run would make the job dead.
    const { id } = await q.add('j', 'x', { attempts: 1 })
    await waitFor('a runs it', () => a.seen.started === 1)
    await received(db, q, id)
    a.proxy.cut()
    await waitFor('a is told', () => a.seen.told !== undefined, 3000)
    a.proxy.heal()
    await waitFor('the job completes', async () => (await q.getJob(id))?.state === 'completed', 5000)
    expect(a.seen.started).toBe(2)
    expect(await q.getJob(id)).toMatchObject({ result: 'second run', stalls: 1, attemptsMade: 1 })
  }, 20_000)

  it.each([
    {
      what: 'a job taken after an idle wait longer than the lease',
      // The worker blocks in its wait (pollMs 5 s) for longer than a lease before the job comes.
      add: async (q: Queue<string>) => {
        await sleep(1200)
        return q.add('j', 'x')
      },
    },
    {
      what: 'a delayed job handed over when the wait for it timed out',
      // The add wakes the worker; nothing is due yet, so it waits until the job is (1.5 s, three
      // leases): that wait times out, and the take behind it hands the job over.
      add: async (q: Queue<string>) => {
        await sleep(100)
        return q.add('j', 'x', { delayMs: 1500 })
      },
    },
  ])(
    '$what is not aborted while its renewals get through',
    async ({ add }) => {
      const db = await client('standalone')
      const q = new Queue<string>(db, `long-after-wait-${Math.random().toString(36).slice(2)}`)
      let aborted: boolean | undefined
      const w = new Worker<string, string>(
        db,
        q.name,
        async (job) => {
          // Three leases long: renewals (every third of one) must keep it.
          await sleep(1500)
          aborted = job.signal.aborted
          return 'ok'
        },
        { leaseMs: 500, pollMs: 5000 },
      )
      onTestFinished(() => w.close())
      const { id } = await add(q)
      await waitFor('the handler ends', () => aborted !== undefined, 6000)
      expect(aborted).toBe(false)
      await waitFor('completed', async () => (await q.getJob(id))?.state === 'completed', 3000)
    },
    20_000,
  )
})

describe('a worker whose event loop blocks past its lease (standalone)', () => {
  it('its handler is told, and the job stays its own while renewals get through again: no other worker runs it', async () => {
    const db = await client('standalone')
    const q = new Queue<string>(db, 'blocked-loop')
    let unblocked = false
    let told: boolean | undefined
    const a = new Worker<string, string>(
      db,
      q.name,
      async (job) => {
        // Blocks the event loop for 1.5 leases: no renewal goes out meanwhile.
        const until = Date.now() + 1500
        while (Date.now() < until) {}
        unblocked = true
        // Then goes on for 3 more leases, ignoring the signal it is given.
        await sleep(3000)
        told = job.signal.aborted
        return 'a'
      },
      { leaseMs: 1000, pollMs: 50 },
    )
    onTestFinished(() => a.close())
    const { id } = await q.add('j', 'x')
    await waitFor('the block ends', () => unblocked, 5000)
    // A renewal round (every 333 ms) revives the lease before another worker looks for stalls.
    await sleep(400)
    const ranByB: string[] = []
    const b = new Worker<string, string>(
      db,
      q.name,
      (job) => {
        ranByB.push(job.id)
        return 'b'
      },
      { leaseMs: 1000, pollMs: 50 },
    )
    onTestFinished(() => b.close())
    await waitFor('completed', async () => (await q.getJob(id))?.state === 'completed', 8000)
    expect(ranByB).toEqual([])
    expect(await q.getJob(id)).toMatchObject({ result: 'a', stalls: 0, attemptsMade: 1 })
    await waitFor("a's handler ends", () => told !== undefined)
    expect(told).toBe(true)
  }, 20_000)
})

describe('lost take replies (standalone)', () => {
  it('a take whose reply is lost (command timeout during DEBUG SLEEP): no job dead, no attempt counted, each job runs once', async () => {
    const db = await client('standalone')
    // The worker's client times out fast: its take call, sent while the server sleeps, times out
    // (and its connection is dropped) although the server runs the script once it wakes.
    const wdb = await client('standalone', { commandTimeoutMs: 250 })
    const q = new Queue<number>(db, 'lost-take')
    const TOTAL = 40
    const added = await q.addBulk(Array.from({ length: TOTAL }, (_, n) => ({ name: 'j', data: n })))
    const runs = new Map<number, number>()
    let gate: () => void = () => {}
    let gated = new Promise<void>((resolve) => {
      gate = resolve
    })
    const errors: unknown[] = []
    const w = new Worker<number, number>(
      wdb,
      q.name,
      async (job) => {
        runs.set(job.data, (runs.get(job.data) ?? 0) + 1)
        await gated
        return job.data
      },
      { concurrency: 4, leaseMs: 1500, pollMs: 100, onError: (error) => void errors.push(error) },
    )
    w.start()
    onTestFinished(() => w.close())
    for (let round = 0; round < 2; round++) {
      await waitFor('four running', () => w.stats().running === 4)
      // The server sleeps; the handlers end meanwhile, so the worker's next call (record four
      // outcomes, take four jobs) waits behind the sleep and times out on the worker's side.
      const sleeping = db.unsafe({ reason: 'test: stall the server' }, (raw) =>
        raw.call(['DEBUG', 'SLEEP', '1'], { timeoutMs: 5000 }),
      )
      await sleep(50)
      gate()
      await sleeping
      gated = new Promise<void>((resolve) => {
        gate = resolve
      })
    }
    gate()
    gated = Promise.resolve()
    await waitFor(
      'every job to end',
      async () => {
        const c = await q.counts()
        return c.completed + c.dead >= TOTAL
      },
      20_000,
    )
    expect(errors.some((e) => e instanceof RedisExpertError && e.code === 'COMMAND_TIMEOUT')).toBe(true)
    expect(await q.counts()).toMatchObject({ completed: TOTAL, dead: 0, active: 0, wait: 0 })
    const jobs = await Promise.all(added.map((a) => q.getJob(a.id)))
    expect(jobs.filter((j) => j?.attemptsMade !== 1 || j.stalls !== 0)).toEqual([])
    expect([...runs.values()].every((n) => n === 1)).toBe(true)
    expect(runs.size).toBe(TOTAL)
  }, 60_000)
})
