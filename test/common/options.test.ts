import { describe, expect, it } from 'vitest'
import { Celery } from '../../src/celery/index.js'
import { closestName, strictOptions } from '../../src/common/validate.js'
import { RedisExpertError } from '../../src/errors.js'
import { createStreamProducer, createStreamWorker } from '../../src/messaging/index.js'
import { Queue, QueueEvents, Worker } from '../../src/queue/index.js'
import { RqQueue, RqWorker } from '../../src/rq/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/*
 * Issue 15 (7): every options object of the queue, the workers, Celery and RQ refuses an unknown
 * key with INVALID_ARGUMENT naming the key and the closest valid name — a typo must not leave a
 * default in place in silence (`{ jobTimeoutMs }` used to leave a 30 s lease).
 */
const { db } = await startRedisForFile()

/** The refusal: code, unknown key, closest name. */
async function refusal(fn: () => unknown): Promise<{ code: string; option: unknown; closest: unknown }> {
  try {
    await fn()
  } catch (error) {
    if (!(error instanceof RedisExpertError)) throw error
    return { code: error.code, option: error.details.option, closest: error.details.closest }
  }
  throw new Error('not refused')
}

describe('strictOptions (pure)', () => {
  it('names the unknown key and the closest known one', () => {
    expect(closestName('jobTimeoutMs', ['leaseMs', 'timeoutMs', 'pollMs'])).toBe('timeoutMs')
    expect(closestName('concurency', ['concurrency', 'leaseMs'])).toBe('concurrency')
    expect(closestName('CONCURRENCY', ['concurrency', 'leaseMs'])).toBe('concurrency')
    expect(closestName('laeseMs', ['concurrency', 'leaseMs'])).toBe('leaseMs')
    expect(strictOptions('x', { a: 1 }, ['a', 'b'])).toEqual({ a: 1 })
    expect(() => strictOptions('Worker options', { leseMs: 1 }, ['leaseMs'])).toThrow(
      /Worker options: unknown option 'leseMs' — did you mean 'leaseMs'\?/,
    )
  })
})

describe('every options object refuses unknown keys', () => {
  const fn = () => {}
  const cases: [string, () => unknown, string, string][] = [
    ['Queue', () => new Queue(db, 'q', { namespce: 'x' } as never), 'namespce', 'namespace'],
    [
      'defaultJobOptions',
      () => new Queue(db, 'q', { defaultJobOptions: { attemps: 3 } as never }),
      'attemps',
      'attempts',
    ],
    ['add', () => new Queue(db, 'q').add('j', 1, { jobTimeoutMs: 5 } as never), 'jobTimeoutMs', 'timeoutMs'],
    [
      'addBulk',
      () => new Queue(db, 'q').addBulk([{ name: 'j', data: 1, options: { delay: 5 } as never }]),
      'delay',
      'delayMs',
    ],
    [
      'backoff',
      () => new Queue(db, 'q').add('j', 1, { backoff: { type: 'fixed', delay: 5 } as never }),
      'delay',
      'delayMs',
    ],
    [
      'Worker',
      () => new Worker(db, 'q', fn, { jobTimeoutMs: 5, autorun: false } as never),
      'jobTimeoutMs',
      'timeoutMs',
    ],
    [
      'Worker.close',
      () => new Worker(db, 'q', fn, { autorun: false }).close({ timeout: 5 } as never),
      'timeout',
      'timeoutMs',
    ],
    ['QueueEvents', () => new QueueEvents(db, 'q', fn, { blockMS: 5 } as never), 'blockMS', 'blockMs'],
    [
      'createStreamWorker',
      () => createStreamWorker(db, 's', fn, { group: 'g', maxDelivery: 3 } as never),
      'maxDelivery',
      'maxDeliveries',
    ],
    [
      'createStreamProducer',
      () => createStreamProducer(db, 's', { trimm: 'none' } as never),
      'trimm',
      'trim',
    ],
    [
      'Celery',
      () => new Celery(db, { visibilityTimeoutMs: 5 } as never),
      'visibilityTimeoutMs',
      'visibilityTimeout',
    ],
    ['CeleryWorker', () => new Celery(db).worker({ concurency: 2 } as never), 'concurency', 'concurrency'],
    [
      'sendTask',
      () => new Celery(db).sendTask('t', [], {}, { countDown: 1 } as never),
      'countDown',
      'countdown',
    ],
    ['RqQueue', () => new RqQueue(db, 'q', { timeout: 5 } as never), 'timeout', 'defaultTimeout'],
    ['enqueue', () => new RqQueue(db, 'q').enqueue('t.f', { kwarg: {} } as never), 'kwarg', 'kwargs'],
    ['RqWorker', () => new RqWorker(db, ['q'], { 't.f': fn }, { blockMS: 5 } as never), 'blockMS', 'blockMs'],
  ]
  it.each(cases)('%s', async (_, make, option, closest) => {
    expect(await refusal(make)).toEqual({ code: 'INVALID_ARGUMENT', option, closest })
  })
})
