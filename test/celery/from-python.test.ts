import { Celery, type CeleryWorker, TaskError } from 'redis-expert/celery'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runPython } from '../support/python.js'
import { startRedisForFile } from '../support/redis-fixture.js'
import { fixtures } from './helpers.js'

/*
 * A real Python Celery 5 producer (send_task, apply_async, delay) → the TypeScript worker → the
 * Python AsyncResult.get(). One redis-server and one TypeScript worker for the whole file.
 */
const { server, db } = await startRedisForFile()
let celery: Celery
let worker: CeleryWorker
const errors: unknown[] = []

class ValidationError extends Error {
  override name = 'ValidationError'
}

beforeAll(async () => {
  celery = new Celery(db)
  worker = celery.worker({
    concurrency: 4,
    pollMs: 200,
    onError: (error) => errors.push(error),
    tasks: {
      'ts.add': ([a, b]) => (a as number) + (b as number),
      'ts.echo': (args, kwargs) => [args, kwargs],
      'ts.when': () => Date.now(),
      'ts.fail': ([message]) => {
        throw new Error(String(message))
      },
      'ts.custom_fail': () => {
        throw new ValidationError('the order has no lines')
      },
      'ts.type_fail': async () => {
        throw new TaskError('wrong kind of thing', { excType: 'TypeError' })
      },
    },
  })
  await worker.start()
}, 60_000)

afterAll(async () => {
  await worker?.close()
  await celery?.close()
})

async function python(...args: string[]): Promise<Record<string, unknown>> {
  const run = await runPython(['producer.py', ...args], { cwd: fixtures, env: { BROKER_URL: server.url } })
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!)
}

describe('Python producer → TypeScript worker → Python AsyncResult.get', () => {
  it('send_task, apply_async and delay run here; Unicode, nested JSON and failures reach Python', async () => {
    const out = await python('basic')
    expect(out.send_task).toBe(5)
    expect(out.apply_async).toEqual([['Grüße 🚀'], { nested: { a: [1, { b: null }], t: true } }])
    expect(out.delay).toEqual([[1.5, 'x'], {}])
    // A JS Error is builtins.Exception with the message as its argument: str(exc) is the message.
    expect(out.fail).toEqual({
      type: 'Exception',
      module: 'builtins',
      message: 'bad input ü',
      state: 'FAILURE',
    })
    // An error class of another name: Celery rebuilds an Exception subclass of that name.
    expect(out.custom_fail).toEqual({ type: 'ValidationError', message: 'the order has no lines' })
    expect(out.type_fail).toEqual({ type: 'TypeError', message: 'wrong kind of thing' })
    expect(worker.stats()).toMatchObject({ succeeded: 3, failed: 3 })
  })

  it('countdown: held until due, then run', async () => {
    const out = await python('countdown')
    expect(out.ran as number).toBeGreaterThanOrEqual((out.sent as number) + 1500)
  })

  it('expires: a task that expires while held is revoked; Python raises TaskRevokedError', async () => {
    const out = await python('expired')
    expect(out.expired).toEqual({ type: 'TaskRevokedError', state: 'REVOKED' })
    expect(worker.stats().expired).toBe(1)
  })

  it('nothing is left in unacked once the results are stored', async () => {
    expect(await db.call(['HLEN', 'unacked'])).toBe(0)
    expect(await db.call(['ZCARD', 'unacked_index'])).toBe(0)
  })
})
