import { Celery, type CeleryWorker, DEAD_LETTER_PREFIX, encodeTask, SEP } from 'redis-expert/celery'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { restoreTags, visibleTags } from '../../src/celery/restore.js'
import type { Command } from '../../src/common/types.js'
import type { RedisExpertClient } from '../../src/connect.js'
import type { RedisExpertError } from '../../src/errors.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { codeOf, commandsOf, sleep, waitFor } from './helpers.js'

/*
 * TypeScript producer ↔ TypeScript worker on one real redis-server (no Python here: the command
 * counts are exact): round trips, bad input, malformed messages, eta, priorities, shutdown and
 * the visibility timeout of long tasks.
 */
const { db } = await startRedisForFile()
let celery: Celery
const workers: CeleryWorker[] = []

beforeAll(async () => {
  celery = new Celery(db)
})

afterAll(async () => {
  for (const worker of workers) await worker.close()
  await celery?.close()
})

function raw(command: Command) {
  return db.unsafe({ reason: 'test: writes kombu keys directly' }, (d) => d.call(command))
}

async function failureOf(promise: Promise<unknown>): Promise<RedisExpertError> {
  try {
    await promise
  } catch (error) {
    return error as RedisExpertError
  }
  throw new Error('expected a failure')
}

async function started(worker: CeleryWorker): Promise<CeleryWorker> {
  workers.push(worker)
  await worker.start()
  return worker
}

describe('round trips (INFO commandstats)', () => {
  it('sendTask: one round trip — SADD of the binding + LPUSH the first time, then LPUSH alone', async () => {
    const first = await commandsOf(db, () => celery.sendTask('t.x', [1], {}, { queue: 'rt-send' }))
    expect(first).toEqual({ SADD: 1, LPUSH: 1 })
    const next = await commandsOf(db, () => celery.sendTask('t.x', [2], {}, { queue: 'rt-send' }))
    expect(next).toEqual({ LPUSH: 1 })
    expect(await db.call(['SMEMBERS', '_kombu.binding.rt-send'], { allow: ['GUARD_UNBOUNDED'] })).toEqual([
      `rt-send${SEP}${SEP}rt-send`,
    ])
  })

  it('worker, per task: TAKE and FINISH scripts (one round trip each); result.get of a stored result: one GET', async () => {
    const worker = await started(
      celery.worker({
        queues: ['rt-work'],
        pollMs: 5000,
        restoreEveryMs: 3_600_000,
        tasks: { 't.double': ([n]) => (n as number) * 2 },
      }),
    )
    await celery.sendTask('t.double', [0], {}, { queue: 'rt-work' })
    await waitFor('the warm-up task', () => worker.stats().succeeded === 1)
    await sleep(50)
    let id = ''
    const perTask = await commandsOf(db, async () => {
      id = (await celery.sendTask('t.double', [21], {}, { queue: 'rt-work' })).id
      await waitFor('the task', () => worker.stats().succeeded === 2)
      await sleep(50)
    })
    // LPUSH: the send. BLMOVE: the idle worker wakes. EVALSHA ×3: the TAKE that got it, the
    // TAKE that finds the queue empty before blocking again, and FINISH. RPOP ×9: 5 + 4 list
    // probes; ZADD + HSET: unacked bookkeeping; GET + SET + PUBLISH: the result as Celery's
    // backend stores it; ZREM + HDEL: the ack.
    expect(perTask).toEqual({
      LPUSH: 1,
      BLMOVE: 1,
      EVALSHA: 3,
      RPOP: 9,
      ZADD: 1,
      HSET: 1,
      GET: 1,
      SET: 1,
      PUBLISH: 1,
      ZREM: 1,
      HDEL: 1,
    })
    const read = await commandsOf(db, async () => expect(await celery.asyncResult(id).get()).toBe(42))
    expect(read).toEqual({ GET: 1 })
    expect(await commandsOf(db, () => celery.asyncResult(id).status())).toEqual({ GET: 1 })
  })

  it('result.get before the result exists: GET, SUBSCRIBE, GET, then the PUBLISH carries the meta', async () => {
    await celery
      .asyncResult('warm-up')
      .get({ timeout: 50 })
      .catch(() => {}) // opens the pub/sub connection
    await sleep(150) // its UNSUBSCRIBE is not waited for
    const id = 'rt-pending'
    const key = `celery-task-meta-${id}`
    const meta = JSON.stringify({
      status: 'SUCCESS',
      result: 'late',
      traceback: null,
      children: [],
      date_done: null,
      task_id: id,
    })
    const counted = await commandsOf(db, async () => {
      const waiting = celery.asyncResult(id).get({ timeout: 5000 })
      await sleep(200)
      // What Celery's RedisBackend._set does, in one pipeline.
      await db.unsafe({ reason: 'test: the backend write' }, (d) =>
        d.batch([
          ['SET', key, meta, 'EX', 60],
          ['PUBLISH', key, meta],
        ]),
      )
      expect(await waiting).toBe('late')
      await sleep(100)
    })
    expect(counted).toEqual({ GET: 2, SUBSCRIBE: 1, UNSUBSCRIBE: 1, SET: 1, PUBLISH: 1 })
  })
})

