import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audit } from '../../src/audit/index.js'
import type { ConnectOptions } from '../../src/client/index.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { type Job, Queue, type QueueEvent, QueueEvents, Worker } from '../../src/queue/index.js'
import { type RedisCluster, type RedisServer, startCluster, startRedis } from '../../src/testing/index.js'
import { codeOf, commandsOnMasters, sleep, spawnFixture, waitFor } from '../messaging/helpers.js'

let server: RedisServer
let cluster: RedisCluster
const targets: Record<string, ConnectOptions> = {}
const clients: RedisExpertClient[] = []
const workers: Worker<never, never>[] = []
const readers: QueueEvents[] = []

beforeAll(async () => {
  ;[server, cluster] = await Promise.all([startRedis(), startCluster({ masters: 3, replicasPerMaster: 0 })])
  targets.standalone = { url: server.url }
  targets.cluster = { cluster: { rootNodes: cluster.rootNodes } }
}, 60_000)
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()))
  await Promise.all(readers.map((r) => r.close()))
  await Promise.all(clients.map((c) => c.close()))
  await Promise.all([server?.stop(), cluster?.stop()])
})

describe.each(['standalone', 'cluster'])('job queue (%s)', (kind) => {
  let db: RedisExpertClient
  beforeAll(async () => {
    db = await connect(targets[kind]!)
    clients.push(db)
  })
  function worker<T, R>(queue: string, handler: (job: Job<T>) => R | Promise<R>, options = {}) {
    const w = new Worker<T, R>(db, queue, handler, { pollMs: 20, ...options })
    workers.push(w as unknown as Worker<never, never>)
    w.start()
    return w
  }

  it('add is one script; the job runs, its result is kept with a TTL, counts follow', async () => {
    const q = new Queue<{ to: string }>(db, `mail-${kind}`)
    expect(q.keys.wait).toBe(`queue:{mail-${kind}}:wait`)
    await q.add('warm-up', { to: 'x' }, { jobId: 'warm-up' })
    let added = { id: '', added: false }
    const commands = await commandsOnMasters(db, async () => {
      added = await q.add('send', { to: 'a@b' })
    })
    // One script (on a warm server) and what it ran inside: nothing else.
    const { EVALSHA = 0, EVAL = 0, ...inside } = commands
    expect(EVALSHA + EVAL).toBe(1)
    // TIME: every time a script records is the server's; no EXISTS: the id is the producer's
    // own (new); ZPOPMAX: no worker is registered as idle (none is while a job waits, as the
    // warm-up does), so none is handed the job; LLEN: the wake-up signal is there already (the
    // warm-up add pushed it), so no RPUSH.
    expect(inside).toEqual({ TIME: 1, ZPOPMAX: 1, HSET: 1, INCRBY: 1, ZADD: 1, LLEN: 1 })
    // A jobId of the caller's may exist already: EXISTS first.
    const given = await commandsOnMasters(db, () => q.add('send', { to: 'c@d' }, { jobId: 'given-1' }))
    expect(given).toMatchObject({ EVALSHA: 1, EXISTS: 1, HSET: 1 })
    expect(added.added).toBe(true)
    expect(await q.getJob(added.id)).toMatchObject({ name: 'send', data: { to: 'a@b' }, state: 'wait' })
    worker<{ to: string }, string>(q.name, (job) => `sent to ${job.data.to}`, { resultTtlMs: 60_000 })
    await waitFor('completed', async () => (await q.getJob(added.id))?.state === 'completed')
    expect((await q.getJob(added.id))?.result).toBe('sent to a@b')
    const ttl = Number(await db.call(['PTTL', q.keys.job(added.id)]))
    expect(ttl).toBeGreaterThan(50_000)
    expect(await q.counts()).toEqual({ wait: 0, delayed: 0, active: 0, dead: 0, completed: 3 })
  })

  it('idempotency: the same jobId twice is one job', async () => {
    const q = new Queue(db, `idem-${kind}`)
    const [a, b] = await q.addBulk([
      { name: 'x', data: 1, options: { jobId: 'order-42' } },
      { name: 'x', data: 2, options: { jobId: 'order-42' } },
    ])
    expect(a).toEqual({ id: 'order-42', added: true })
    expect(b).toEqual({ id: 'order-42', added: false })
    expect((await q.add('x', 3, { jobId: 'order-42' })).added).toBe(false)
    expect((await q.counts()).wait).toBe(1)
    expect((await q.getJob('order-42'))?.data).toBe(1)
  })

  it('addBulk is one round trip: one script per 1000 jobs, HSET per job (+ EXISTS where a jobId is given), one INCRBY + ZADD per script', async () => {
    // Stop the earlier tests' workers: INFO commandstats counts every client's commands.
    await Promise.all(workers.splice(0).map((w) => w.close()))
    const q = new Queue<number>(db, `bulk-${kind}`)
    await q.add('warm-up', 0, { jobId: 'warm-up' })
    let added: { id: string; added: boolean }[] = []
    const jobs = Array.from({ length: 2500 }, (_, n) => ({
      name: 'j',
      data: n,
      ...(n === 7 ? { options: { jobId: 'warm-up' } } : n === 8 ? { options: { delayMs: 60_000 } } : {}),
    }))
    const commands = await commandsOnMasters(db, async () => {
      added = await q.addBulk(jobs)
    })
    const { RPUSH = 0, ...rest } = commands
    expect(rest).toEqual({
      EVALSHA: 3,
      TIME: 3,
      // Only the first script holds a given jobId (job 7's): the others' ids are all new.
      EXISTS: 1000,
      // Each script's first ready job looks for an idle worker: none.
      ZPOPMAX: 3,
      HSET: 2499,
      INCRBY: 3,
      ZADD: 4,
      LLEN: 3,
    })
    expect(RPUSH).toBeLessThanOrEqual(1)
    expect(added).toHaveLength(2500)
    expect(added[7]).toEqual({ id: 'warm-up', added: false })
    expect(added.filter((a) => a.added)).toHaveLength(2499)
    expect(new Set(added.map((a) => a.id)).size).toBe(2500)
    expect(await q.counts()).toMatchObject({ wait: 2499, delayed: 1 })
    expect((await q.getJob(added[2499]!.id))?.data).toBe(2499)
  })

  it('a busy worker makes one call per batch: it records the outcomes and takes the next jobs', async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()))
    const q = new Queue<number>(db, `busy-${kind}`)
    await q.addBulk(Array.from({ length: 20 }, (_, n) => ({ name: 'j', data: n })))
    let w: Worker<number, number> | undefined
    const commands = await commandsOnMasters(db, async () => {
      w = worker<number, number>(q.name, (job) => job.data, { concurrency: 10 })
      await waitFor('twenty completed', () => w!.stats().completed === 20)
    })
    await w!.close()
    // Concurrency 10: up to 5 jobs per call, two calls in flight. Every call that finds jobs
    // takes 5 (one ZADD of their leases, one SET of its take record); every call that takes and
    // finds the queue empty reads the next delayed job and the next lease deadline (two ZRANGE)
    // instead; calls that record outcomes also take, so a busy worker makes one call per batch,
    // not two per job. Every call reads the server's clock once (TIME); a call after one that
    // took jobs deletes that one's take record (one DEL).
    // A call alone that finds fewer jobs than it asked for also registers the worker as idle
    // (one ZADD), and the next call withdraws it (one ZREM).
    const polls = (commands.ZRANGE ?? 0) / 2
    const registrations = commands.ZADD! - 4
    expect(registrations).toBeGreaterThanOrEqual(0)
    expect(registrations).toBeLessThanOrEqual(polls)
    expect(commands.SET).toBe(4)
    expect(commands.ZPOPMIN).toBe(4 + polls)
    // EXISTS of the paused flag per take.
    expect(commands.EXISTS).toBe(commands.ZPOPMIN)
    expect(commands.EVALSHA).toBeLessThanOrEqual(commands.ZPOPMIN! + 1)
    expect(commands.TIME).toBe(commands.EVALSHA)
    expect(commands.DEL).toBeLessThanOrEqual(4)
    // Per job: HMGET + HSET (take), HMGET + HSET + PEXPIRE (finish); per call that records
    // outcomes: one ZREM of the leases, one INCRBY of the completed counter, one XADD of its events.
    expect(commands).toMatchObject({ HMGET: 40, HSET: 40, PEXPIRE: 20 })
    expect(commands.HGET).toBeUndefined()
    // A take that got all it asked for (5) looks for jobs left behind (ZCARD), and if so at the
    // wake-up signal for the next idle worker (LLEN).
    expect(commands.ZCARD).toBe(4)
    expect(commands.LLEN ?? 0).toBeLessThanOrEqual(4)
    const recording = commands.XADD ?? 0
    expect(recording).toBeGreaterThanOrEqual(2)
    expect(recording).toBeLessThanOrEqual(4)
    expect(commands.INCRBY).toBe(recording)
    expect(commands.ZREM! - recording).toBeGreaterThanOrEqual(0)
    expect(commands.ZREM! - recording).toBeLessThanOrEqual(registrations)
    expect(w!.stats()).toEqual({ completed: 20, failed: 0, dead: 0, running: 0, returned: 0 })
    expect(await q.counts()).toEqual({ wait: 0, delayed: 0, active: 0, dead: 0, completed: 20 })
    // One events entry per call that recorded outcomes, holding that call's events in order.
    expect(Number(await db.call(['XLEN', q.keys.events]))).toBe(recording)
  })

  it('close() is graceful: running jobs finish and their outcomes are recorded; no new job is taken', async () => {
    const q = new Queue<number>(db, `close-${kind}`)
    await q.addBulk(Array.from({ length: 8 }, (_, n) => ({ name: 'j', data: n })))
    const started: number[] = []
    const w = worker<number, number>(
      q.name,
      async (job) => {
        started.push(job.data)
        await sleep(150)
        return job.data
      },
      { concurrency: 3 },
    )
    await waitFor('three running', () => started.length === 3)
    await w.close()
    expect(started).toEqual([0, 1, 2])
    expect(w.stats()).toEqual({ completed: 3, failed: 0, dead: 0, running: 0, returned: 0 })
    expect(await q.counts()).toEqual({ wait: 5, delayed: 0, active: 0, dead: 0, completed: 3 })
  })

  it('leases are renewed in one call per round while handlers run: a long job runs once', async () => {
    const q = new Queue<number>(db, `lease-${kind}`)
    await q.addBulk([1, 2, 3].map((n) => ({ name: 'j', data: n, options: { attempts: 3 } })))
    const runs: number[] = []
    let renewals: Record<string, number> = {}
    const w = worker<number, number>(
      q.name,
      async (job) => {
        runs.push(job.data)
        await sleep(700)
        return job.data
      },
      { concurrency: 3, leaseMs: 300 },
    )
    await waitFor('three running', () => runs.length === 3)
    // A renewal round every 100 ms: one script, HGET per job, one ZADD XX for the three.
    renewals = await commandsOnMasters(db, () => sleep(350))
    await waitFor('completed', async () => (await q.counts()).completed === 3)
    expect(runs.sort()).toEqual([1, 2, 3])
    expect(w.stats()).toMatchObject({ completed: 3, failed: 0 })
    const rounds = renewals.ZADD ?? 0
    expect(rounds).toBeGreaterThanOrEqual(2)
    expect(renewals.HGET).toBe(3 * rounds)
  })

  it('addBulk on a cold server (after SCRIPT FLUSH) loads the script and adds every job once', async () => {
    const q = new Queue(db, `cold-${kind}`)
    for (const master of await db.masters()) await master.call(['SCRIPT', 'FLUSH'])
    const added = await q.addBulk([1, 2, 3].map((n) => ({ name: 'x', data: n })))
    expect(added.every((a) => a.added)).toBe(true)
    expect((await q.counts()).wait).toBe(3)
  })

  it('priorities: lower first, FIFO within one; delays: not before they are due', async () => {
    const q = new Queue<string>(db, `prio-${kind}`)
    const t0 = Date.now()
    await q.addBulk([
      { name: 'j', data: 'p5', options: { priority: 5 } },
      { name: 'j', data: 'p0-a' },
      { name: 'j', data: 'p1', options: { priority: 1 } },
      { name: 'j', data: 'p0-b' },
      { name: 'j', data: 'late', options: { delayMs: 300 } },
    ])
    const order: [string, number][] = []
    worker<string, void>(q.name, (job) => void order.push([job.data, Date.now() - t0]))
    await waitFor('all five', () => order.length === 5)
    expect(order.map(([d]) => d)).toEqual(['p0-a', 'p0-b', 'p1', 'p5', 'late'])
    expect(order[4]![1]).toBeGreaterThanOrEqual(250)
  })

  it('retries with backoff, then dead after the last attempt; per-job timeout', async () => {
    const q = new Queue<string>(db, `retry-${kind}`)
    const times = new Map<string, number[]>()
    let aborted = false
    const { id: flaky } = await q.add('j', 'flaky', {
      attempts: 3,
      backoff: { type: 'exponential', delayMs: 60 },
    })
    const { id: doomed } = await q.add('j', 'doomed', { attempts: 2 })
    const { id: slow } = await q.add('j', 'slow', { timeoutMs: 100 })
    worker<string, string>(
      q.name,
      async (job) => {
        times.set(job.data, [...(times.get(job.data) ?? []), Date.now()])
        if (job.data === 'slow') {
          await new Promise((resolve) => job.signal.addEventListener('abort', resolve))
          aborted = true
          await sleep(1000)
        }
        if (job.data === 'doomed' || (job.data === 'flaky' && job.attempt < 3))
          throw new Error(`fail ${job.attempt}`)
        return 'ok'
      },
      { concurrency: 3 },
    )
    await waitFor('outcomes', async () => {
      const jobs = await Promise.all([flaky, doomed, slow].map((id) => q.getJob(id)))
      return jobs.map((j) => j?.state).join() === 'completed,dead,dead'
    })
    const [f, d, s] = await Promise.all([flaky, doomed, slow].map((id) => q.getJob(id)))
    expect(f).toMatchObject({ attemptsMade: 3, result: 'ok' })
    expect(d).toMatchObject({ attemptsMade: 2, error: 'fail 2' })
    expect(s).toMatchObject({ attemptsMade: 1, error: 'timed out after 100 ms' })
    expect(aborted).toBe(true)
    // Exponential with ±50 % jitter: ≥ 30 ms, then ≥ 60 ms.
    const [t1, t2, t3] = times.get('flaky')!
    expect(t2! - t1!).toBeGreaterThanOrEqual(25)
    expect(t3! - t2!).toBeGreaterThanOrEqual(55)
    expect((await q.counts()).dead).toBe(2)
  })

  it('pause: workers take nothing until resume; progress and events (completed, failed, progress)', async () => {
    const q = new Queue<number>(db, `pause-${kind}`)
    const seen: QueueEvent[] = []
    const events = new QueueEvents(db, q.name, (e) => void seen.push(e), { blockMs: 200 })
    readers.push(events)
    await events.start()
    await q.pause()
    expect(await q.isPaused()).toBe(true)
    const { id: ok } = await q.add('j', 1)
    const { id: failing } = await q.add('j', 2, { attempts: 2 })
    const ran: number[] = []
    worker<number, number>(q.name, async (job) => {
      ran.push(job.data)
      expect(await job.updateProgress(50)).toBe(true)
      await job.updateProgress({ step: 'done' })
      if (job.data === 2) throw new Error(`no ${job.attempt}`)
      return job.data * 10
    })
    await sleep(300)
    expect(ran).toEqual([])
    expect(await q.counts()).toMatchObject({ wait: 2, active: 0, completed: 0 })
    await q.resume()
    expect(await q.isPaused()).toBe(false)
    await waitFor('outcomes', async () => {
      const jobs = await Promise.all([ok, failing].map((id) => q.getJob(id)))
      return jobs.map((j) => j?.state).join() === 'completed,dead'
    })
    expect((await q.getJob(ok))?.progress).toEqual({ step: 'done' })
    expect(await q.counts()).toEqual({ wait: 0, delayed: 0, active: 0, dead: 1, completed: 1 })
    // 3 events for the job that completed, 2 × 3 for the one that failed twice.
    await waitFor('events', () => seen.length >= 9)
    const strip = (e: QueueEvent) => {
      const { streamId: _, ...rest } = e
      return rest
    }
    expect(seen.filter((e) => e.jobId === ok).map(strip)).toEqual([
      { event: 'progress', jobId: ok, progress: 50 },
      { event: 'progress', jobId: ok, progress: { step: 'done' } },
      { event: 'completed', jobId: ok, result: 10 },
    ])
    expect(seen.filter((e) => e.jobId === failing && e.event === 'failed').map(strip)).toEqual([
      { event: 'failed', jobId: failing, error: 'no 1', attempt: 1, final: false },
      { event: 'failed', jobId: failing, error: 'no 2', attempt: 2, final: true },
    ])
    // A reader from '0' replays what the capped stream retains; lastId resumes after it.
    const replay: QueueEvent[] = []
    const again = new QueueEvents(db, q.name, (e) => void replay.push(e), { from: '0', blockMs: 200 })
    readers.push(again)
    await again.start()
    await waitFor('replay', () => replay.length === 9)
    expect(again.lastId).toBe(seen[8]!.streamId)
    await again.close()
  })

  it('updateProgress is one script: token check, HSET, XADD', async () => {
    // Stop the earlier tests' workers and readers: INFO commandstats counts every client's commands.
    await Promise.all(workers.splice(0).map((w) => w.close()))
    await Promise.all(readers.splice(0).map((r) => r.close()))
    const q = new Queue<number>(db, `progress-${kind}`)
    let commands: Record<string, number> = {}
    await q.add('j', 1)
    let done = false
    worker<number, void>(q.name, async (job) => {
      await job.updateProgress(1) // loads the script
      commands = await commandsOnMasters(db, () => job.updateProgress(2))
      done = true
    })
    await waitFor('progress', () => done)
    const { EVALSHA = 0, EVAL = 0, ...inside } = commands
    expect(EVALSHA + EVAL).toBe(1)
    expect(inside).toEqual({ HGET: 1, HSET: 1, XADD: 1 })
  })

  it('one take script hands a worker as many jobs as it has free slots', async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()))
    const q = new Queue<number>(db, `batch-${kind}`)
    await q.addBulk([1, 2, 3, 4, 5, 6, 7].map((n) => ({ name: 'j', data: n })))
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const started: number[] = []
    const commands = await commandsOnMasters(db, async () => {
      worker<number, void>(
        q.name,
        async (job) => {
          started.push(job.data)
          await gate
        },
        { concurrency: 5 },
      )
      await waitFor('five running', () => started.length === 5)
      await sleep(50)
    })
    expect(started).toEqual([1, 2, 3, 4, 5])
    expect(commands.ZPOPMIN).toBe(1)
    release()
    await waitFor('all done', async () => (await q.counts()).completed === 7)
  })

  it('a worker killed with SIGKILL mid-job: the job runs again elsewhere and completes', async () => {
    const q = new Queue<number>(db, `crash-${kind}`)
    const { id } = await q.add('j', 7, { attempts: 3 })
    const child = spawnFixture('../../queue/fixtures/hanging-worker.ts', [
      JSON.stringify(targets[kind]),
      q.name,
    ])
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString()
    })
    await waitFor('the child to start it', () => out.includes(`started ${id}`), 20_000)
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    expect((await q.getJob(id))?.state).toBe('active')
    const attempts: [number, number][] = []
    worker<number, number>(q.name, (job) => {
      attempts.push([job.attempt, job.stalls])
      return job.data * 2
    })
    await waitFor('completed', async () => (await q.getJob(id))?.state === 'completed', 10_000)
    // The crash was a stall, not a failed attempt: attempt 1 again, after one stall.
    expect(attempts).toEqual([[1, 1]])
    expect((await q.getJob(id))?.result).toBe(14)
  }, 30_000)
})

