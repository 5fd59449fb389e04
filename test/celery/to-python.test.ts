import { Celery } from 'redis-expert/celery'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type RedisExpertClient } from '../../src/connect.js'
import type { RedisExpertError } from '../../src/errors.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'
import type { PythonProcess } from '../support/python.js'
import { codeOf, startPythonWorker, waitFor } from './helpers.js'

/*
 * TypeScript producer → a real Python Celery 5 worker (kombu Redis transport) → the TypeScript
 * result reader. One redis-server and one Python worker for the whole file.
 */
let server: RedisServer
let db: RedisExpertClient
let celery: Celery
let worker: PythonProcess

beforeAll(async () => {
  server = await startRedis()
  db = await connect({ url: server.url })
  celery = new Celery(db)
  worker = await startPythonWorker(server.url, ['celery', 'other'])
}, 60_000)

afterAll(async () => {
  await worker?.stop()
  await celery?.close()
  await db?.close()
  await server?.stop()
})

async function failureOf(promise: Promise<unknown>): Promise<RedisExpertError> {
  try {
    await promise
  } catch (error) {
    return error as RedisExpertError
  }
  throw new Error('expected a failure')
}

describe('sendTask → Python Celery worker → result.get', () => {
  it('passes args and kwargs: Unicode strings and nested JSON arrive intact', async () => {
    const args = [1, 'Grüße 🚀', { deep: [1, null, { x: 'ü' }] }, [true, false], 2.5]
    const kwargs = { name: 'Zoë', nested: { list: [[], {}], empty: '' } }
    const result = await celery.sendTask('py.echo', args, kwargs)
    expect(await result.get({ timeout: 10_000 })).toEqual([args, kwargs])
    expect(await result.status()).toBe('SUCCESS')
  })

  it('returns a plain value, and routes to another queue', async () => {
    expect(await (await celery.sendTask('py.add', [2, 40])).get({ timeout: 10_000 })).toBe(42)
    const other = await celery.sendTask('py.add', ['a', 'b'], {}, { queue: 'other' })
    expect(await other.get({ timeout: 10_000 })).toBe('ab')
  })

  it('countdown: the task runs no earlier than asked', async () => {
    const sent = Date.now()
    const result = await celery.sendTask<number>('py.when', [], {}, { countdown: 1.2 })
    const ran = await result.get({ timeout: 10_000 })
    expect(ran).toBeGreaterThanOrEqual(sent + 1200)
  })

  it('eta: the task runs no earlier than the time given', async () => {
    const eta = new Date(Date.now() + 1000)
    const ran = await (await celery.sendTask<number>('py.when', [], {}, { eta })).get({ timeout: 10_000 })
    expect(ran).toBeGreaterThanOrEqual(eta.getTime())
  })

  it('expires: a task still waiting when it expires is revoked, one in time runs', async () => {
    const late = await celery.sendTask('py.when', [], {}, { countdown: 1, expires: 0.3 })
    const error = await failureOf(late.get({ timeout: 10_000 }))
    expect(error.code).toBe('TASK_FAILED')
    expect(error.details).toMatchObject({ status: 'REVOKED', excType: 'TaskRevokedError' })
    expect(await late.status()).toBe('REVOKED')
    const inTime = await celery.sendTask('py.add', [1, 1], {}, { expires: 60 })
    expect(await inTime.get({ timeout: 10_000 })).toBe(2)
  })

  it('priority is accepted: every step runs, on its kombu priority list', async () => {
    const results = await Promise.all(
      [0, 3, 5, 9].map((priority) => celery.sendTask('py.add', [priority, 1], {}, { priority })),
    )
    expect(await Promise.all(results.map((r) => r.get({ timeout: 10_000 })))).toEqual([1, 4, 6, 10])
  })

  it('a task that raises → TASK_FAILED with the Python exception type, message and traceback', async () => {
    const result = await celery.sendTask('py.fail', ['broken: ü'])
    const error = await failureOf(result.get({ timeout: 10_000 }))
    expect(error.code).toBe('TASK_FAILED')
    expect(error.details).toMatchObject({
      taskId: result.id,
      status: 'FAILURE',
      excType: 'ValueError',
      excModule: 'builtins',
      excMessage: 'broken: ü',
    })
    expect(String(error.details.traceback)).toContain('ValueError: broken: ü')
    expect(await result.status()).toBe('FAILURE')
  })

  it('no result in time → RESULT_TIMEOUT; the status stays PENDING', async () => {
    const result = await celery.sendTask('py.add', [1, 2], {}, { queue: 'nobody-listens' })
    expect(await codeOf(result.get({ timeout: 300 }))).toBe('RESULT_TIMEOUT')
    expect(await result.status()).toBe('PENDING')
  })

  it('reads a result by id, and waits for one that is not there yet (pub/sub)', async () => {
    const sent = await celery.sendTask<number>('py.slow', [0.5])
    const byId = celery.asyncResult<number>(sent.id)
    const [a, b] = await Promise.all([sent.get({ timeout: 10_000 }), byId.get({ timeout: 10_000 })])
    expect([a, b]).toEqual([0.5, 0.5])
  })
})

describe('the other way round: kombu writes the unacked entry, TypeScript restores it', () => {
  it('a Python worker SIGKILLed holding an eta task: a TS worker restores it after the visibility timeout and runs it when due', async () => {
    // The earlier tests' messages are all acked first: Celery stores an expired task's REVOKED
    // status before it acks its message, and such a leftover entry once passed for this task's
    // (the worker was killed before taking it; the TypeScript worker then ran the original).
    await waitFor('earlier messages to be acked', async () => (await db.call(['HLEN', 'unacked'])) === 0)
    const sent = Date.now()
    const result = await celery.sendTask<string>('py.when', [], {}, { countdown: 2 })
    // kombu's QoS.append put it in unacked; Celery holds eta tasks in memory without acking.
    await waitFor('the Python worker to hold it', async () => {
      const held: string[] = []
      for await (const [, value] of db.hscan('unacked')) held.push(String(value))
      return held.length === 1 && held[0]!.includes(result.id)
    })
    await worker.kill()
    const short = new Celery(db, { visibilityTimeout: 1000 })
    const ts = short.worker({
      pollMs: 100,
      restoreEveryMs: 200,
      tasks: { 'py.when': (_a, _k, info) => `ts ${info.redelivered}` },
    })
    await ts.start()
    try {
      expect(await result.get({ timeout: 10_000 })).toBe('ts true')
      expect(Date.now()).toBeGreaterThanOrEqual(sent + 2000)
      expect(ts.stats().restored).toBe(1)
      expect(await db.call(['HLEN', 'unacked'])).toBe(0)
    } finally {
      await ts.close()
      await short.close()
    }
  })
})