describe('restore round trips', () => {
  it('a restore pass: ZREVRANGEBYSCORE; then HMGET and one compare-and-set script per message', async () => {
    const { raw: message } = encodeTask({
      id: 'restore-1',
      name: 't.x',
      args: [],
      kwargs: {},
      queue: 'rt-restore',
      eta: null,
      expires: null,
      priority: 0,
      origin: 'test',
      ignoreResult: false,
    })
    const tag = JSON.parse(message).properties.delivery_tag as string
    // What kombu's QoS.append writes for a message a worker took an hour ago.
    await raw(['HSET', 'unacked', tag, JSON.stringify([JSON.parse(message), '', 'rt-restore'])])
    await raw(['ZADD', 'unacked_index', Date.now() / 1000 - 3600, tag])
    await restoreTags(db, ['no-such-tag']) // loads the script: the counts below are the warm path
    let tags: string[] = []
    expect(await commandsOf(db, async () => (tags = await visibleTags(db, 60_000)))).toEqual({
      ZREVRANGEBYSCORE: 1,
    })
    expect(tags).toEqual([tag])
    expect(await commandsOf(db, () => restoreTags(db, tags))).toEqual({
      HMGET: 1,
      EVALSHA: 1,
      HGET: 1,
      ZREM: 1,
      HDEL: 1,
      RPUSH: 1,
    })
    const back = JSON.parse(String(await db.call(['LINDEX', 'rt-restore', 0])))
    expect(back.headers.redelivered).toBe(true)
    expect(back.properties.delivery_info).toEqual({
      exchange: '',
      routing_key: 'rt-restore',
      redelivered: true,
    })
    expect(await restoreTags(db, tags)).toBe(0) // already restored: nothing pushed twice
    expect(await db.call(['LLEN', 'rt-restore'])).toBe(1)
  })
})