describe("the audit of a queue's own keys (standalone)", () => {
  it('finds no TTL drift: waiting and running jobs have none, completed ones expire, as the entry declares', async () => {
    const db = await connect(targets.standalone!)
    clients.push(db)
    const q = new Queue<number>(db, 'audited')
    await q.addBulk([1, 2, 3].map((n) => ({ name: 'j', data: n })))
    const w = new Worker<number, number>(db, q.name, (job) => job.data, { pollMs: 20 })
    workers.push(w as unknown as Worker<never, never>)
    await waitFor('completed', async () => (await q.counts()).completed === 3)
    // Waiting jobs (no TTL) beside the completed ones (a result TTL).
    await q.add('j', 4, { delayMs: 60_000 })
    const report = await audit(db, { keyspaces: db.keyspaces() })
    expect(report.findings.filter((f) => f.rule === 'schema-ttl')).toEqual([])
  })

  it('finds no encoding drift for jobs whose data is longer than a listpack value, nor its scripts as dynamic ones', async () => {
    const db = await connect(targets.standalone!)
    clients.push(db)
    const q = new Queue<string>(db, 'audited-big')
    const w = new Worker<string, number>(db, q.name, (job) => job.data.length, { pollMs: 20 })
    workers.push(w as unknown as Worker<never, never>)
    await q.add('j', 'x'.repeat(200))
    await q.add('j', 'y'.repeat(10), { delayMs: 60_000 })
    await waitFor('completed', async () => (await q.counts()).completed >= 1)
    const report = await audit(db, { keyspaces: db.keyspaces() })
    const rules = new Set(['encoding', 'schema-encoding', 'lua-scripts'])
    expect(report.findings.filter((f) => rules.has(f.rule))).toEqual([])
  })
})

