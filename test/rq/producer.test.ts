import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisExpertError } from '../../src/errors.js'
import { RqQueue } from '../../src/rq/index.js'
import { callsBetween, commandCalls } from '../support/commandstats.js'
import { codeOf } from '../support/errors.js'
import { type PythonProcess, runPython, spawnPython } from '../support/python.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/** TypeScript enqueues, a real Python RQ 1.13 worker (JSONSerializer) runs the jobs. */

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url))
const { server, db } = await startRedisForFile()

interface PyJob {
  id: string
  func_name: string
  args: unknown[]
  kwargs: Record<string, unknown>
  status: string
  origin: string
  description: string
  timeout: number
  result_ttl: number | null
  failure_ttl: number | null
  ttl: number | null
  meta: Record<string, unknown>
  created_at: string
  enqueued_at: string | null
  retries_left: number | null
  retry_intervals: number[] | null
}

async function inspect(...ids: string[]): Promise<PyJob[]> {
  const run = await runPython([`${fixtures}inspect_job.py`, server.url, ...ids], { cwd: fixtures })
  return JSON.parse(run.stdout) as PyJob[]
}

describe('the job RQ reads (no worker running)', () => {
  it('enqueue is one script; Python reads every field back as it wrote it', async () => {
    const q = new RqQueue(db, 'idle')
    await q.enqueue('tasks.add', { args: [0, 0] }) // warm the script cache
    const before = await commandCalls(db)
    const plain = await q.enqueue('tasks.add', { args: [1, 2] })
    const after = await commandCalls(db)
    const { EVALSHA, ...inside } = callsBetween(before, after)
    expect(EVALSHA).toBe(1)
    expect(inside).toEqual({ SADD: 1, HSET: 1, RPUSH: 1 })

    const before2 = await commandCalls(db)
    const full = await q.enqueue('tasks.echo', {
      args: ['Grüße 🚀', { nested: [1, { deep: null }] }, true, 1.5],
      kwargs: { name: 'ünï', list: [] },
      jobId: 'my-job.1',
      timeout: '2m',
      resultTtl: '1h',
      failureTtl: 'forever',
      ttl: '10m',
      description: 'a described job',
      meta: { owner: 'ts', n: 1 },
      retry: { max: 2, intervals: [1, 5] },
    })
    const { EVALSHA: e2, ...inside2 } = callsBetween(before2, await commandCalls(db))
    expect(e2).toBe(1)
    expect(inside2).toEqual({ SADD: 1, HSET: 1, EXPIRE: 1, RPUSH: 1 })
    expect(full.id).toBe('my-job.1')

    const [a, b] = await inspect(plain.id, full.id)
    expect(a).toMatchObject({
      func_name: 'tasks.add',
      args: [1, 2],
      kwargs: {},
      status: 'queued',
      origin: 'idle',
      description: 'tasks.add(1, 2)',
      timeout: 180,
      result_ttl: null,
      failure_ttl: null,
      ttl: null,
      meta: {},
      retries_left: null,
    })
    expect(Math.abs(Date.parse(`${a!.created_at}Z`) - Date.now())).toBeLessThan(10_000)
    expect(a!.enqueued_at).toBe(a!.created_at)
    expect(b).toMatchObject({
      func_name: 'tasks.echo',
      args: ['Grüße 🚀', { nested: [1, { deep: null }] }, true, 1.5],
      kwargs: { name: 'ünï', list: [] },
      status: 'queued',
      description: 'a described job',
      timeout: 120,
      result_ttl: 3600,
      failure_ttl: -1,
      ttl: 600,
      meta: { owner: 'ts', n: 1 },
      retries_left: 2,
      retry_intervals: [1, 5],
    })
    expect(Number(await db.call(['TTL', q.keys.job(full.id)]))).toBeGreaterThan(590)
    expect(await db.call(['LRANGE', q.keys.queue, 0, 10])).toEqual([expect.any(String), plain.id, 'my-job.1'])
    expect(await db.call(['SISMEMBER', 'rq:queues', 'rq:queue:idle'])).toBe(1)
    expect(await full.status()).toBe('queued')
    expect((await full.fetch())?.call?.args[0]).toBe('Grüße 🚀')
  })

  it('atFront pushes to the head; enqueueIn goes to the ScheduledJobRegistry with its run time', async () => {
    const q = new RqQueue(db, 'order')
    const first = await q.enqueue('tasks.add', { args: [1, 1] })
    const urgent = await q.enqueue('tasks.add', { args: [2, 2], atFront: true })
    expect(await db.call(['LRANGE', q.keys.queue, 0, 10])).toEqual([urgent.id, first.id])
    const before = await commandCalls(db)
    const later = await q.enqueueIn('1h', 'tasks.add', { args: [3, 3] })
    const mid = await commandCalls(db)
    expect(callsBetween(before, mid)).toEqual({ EVALSHA: 1, SADD: 1, HSET: 1, ZADD: 1 })
    expect(await later.status()).toBe('scheduled')
    expect((await later.fetch())?.call).toEqual({ func: 'tasks.add', args: [3, 3], kwargs: {} })
    // status: HGET; fetch: HMGET + XREVRANGE pipelined.
    const fetched = await commandCalls(db)
    expect(callsBetween(mid, fetched)).toEqual({ HGET: 1, HMGET: 1, XREVRANGE: 1 })
    await expect(later.result({ timeout: 1 })).rejects.toMatchObject({ code: 'RESULT_TIMEOUT' })
    // Each result() poll is that same pair; how many polls fit in its 1 ms depends on timing.
    const polls = callsBetween(fetched, await commandCalls(db))
    expect(Object.keys(polls).sort()).toEqual(['HMGET', 'XREVRANGE'])
    expect(polls.HMGET).toBe(polls.XREVRANGE)
    expect(polls.HMGET).toBeGreaterThanOrEqual(1)
    const score = Number(await db.call(['ZSCORE', q.keys.scheduled, later.id]))
    expect(Math.abs(score - (Date.now() / 1000 + 3600))).toBeLessThan(5)
    expect(await q.count()).toBe(2)
  })

  it('refuses bad input with INVALID_ARGUMENT before any command', async () => {
    const q = new RqQueue(db, 'bad')
    const bad: [string, unknown][] = [
      ['', {}],
      ['tasks.add(1)', {}],
      ['tasks..add', {}],
      ['tasks.add', { args: 'x' }],
      ['tasks.add', { args: [Number.NaN] }],
      ['tasks.add', { args: [undefined] }],
      ['tasks.add', { args: [new Date()] }],
      ['tasks.add', { args: [1n] }],
      ['tasks.add', { kwargs: [1] }],
      ['tasks.add', { kwargs: { f: () => 1 } }],
      ['tasks.add', { jobId: 'a:b' }],
      ['tasks.add', { jobId: 'x'.repeat(513) }],
      ['tasks.add', { jobId: '' }],
      ['tasks.add', { timeout: 0 }],
      ['tasks.add', { timeout: 'soon' }],
      ['tasks.add', { resultTtl: -5 }],
      ['tasks.add', { failureTtl: 0 }],
      ['tasks.add', { ttl: 0 }],
      ['tasks.add', { meta: 'x' }],
      ['tasks.add', { atFront: 'yes' }],
      ['tasks.add', { description: 5 }],
      ['tasks.add', { retry: { max: 0 } }],
      ['tasks.add', { retry: { max: 1, intervals: [-1] } }],
      ['tasks.add', 'options'],
    ]
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    bad.push(['tasks.add', { kwargs: cyclic }])
    for (const [func, options] of bad)
      expect([func, options, await codeOf(() => q.enqueue(func, options as never))]).toEqual([
        func,
        options,
        'INVALID_ARGUMENT',
      ])
    expect(await codeOf(() => new RqQueue(db, 'a b'))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new RqQueue(db, 'q:1'))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new RqQueue({} as never, 'q'))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new RqQueue(db, 'q', 'x' as never))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.enqueueAt(new Date('nope'), 'tasks.add'))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.job('a:b'))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => q.job('x').result({ timeout: -1 }))).toBe('INVALID_ARGUMENT')
    expect(await q.count()).toBe(0)
  })
})