describe('TypeScript producer → TypeScript worker', () => {
  it('stores results as Celery does: JSON meta, result_expires TTL (1 day), PUBLISH; failures keep the type', async () => {
    const errors: unknown[] = []
    await started(
      celery.worker({
        queues: ['ts'],
        pollMs: 200,
        onError: (error) => errors.push(error),
        tasks: {
          't.echo': (args, kwargs) => ({ args, kwargs }),
          't.type': () => {
            throw new TypeError('not a number')
          },
          't.map': () => new Map([[1, 2]]),
        },
      }),
    )
    const ok = await celery.sendTask('t.echo', ['Grüße 🚀'], { n: { m: [1] } }, { queue: 'ts' })
    expect(await ok.get({ timeout: 5000 })).toEqual({ args: ['Grüße 🚀'], kwargs: { n: { m: [1] } } })
    const key = `celery-task-meta-${ok.id}`
    const ttl = (await db.call(['TTL', key])) as number
    expect(ttl).toBeGreaterThan(86_000)
    expect(ttl).toBeLessThanOrEqual(86_400)
    const meta = JSON.parse(String(await db.call(['GET', key])))
    expect(meta).toMatchObject({ status: 'SUCCESS', traceback: null, children: [], task_id: ok.id })
    expect(meta.date_done).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/)

    const typed = await failureOf(
      (await celery.sendTask('t.type', [], {}, { queue: 'ts' })).get({ timeout: 5000 }),
    )
    expect(typed.code).toBe('TASK_FAILED')
    expect(typed.details).toMatchObject({
      excType: 'TypeError',
      excModule: 'builtins',
      excMessage: 'not a number',
    })
    expect(String(typed.details.traceback)).toContain('TypeError: not a number')

    const notJson = await failureOf(
      (await celery.sendTask('t.map', [], {}, { queue: 'ts' })).get({ timeout: 5000 }),
    )
    expect(notJson.details).toMatchObject({ excType: 'TypeError' })
    expect(String(notJson.details.excMessage)).toContain('not JSON serializable')

    const unknown = await failureOf(
      (await celery.sendTask('t.nobody', [], {}, { queue: 'ts' })).get({ timeout: 5000 }),
    )
    expect(unknown.details).toMatchObject({
      excType: 'NotRegistered',
      excModule: 'celery.exceptions',
      excMessage: 't.nobody',
    })
    expect(errors.length).toBe(3)
  })

  it('takes priority 0 first (kombu Redis: lower number, higher priority); 3-5 share one list, FIFO', async () => {
    const ran: number[] = []
    for (const p of [9, 5, 0, 3, 0]) await celery.sendTask('t.p', [p], {}, { queue: 'prio', priority: p })
    expect(await db.call(['LLEN', `prio${SEP}3`])).toBe(2)
    const worker = await started(
      celery.worker({
        queues: ['prio'],
        prefetch: 1,
        pollMs: 100,
        tasks: { 't.p': ([p]) => void ran.push(p as number) },
      }),
    )
    await waitFor('five tasks', () => worker.stats().succeeded === 5)
    expect(ran).toEqual([0, 0, 5, 3, 9])
  })

  it('consumes several queues; ignoreResult acks without storing a result', async () => {
    const seen: string[] = []
    const worker = await started(
      celery.worker({
        queues: ['multi-a', 'multi-b'],
        pollMs: 100,
        tasks: { 't.where': (_a, _k, info) => void seen.push(info.queue) },
      }),
    )
    const a = await celery.sendTask('t.where', [], {}, { queue: 'multi-a' })
    const b = await celery.sendTask('t.where', [], {}, { queue: 'multi-b' })
    await Promise.all([a.get({ timeout: 5000 }), b.get({ timeout: 5000 })])
    expect(seen.sort()).toEqual(['multi-a', 'multi-b'])
    const ignored = await celery.sendTask('t.where', [], {}, { queue: 'multi-b', ignoreResult: true })
    await waitFor('the third task', () => worker.stats().succeeded === 3)
    await waitFor('the ack', async () => (await db.call(['HLEN', 'unacked'])) === 0)
    expect(await ignored.meta()).toBeNull()
    expect(await ignored.status()).toBe('PENDING')
  })

  it('countdown/eta: held in memory (still in unacked), run when due', async () => {
    let ranAt = 0
    const worker = await started(
      celery.worker({ queues: ['eta'], pollMs: 100, tasks: { 't.when': () => (ranAt = Date.now()) } }),
    )
    const sent = Date.now()
    const result = await celery.sendTask('t.when', [], {}, { queue: 'eta', countdown: 0.8 })
    await waitFor('the worker to hold it', () => worker.stats().held === 1)
    expect(await db.call(['HLEN', 'unacked'])).toBe(1)
    await result.get({ timeout: 5000 })
    expect(ranAt).toBeGreaterThanOrEqual(sent + 800)
    expect(await db.call(['HLEN', 'unacked'])).toBe(0)
  })

  it('close(): finishes the task in flight, puts held eta messages back on the queue, stops reading', async () => {
    let release: () => void = () => {}
    const worker = celery.worker({
      queues: ['closing'],
      concurrency: 1,
      pollMs: 100,
      tasks: {
        't.slow': () => new Promise<string>((resolve) => (release = () => resolve('done'))),
        't.later': () => 'x',
      },
    })
    await worker.start()
    const slow = await celery.sendTask('t.slow', [], {}, { queue: 'closing' })
    await celery.sendTask('t.later', [], {}, { queue: 'closing', countdown: 60 })
    await waitFor('both held', () => worker.stats().held === 2 && worker.stats().running === 1)
    const closing = worker.close()
    await sleep(100)
    release()
    await closing
    expect(await slow.get({ timeout: 1000 })).toBe('done')
    expect(await db.call(['LLEN', 'closing'])).toBe(1)
    expect(await db.call(['HLEN', 'unacked'])).toBe(0)
    const back = JSON.parse(String(await db.call(['LINDEX', 'closing', 0])))
    expect(back.headers).toMatchObject({ task: 't.later', redelivered: true })
    await celery.sendTask('t.later', [], {}, { queue: 'closing' })
    await sleep(300)
    expect(await db.call(['LLEN', 'closing'])).toBe(2) // nobody reads any more
    await raw(['DEL', 'closing'])
  })

  it("close({ timeoutMs }): when it stops waiting, the running handler's task.signal fires", async () => {
    let told: unknown
    const worker = celery.worker({
      queues: ['closing-signal'],
      pollMs: 100,
      tasks: {
        't.stuck': (_args, _kwargs, task) =>
          new Promise((resolve) =>
            task.signal.addEventListener('abort', () => {
              told = task.signal.reason
              resolve('gave up')
            }),
          ),
      },
    })
    await worker.start()
    await celery.sendTask('t.stuck', [], {}, { queue: 'closing-signal' })
    await waitFor('running', () => worker.stats().running === 1)
    await worker.close({ timeoutMs: 200 })
    await waitFor('told', () => told !== undefined)
    expect(String((told as Error).message)).toMatch(/closed/)
    await raw(['DEL', 'closing-signal'])
  })

  it('a task longer than the visibility timeout is kept visible (not restored to run twice)', async () => {
    const short = new Celery(db, { visibilityTimeout: 900 })
    let runs = 0
    const a = await started(
      short.worker({
        queues: ['long'],
        pollMs: 100,
        restoreEveryMs: 100,
        tasks: {
          't.long': async () => {
            runs++
            await sleep(2200)
            return runs
          },
        },
      }),
    )
    const b = await started(
      short.worker({ queues: ['long'], pollMs: 100, restoreEveryMs: 100, tasks: { 't.long': () => -1 } }),
    )
    const result = await short.sendTask('t.long', [], {}, { queue: 'long' })
    expect(await result.get({ timeout: 5000 })).toBe(1)
    expect(runs).toBe(1)
    expect(a.stats().restored + b.stats().restored).toBe(0)
    await short.close()
  })
})

