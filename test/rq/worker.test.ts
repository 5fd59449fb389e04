import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { audit } from '../../src/audit/index.js'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import { RedisExpertError } from '../../src/errors.js'
import { RqQueue, type RqTask, RqWorker } from '../../src/rq/index.js'
import { type RedisCluster, startCluster } from '../../src/testing/index.js'
import { callsBetween, commandCalls } from '../support/commandstats.js'
import { codeOf } from '../support/errors.js'
import { runPython } from '../support/python.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { sleep } from '../support/wait.js'

/** Python (RQ 1.13's own Queue and Job, JSONSerializer) enqueues and reads; the TypeScript worker runs. */

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))
const { server, db } = await startRedisForFile()
const workers: RqWorker[] = []
/** Lets the "crashed" worker's hanging handlers end, so that afterAll can close it. */
let release: () => void = () => {}

afterAll(async () => {
  release()
  await Promise.all(workers.map((w) => w.close()))
})

interface PyResult {
  id: string
  status: string
  return_value: unknown
  result: unknown
  exc_info: string | null
  worker_name: string | null
  started_at: string | null
  ended_at: string | null
  origin: string
  in_finished: boolean
  in_failed: boolean
  in_started: boolean
  retries_left: number | null
  ttl: number
}

async function python(spec: object): Promise<PyResult[]> {
  const run = await runPython([`${fixtures}client.py`, server.url, JSON.stringify(spec)], {
    cwd: fixtures,
    timeoutMs: 60_000,
  })
  return (JSON.parse(run.stdout) as { jobs: PyResult[] }).jobs
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(10)
  }
}