describe('bad input', () => {
  it('is refused with INVALID_ARGUMENT', async () => {
    const db = await connect(targets.standalone!)
    clients.push(db)
    const q = new Queue(db, 'bad')
    expect(await codeOf(() => new Queue(db, ''))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new Queue({} as never, 'x'))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.add('', 1))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.add('x', 1, { jobId: 'a:b' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.add('x', 1, { priority: 1001 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.add('x', 1, { attempts: 0 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.add('x', 1, { backoff: { type: 'linear' as never, delayMs: 1 } }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => q.add('x', 1, { delayMs: -1 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.add('x', 10n))).toBe('ENCODE_FAILED')
    expect(await codeOf(() => new Worker(db, 'x', 'no' as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new Worker(db, 'x', () => {}, { concurrency: 0 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new Worker(db, 'x', () => {}, { eventsMaxLen: -1 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new Worker(db, 'x', () => {}, { onError: 1 as never }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(await codeOf(() => new QueueEvents(db, 'x', 'no' as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new QueueEvents(db, 'x', () => {}, { from: 'abc' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new QueueEvents(db, 'x', () => {}, { count: 5000 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new QueueEvents({} as never, 'x', () => {}))).toBe('INVALID_ARGUMENT')
    expect(await q.counts()).toEqual({ wait: 0, delayed: 0, active: 0, dead: 0, completed: 0 })
  })
})