describe('malformed messages: MESSAGE_INVALID via onError, moved to the dead-letter list, never lost', () => {
  it('not JSON, not an envelope, pickle, a broken body: each reported and dead-lettered', async () => {
    const errors: RedisExpertError[] = []
    const worker = await started(
      celery.worker({
        queues: ['bad'],
        pollMs: 100,
        onError: (e) => errors.push(e as RedisExpertError),
        tasks: { 't.ok': () => 'ok' },
      }),
    )
    const good = encodeTask({
      id: 'bad-1',
      name: 't.ok',
      args: [],
      kwargs: {},
      queue: 'bad',
      eta: null,
      expires: null,
      priority: 0,
      origin: 'test',
      ignoreResult: false,
    })
    const envelope = JSON.parse(good.raw)
    const pickle = JSON.stringify({ ...envelope, 'content-type': 'application/x-python-serialize' })
    const brokenBody = JSON.stringify({ ...envelope, body: Buffer.from('[1, 2').toString('base64') })
    const v1 = JSON.stringify({ ...envelope, headers: {} })
    for (const message of ['not json', '{"no": "properties"}', pickle, brokenBody, v1])
      await raw(['LPUSH', 'bad', message])
    await waitFor('five reports', () => errors.length === 5)
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill('MESSAGE_INVALID'))
    expect(errors.map((e) => e.details.reason)).toEqual([
      'not a kombu envelope; moved to redis-expert:celery-dead:bad',
      'not a kombu envelope; moved to redis-expert:celery-dead:bad',
      'content-type "application/x-python-serialize" is not supported: only application/json (never pickle)',
      'the body is not JSON',
      'no task header: only Celery message protocol 2 is supported',
    ])
    await waitFor(
      'all dead-lettered',
      async () => (await db.call(['LLEN', `${DEAD_LETTER_PREFIX}bad`])) === 5,
    )
    expect(await db.call(['HLEN', 'unacked'])).toBe(0)
    expect(worker.stats().invalid).toBe(5)
    // The worker goes on.
    expect(await (await celery.sendTask('t.ok', [], {}, { queue: 'bad' })).get({ timeout: 5000 })).toBe('ok')
  })
})