describe('with a Python RQ worker', () => {
  let worker: PythonProcess
  let q: RqQueue

  beforeAll(async () => {
    q = new RqQueue(db, 'default')
    worker = spawnPython(
      [
        '-m',
        'rq.cli',
        'worker',
        '--url',
        server.url,
        '--serializer',
        'rq.serializers.JSONSerializer',
        '--worker-class',
        'rq.worker.SimpleWorker',
        '--with-scheduler',
        'default',
      ],
      { cwd: fixtures },
    )
    await worker.waitForOutput(/Listening on/)
  }, 30_000)
  afterAll(async () => {
    await worker?.stop()
  })

  it('runs args, kwargs, Unicode and nested JSON; TS reads status and result', async () => {
    const add = await q.enqueue<number>('tasks.add', { args: [2, 40] })
    const echo = await q.enqueue('tasks.echo', {
      args: ['Grüße 🚀', { nested: [1, { deep: [null, true, 'ß'] }] }, 7, 2.5],
      kwargs: { emoji: '🚀', obj: { a: [] } },
    })
    const shout = await q.enqueue<string>('tasks.shout', { args: ['Grüße 🚀'] })
    const none = await q.enqueue('tasks.nothing')
    expect(await add.result({ timeout: '15s' })).toBe(42)
    expect(await echo.result({ timeout: '15s' })).toEqual({
      args: ['Grüße 🚀', { nested: [1, { deep: [null, true, 'ß'] }] }, 7, 2.5],
      kwargs: { emoji: '🚀', obj: { a: [] } },
      types: ['str', 'dict', 'int', 'float'],
    })
    expect(await shout.result({ timeout: '15s' })).toBe('GRÜSSE 🚀 ✓')
    expect(await none.result({ timeout: '15s' })).toBeNull()
    expect(await add.status()).toBe('finished')
    const info = await add.fetch()
    expect(info).toMatchObject({ status: 'finished', origin: 'default', description: 'tasks.add(2, 40)' })
    expect(info?.workerName).toBeTruthy()
    expect(info?.latestResult).toMatchObject({ type: 'successful', returnValue: 42 })
    expect(info!.endedAt!.getTime()).toBeGreaterThanOrEqual(info!.startedAt!.getTime())
    // The worker's finished registry and the result TTL (RQ's default 500 s).
    expect(await db.call(['ZSCORE', q.keys.finished, add.id])).not.toBeNull()
    expect(Number(await db.call(['TTL', q.keys.results(add.id)]))).toBeGreaterThan(400)
  })

  it('a function that raises → TASK_FAILED with the Python traceback and exception type', async () => {
    const job = await q.enqueue('tasks.boom', { args: ['kaputt: Grüße'] })
    const error = await job.result({ timeout: '15s' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RedisExpertError)
    const e = error as RedisExpertError
    expect(e.code).toBe('TASK_FAILED')
    expect(e.details).toMatchObject({
      jobId: job.id,
      status: 'failed',
      excType: 'ValueError',
      excMessage: 'kaputt: Grüße',
    })
    expect(String(e.details.excInfo)).toMatch(
      /^Traceback \(most recent call last\):[\s\S]*tasks\.py[\s\S]*ValueError: kaputt: Grüße/,
    )
    expect(await job.status()).toBe('failed')
    expect(await db.call(['ZSCORE', q.keys.failed, job.id])).not.toBeNull()
  })

  it('an unknown function fails in Python too (RQ 1.13 raises AttributeError from import_attribute)', async () => {
    const job = await q.enqueue('tasks.missing')
    const e = (await job.result({ timeout: '15s' }).catch((x: unknown) => x)) as RedisExpertError
    expect(e.code).toBe('TASK_FAILED')
    expect(e.details.excType).toBe('AttributeError')
    expect(String(e.details.excInfo)).toMatch(/import_attribute/)
  })

  it('enqueueIn: the worker scheduler runs it once due', async () => {
    const job = await q.enqueueIn('1s', 'tasks.add', { args: [1, 1] })
    expect(await job.status()).toBe('scheduled')
    expect(await job.result({ timeout: '20s' })).toBe(2)
  }, 30_000)

  it('a job past its timeout fails with JobTimeoutException; result() gives RESULT_TIMEOUT when waiting less', async () => {
    const slow = await q.enqueue('tasks.sleepy', { args: [3], timeout: '1s' })
    expect(await codeOf(slow.result({ timeout: 200 }))).toBe('RESULT_TIMEOUT')
    const e = (await slow.result({ timeout: '15s' }).catch((x: unknown) => x)) as RedisExpertError
    expect(e.code).toBe('TASK_FAILED')
    expect(e.details.excType).toBe('rq.timeouts.JobTimeoutException')
    const gone = q.job('never-enqueued')
    const missing = (await gone.result({ timeout: 100 }).catch((x: unknown) => x)) as RedisExpertError
    expect(missing.code).toBe('RESULT_TIMEOUT')
    expect(missing.details.status).toBeNull()
  }, 30_000)
})