describe('a TypeScript worker for jobs Python enqueued', () => {
  it('runs them; Python reads status, return_value/result and exc_info; crashes are cleaned up as RQ does', async () => {
    const errors: unknown[] = []
    const attempts = new Map<string, number>()
    let running = 0
    let peak = 0
    const handlers = {
      'ts.add': ({ args }: RqTask) => (args[0] as number) + (args[1] as number),
      'ts.echo': (task: RqTask) => ({ args: task.args, kwargs: task.kwargs, meta: task.meta, id: task.id }),
      'ts.shout': ({ args }: RqTask) => `${String(args[0]).toUpperCase()} ✓`,
      'ts.none': () => undefined,
      'ts.throw': () => {
        throw new TypeError('kaputt: Grüße 🚀')
      },
      'ts.async': async () => {
        running++
        peak = Math.max(peak, running)
        await sleep(100)
        running--
        return { nested: [1, { a: null, b: [true, 'ß'] }] }
      },
      'ts.slow': async ({ signal }: RqTask) => {
        await sleep(3000)
        return signal.aborted ? 'aborted' : 'late'
      },
      'ts.badReturn': () => ({ when: new Date(0) }),
      'ts.flaky': ({ id }: RqTask) => {
        const n = (attempts.get(id) ?? 0) + 1
        attempts.set(id, n)
        if (n === 1) throw new Error('first attempt fails')
        return `attempt ${n}`
      },
    }
    const worker = new RqWorker(db, ['high', 'ts'], handlers, {
      name: 'ts-worker-1',
      concurrency: 4,
      onError: (error) => errors.push(error),
    })
    workers.push(worker)
    await worker.start()

    // Two jobs held by a worker that then "crashes": its heartbeats stop, so their
    // StartedJobRegistry scores pass. One is cleaned up by Python's RQ, one by ours.
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const crashed = new RqWorker(
      db,
      ['crash-py', 'crash-ts'],
      { 'ts.hang': () => held },
      {
        name: 'crashed',
        concurrency: 2,
        cleanupMs: 0,
      },
    )
    workers.push(crashed)
    await crashed.start()
    const pyAbandoned = await new RqQueue(db, 'crash-py').enqueue('ts.hang', { jobId: 'abandoned-py' })
    const tsAbandoned = await new RqQueue(db, 'crash-ts').enqueue('ts.hang', { jobId: 'abandoned-ts' })
    // A popped job holds its slot before its start script has run: wait for the status itself.
    await until(
      'both started',
      async () => (await pyAbandoned.status()) === 'started' && (await tsAbandoned.status()) === 'started',
    )
    expect(crashed.stats().running).toBe(2)
    expect(await pyAbandoned.status()).toBe('started')
    await db.call(['ZADD', 'rq:wip:crash-ts', 1, 'abandoned-ts'])
    expect(await tsAbandoned.status()).toBe('started')
    expect(await worker.cleanup()).toEqual({ failed: 0, retried: 0 }) // not its queues
    const sweeper = new RqWorker(db, ['crash-ts'], { x: () => 1 }, { cleanupMs: 0 })
    expect(await sweeper.cleanup({ force: true })).toEqual({ failed: 1, retried: 0 })
    await db.call(['ZADD', 'rq:wip:crash-py', 1, 'abandoned-py'])

    const unicode = 'Grüße 🚀'
    const nested = { list: [1, 2.5, null, { deep: [true, 'ß'] }], empty: {} }
    const jobs = await python({
      queue: 'ts',
      timeout: 30,
      cleanup: ['crash-py'],
      inspect: ['abandoned-py', 'abandoned-ts'],
      jobs: [
        { func: 'ts.add', args: [2, 40] },
        { func: 'ts.echo', args: [unicode, nested], kwargs: { k: unicode }, options: { meta: { m: 1 } } },
        { func: 'ts.shout', args: [unicode] },
        { func: 'ts.none' },
        { func: 'ts.throw', options: { failure_ttl: 600 } },
        { func: 'ts.async' },
        { func: 'ts.async' },
        { func: 'ts.async' },
        { func: 'ts.async' },
        { func: 'ts.slow', options: { timeout: 1 } },
        { func: 'ts.badReturn' },
        { func: 'ts.unknown' },
        { func: 'ts.flaky', options: { retry: { max: 2 }, result_ttl: 60 } },
        { func: 'ts.add', args: [1, 1], options: { result_ttl: 0 } },
      ],
      raw: [
        { id: 'garbage', data: 'not json at all' },
        { id: 'pickled', data: '\x80\x04\x95garbage' },
        { id: 'user:42', data: '["ts.add", null, [1, 2], {}]' },
      ],
    })
    const byFunc = (i: number) => jobs[i]!
    const [add, echo, shout, none, thrown] = [0, 1, 2, 3, 4].map(byFunc)
    expect(add).toMatchObject({
      status: 'finished',
      return_value: 42,
      result: 42,
      worker_name: 'ts-worker-1',
      in_finished: true,
      in_started: false,
      in_failed: false,
    })
    expect(add!.ttl).toBeGreaterThan(490) // the worker's default result_ttl, 500 s (rq/defaults.py)
    expect(Date.parse(add!.ended_at!)).toBeGreaterThanOrEqual(Date.parse(add!.started_at!))
    expect(echo).toMatchObject({
      status: 'finished',
      return_value: { args: [unicode, nested], kwargs: { k: unicode }, meta: { m: 1 }, id: echo!.id },
    })
    expect(shout!.return_value).toBe('GRÜSSE 🚀 ✓')
    expect(none).toMatchObject({ status: 'finished', return_value: null, in_finished: true })
    expect(thrown).toMatchObject({ status: 'failed', in_failed: true, return_value: null })
    expect(thrown!.exc_info).toMatch(/TypeError: kaputt: Grüße 🚀$/)
    expect(thrown!.exc_info).toMatch(/^Traceback/)
    expect(thrown!.ttl).toBeGreaterThan(590)
    expect(thrown!.ttl).toBeLessThanOrEqual(600)
    for (const i of [5, 6, 7, 8])
      expect(byFunc(i)).toMatchObject({
        status: 'finished',
        return_value: { nested: [1, { a: null, b: [true, 'ß'] }] },
      })
    expect(peak).toBeGreaterThan(1)
    expect(peak).toBeLessThanOrEqual(4)
    expect(byFunc(9)).toMatchObject({ status: 'failed' })
    expect(byFunc(9).exc_info).toMatch(
      /JobTimeoutException: Task exceeded maximum timeout value \(1 seconds\)/,
    )
    expect(byFunc(10).status).toBe('failed')
    expect(byFunc(10).exc_info).toMatch(/TypeError: the return value is not JSON serializable/)
    expect(byFunc(11).status).toBe('failed')
    expect(byFunc(11).exc_info).toMatch(/no handler for 'ts.unknown'/)
    expect(byFunc(12)).toMatchObject({ status: 'finished', return_value: 'attempt 2', retries_left: 1 })
    // result_ttl 0: RQ deletes the job once it ends; the report sees it as gone.
    expect(byFunc(13).status).toBeNull()
    // Undecodable data: failed (not dropped), and reported as MESSAGE_INVALID.
    const [garbage, pickled, oddId, abandonedPy, abandonedTs] = [14, 15, 16, 17, 18].map(byFunc)
    expect(garbage).toMatchObject({ status: 'failed', in_failed: true })
    expect(garbage!.exc_info).toMatch(/MessageInvalid: the job data is not JSON/)
    expect(pickled!.exc_info).toMatch(/pickled/)
    const invalid = errors.filter((e) => e instanceof RedisExpertError && e.code === 'MESSAGE_INVALID')
    expect(oddId).toMatchObject({ status: 'failed', in_failed: true })
    expect(oddId!.exc_info).toMatch(/MessageInvalid: RQ job id 'user:42'/)
    expect(invalid).toHaveLength(3)
    expect(errors).toHaveLength(3)
    // RQ's own StartedJobRegistry.cleanup and ours treat an abandoned TS job alike.
    for (const job of [abandonedPy, abandonedTs]) {
      expect(job).toMatchObject({
        status: 'failed',
        in_failed: true,
        in_started: false,
        worker_name: 'crashed',
      })
      expect(job!.exc_info).toMatch(/^Moved to FailedJobRegistry at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/)
      expect(job!.ttl).toBeGreaterThan(31_000_000) // the default failure_ttl, one year
    }
    expect(worker.stats()).toMatchObject({ running: 0 })
    expect(await tsAbandoned.status()).toBe('failed')
    release()
    await crashed.close()
    await sweeper.close()
  }, 60_000)

  it('one job costs BLPOP + 2 scripts (3 round trips); heartbeats add one script per interval', async () => {
    const worker = new RqWorker(
      db,
      ['rt'],
      { 'ts.add': ({ args }) => (args[0] as number) + (args[1] as number) },
      {
        blockMs: 2_000,
        cleanupMs: 0,
      },
    )
    workers.push(worker)
    await worker.start()
    const q = new RqQueue(db, 'rt')
    await q.enqueue('ts.add', { args: [0, 0] }) // warm the scripts
    await until('warm-up done', () => worker.stats().finished === 1)
    await sleep(20) // let the loop's next BLPOP block
    const before = await commandCalls(db)
    const enqueued = await q.enqueue('ts.add', { args: [1, 2] })
    await until('done', () => worker.stats().finished === 2)
    const delta = callsBetween(before, await commandCalls(db))
    expect(delta).toEqual({
      // the enqueue: one script running SADD, HSET, RPUSH
      SADD: 1,
      RPUSH: 1,
      // the worker: BLPOP, then the start and finish scripts
      BLPOP: 1,
      EVALSHA: 3,
      // start: EXISTS, HSET, ZADD, PERSIST, HMGET; finish: ZREM, EXISTS, HSET, XADD, EXPIRE ×2, ZADD
      EXISTS: 2,
      HSET: 3,
      ZADD: 2,
      PERSIST: 1,
      HMGET: 1,
      ZREM: 1,
      XADD: 1,
      EXPIRE: 2,
    })
    expect(await enqueued.result()).toBe(3)
  })

  it('heartbeats push the StartedJobRegistry score and last_heartbeat forward while a job runs', async () => {
    let done: () => void = () => {}
    const running = new Promise<void>((resolve) => {
      done = resolve
    })
    const worker = new RqWorker(
      db,
      ['beat'],
      { 'ts.wait': () => running },
      { heartbeatMs: 1000, cleanupMs: 0, blockMs: 100 },
    )
    await worker.start()
    const job = await new RqQueue(db, 'beat').enqueue('ts.wait')
    await until('taken', () => worker.stats().running === 1)
    const first = Number(await db.call(['ZSCORE', 'rq:wip:beat', job.id]))
    expect(first - Date.now() / 1000).toBeGreaterThan(59) // interval + 60 s, as rq/worker.py
    const beat0 = String(await db.call(['HGET', `rq:job:${job.id}`, 'last_heartbeat']))
    await until(
      'a heartbeat',
      async () => String(await db.call(['HGET', `rq:job:${job.id}`, 'last_heartbeat'])) !== beat0,
      3000,
    )
    // Scores are whole seconds: a heartbeat within the same second leaves it; the next one moves it.
    await until(
      'the score moves',
      async () => Number(await db.call(['ZSCORE', 'rq:wip:beat', job.id])) > first,
      3000,
    )
    done()
    await worker.close()
    expect(await job.status()).toBe('finished')
    expect(await db.call(['ZSCORE', 'rq:wip:beat', job.id])).toBeNull()
  })

  it('withScheduler: due scheduled jobs and retries after an interval are enqueued, under RQ’s scheduler lock', async () => {
    let calls = 0
    const worker = new RqWorker(
      db,
      ['later'],
      {
        'ts.add': ({ args }) => (args[0] as number) + (args[1] as number),
        'ts.flaky': () => {
          calls++
          if (calls === 1) throw new Error('once')
          return 'ok'
        },
      },
      { withScheduler: true, cleanupMs: 0, blockMs: 200 },
    )
    workers.push(worker)
    await worker.start()
    expect(await db.call(['TTL', 'rq:scheduler-lock:later'])).toBeGreaterThan(55)
    const q = new RqQueue(db, 'later')
    const due = await q.enqueueIn('1s', 'ts.add', { args: [20, 22] })
    const retried = await q.enqueue('ts.flaky', { retry: { max: 1, intervals: 1 } })
    expect(await due.status()).toBe('scheduled')
    expect(await due.result({ timeout: '6s' })).toBe(42)
    expect(await retried.result({ timeout: '6s' })).toBe('ok')
    expect(calls).toBe(2)
    expect(worker.stats()).toEqual({ finished: 2, failed: 0, retried: 1, running: 0 })
    await worker.close()
    expect(await db.call(['EXISTS', 'rq:scheduler-lock:later'])).toBe(0) // released on close
  }, 20_000)

  it('close() is graceful: a running job finishes and is recorded before close resolves', async () => {
    const worker = new RqWorker(
      db,
      ['graceful'],
      {
        'ts.wait': async () => {
          await sleep(300)
          return 'done'
        },
      },
      { cleanupMs: 0, blockMs: 100 },
    )
    await worker.start()
    const job = await new RqQueue(db, 'graceful').enqueue('ts.wait')
    await until('taken', () => worker.stats().running === 1)
    await worker.close()
    expect(await job.status()).toBe('finished')
    expect(await job.result()).toBe('done')
    await worker.close() // idempotent
  })

  it("the audit finds no TTL drift in RQ's keys: finished and failed jobs expire, as their entries declare", async () => {
    const worker = new RqWorker(
      db,
      ['audited'],
      {
        'ts.ok': () => 'ok',
        'ts.bad': () => {
          throw new Error('bad')
        },
      },
      { cleanupMs: 0, blockMs: 100 },
    )
    workers.push(worker)
    await worker.start()
    const queue = new RqQueue(db, 'audited')
    const ok = await queue.enqueue('ts.ok')
    const bad = await queue.enqueue('ts.bad')
    await queue.enqueueAt(new Date(Date.now() + 3_600_000), 'ts.ok')
    await until(
      'both ended',
      async () => (await ok.status()) === 'finished' && (await bad.status()) === 'failed',
    )
    const report = await audit(db, { keyspaces: db.keyspaces() })
    expect(report.findings.filter((f) => f.rule === 'schema-ttl')).toEqual([])
    await worker.close()
  })

  it('validates its arguments', async () => {
    const h = { 'ts.add': () => 1 }
    const bad: [unknown, unknown, unknown][] = [
      [[], h, {}],
      ['q', h, {}],
      [['a:b'], h, {}],
      [['q'], {}, {}],
      [['q'], [], {}],
      [['q'], { f: 1 }, {}],
      [['q'], h, { concurrency: 0 }],
      [['q'], h, { concurrency: 1.5 }],
      [['q'], h, { blockMs: 'x' }],
      [['q'], h, { heartbeatMs: -1 }],
      [['q'], h, { resultTtl: -1 }],
      [['q'], h, { cleanupMs: 'soon' }],
      [['q'], h, { name: 'a b' }],
      [['q'], h, { onError: 5 }],
      [['q'], h, { blocking: {} }],
      [['q'], h, { withScheduler: 'yes' }],
      [['q'], h, 'options'],
    ]
    for (const [queues, handlers, options] of bad)
      expect([
        queues,
        options,
        await codeOf(() => new RqWorker(db, queues as never, handlers as never, options as never)),
      ]).toEqual([queues, options, 'INVALID_ARGUMENT'])
    expect(await codeOf(() => new RqWorker({} as never, ['q'], h))).toBe('INVALID_ARGUMENT')
    // Started on construction; start() is idempotent; after close() it refuses.
    const w = new RqWorker(db, ['q'], h, { cleanupMs: 0 })
    const started = w.start()
    expect(w.start()).toBe(started)
    await started
    await w.close()
    expect(await codeOf(() => w.start())).toBe('INVALID_ARGUMENT')
  })
})

describe('on a Cluster', () => {
  let cluster: RedisCluster
  let cdb: RedisExpertClient
  beforeAll(async () => {
    cluster = await startCluster({ masters: 3, replicasPerMaster: 0 })
    cdb = await connect({ cluster: { rootNodes: cluster.rootNodes } })
  }, 60_000)
  afterAll(async () => {
    await cdb?.close()
    await cluster?.stop()
  })

  it('refuses: RQ keys share no hash tag and RQ itself is standalone/Sentinel only', async () => {
    expect(await codeOf(() => new RqQueue(cdb, 'default'))).toBe('NOT_SUPPORTED')
    expect(await codeOf(() => new RqWorker(cdb, ['default'], { f: () => 1 }))).toBe('NOT_SUPPORTED')
  })
})