describe('bad input: INVALID_ARGUMENT', () => {
  it('new Celery and its options', async () => {
    expect(await codeOf(() => new Celery({} as RedisExpertClient))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new Celery(db, { defaultQueue: '' }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new Celery(db, { defaultQueue: `a${SEP}b` }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new Celery(db, { resultExpires: -1 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(() => new Celery(db, { visibilityTimeout: 'soon' as never }))).toBe(
      'INVALID_ARGUMENT',
    )
    expect(new Celery(db, { resultExpires: null }).options.resultExpiresSeconds).toBe(0)
    expect(new Celery(db, { resultExpires: '1h' }).options.resultExpiresSeconds).toBe(3600)
  })

  it('sendTask', async () => {
    const bad: [string, () => Promise<unknown>][] = [
      ['empty name', () => celery.sendTask('')],
      ['name with a newline', () => celery.sendTask('a\nb')],
      ['args not an array', () => celery.sendTask('t', 'x' as never)],
      ['undefined in args', () => celery.sendTask('t', [undefined])],
      ['NaN', () => celery.sendTask('t', [Number.NaN])],
      ['BigInt', () => celery.sendTask('t', [1n])],
      ['a Date', () => celery.sendTask('t', [new Date()])],
      ['a function', () => celery.sendTask('t', [], { f: () => 1 })],
      ['kwargs an array', () => celery.sendTask('t', [], [] as never)],
      ['kwargs null', () => celery.sendTask('t', [], null as never)],
      ['negative countdown', () => celery.sendTask('t', [], {}, { countdown: -1 })],
      ['countdown and eta', () => celery.sendTask('t', [], {}, { countdown: 1, eta: new Date() })],
      ['invalid eta', () => celery.sendTask('t', [], {}, { eta: new Date('nope') })],
      ['expires Infinity', () => celery.sendTask('t', [], {}, { expires: Number.POSITIVE_INFINITY })],
      ['priority 10', () => celery.sendTask('t', [], {}, { priority: 10 })],
      ['priority 1.5', () => celery.sendTask('t', [], {}, { priority: 1.5 })],
      ['queue empty', () => celery.sendTask('t', [], {}, { queue: '' })],
      ['taskId with a tab', () => celery.sendTask('t', [], {}, { taskId: 'a\tb' })],
      ['ignoreResult "yes"', () => celery.sendTask('t', [], {}, { ignoreResult: 'yes' as never })],
      ['options not an object', () => celery.sendTask('t', [], {}, 5 as never)],
    ]
    for (const [what, call] of bad) expect([what, await codeOf(call)]).toEqual([what, 'INVALID_ARGUMENT'])
  })

  it('results and workers', async () => {
    expect(await codeOf(() => celery.asyncResult(''))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(celery.asyncResult('x').get({ timeout: 0 }))).toBe('INVALID_ARGUMENT')
    expect(await codeOf(celery.asyncResult('x').get({ timeout: 'soon' as never }))).toBe('INVALID_ARGUMENT')
    const bad: [string, () => unknown][] = [
      ['queues empty', () => celery.worker({ queues: [] })],
      ['queue not a string', () => celery.worker({ queues: [1 as never] })],
      ['concurrency 0', () => celery.worker({ concurrency: 0 })],
      ['prefetch below concurrency', () => celery.worker({ concurrency: 4, prefetch: 2 })],
      ['pollMs -5', () => celery.worker({ pollMs: -5 })],
      ['handler not a function', () => celery.worker({ tasks: { 't.x': 5 as never } })],
      ['onError not a function', () => celery.worker({ onError: 'x' as never })],
      ['register a bad name', () => celery.worker({ autorun: false }).register('', () => 1)],
    ]
    for (const [what, call] of bad) expect([what, await codeOf(call)]).toEqual([what, 'INVALID_ARGUMENT'])
    // Started on construction; start() is idempotent; after close() it refuses.
    const worker = celery.worker({ queues: ['never'] })
    const started = worker.start()
    expect(worker.start()).toBe(started)
    await started
    await worker.close()
    expect(await codeOf(worker.start())).toBe('INVALID_ARGUMENT')
  })

  it('a stored result that is not a Celery JSON meta → MESSAGE_INVALID naming the key', async () => {
    await raw(['SET', 'celery-task-meta-pickled', '\x80\x04garbage', 'EX', 60])
    const error = await failureOf(celery.asyncResult('pickled').get({ timeout: 1000 }))
    expect(error.code).toBe('MESSAGE_INVALID')
    expect(error.details.key).toBe('celery-task-meta-pickled')
  })
})
