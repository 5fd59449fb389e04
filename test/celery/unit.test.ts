import {
  decodeTask,
  encodeTask,
  exceptionOf,
  type OutgoingTask,
  priorityList,
  SEP,
  TaskError,
} from 'redis-expert/celery'
import { describe, expect, it } from 'vitest'
import { isoNaiveUtc, isoUtc, parseIsoTime, redeliveredEnvelope } from '../../src/celery/message.js'
import { decodeMeta, failureError, failureMeta, successMeta } from '../../src/celery/meta.js'

const task: OutgoingTask = {
  id: 'id-1',
  name: 'proj.add',
  args: [1, 'Grüße 🚀', { a: [] }],
  kwargs: { k: {} },
  queue: 'celery',
  eta: Date.UTC(2030, 0, 2, 3, 4, 5, 678),
  expires: null,
  priority: 0,
  origin: 'test@host',
  ignoreResult: false,
}

describe('message: protocol 2 in a kombu envelope', () => {
  it('priority lists follow kombu _q_for_pri with steps 0, 3, 6, 9', () => {
    expect([0, 1, 2].map((p) => priorityList('q', p))).toEqual(['q', 'q', 'q'])
    expect([3, 5, 6, 8, 9].map((p) => priorityList('q', p))).toEqual([
      `q${SEP}3`,
      `q${SEP}3`,
      `q${SEP}6`,
      `q${SEP}6`,
      `q${SEP}9`,
    ])
  })

  it('encodes what Celery 5 sends: headers, base64 body [args, kwargs, embed], properties', () => {
    const { list, raw } = encodeTask({ ...task, priority: 7 })
    expect(list).toBe(`celery${SEP}6`)
    const envelope = JSON.parse(raw)
    expect(envelope['content-type']).toBe('application/json')
    expect(envelope['content-encoding']).toBe('utf-8')
    expect(envelope.headers).toMatchObject({
      lang: 'py',
      task: 'proj.add',
      id: 'id-1',
      root_id: 'id-1',
      parent_id: null,
      eta: '2030-01-02T03:04:05.678000+00:00',
      expires: null,
      retries: 0,
      timelimit: [null, null],
      origin: 'test@host',
    })
    expect(envelope.properties).toMatchObject({
      correlation_id: 'id-1',
      delivery_mode: 2,
      delivery_info: { exchange: '', routing_key: 'celery' },
      priority: 7,
      body_encoding: 'base64',
    })
    expect(JSON.parse(Buffer.from(envelope.body, 'base64').toString('utf8'))).toEqual([
      task.args,
      task.kwargs,
      { callbacks: null, errbacks: null, chain: null, chord: null },
    ])
  })

  it('decodes what it encodes (and marks a restored envelope redelivered)', () => {
    const { raw } = encodeTask(task)
    const decoded = decodeTask(raw)
    expect(decoded).toMatchObject({
      id: 'id-1',
      name: 'proj.add',
      args: task.args,
      kwargs: task.kwargs,
      eta: task.eta,
      expires: null,
      routingKey: 'celery',
      redelivered: false,
    })
    expect(decodeTask(redeliveredEnvelope(decoded.envelope)).redelivered).toBe(true)
  })

  it('refuses what is not a protocol-2 JSON message, with MESSAGE_INVALID and the delivery tag', () => {
    const envelope = JSON.parse(encodeTask(task).raw)
    const cases: [unknown, RegExp][] = [
      [{ ...envelope, 'content-type': 'application/x-yaml' }, /content-type/],
      [{ ...envelope, properties: { ...envelope.properties, body_encoding: 'rot13' } }, /body_encoding/],
      [{ ...envelope, body: '!!!' }, /not base64/],
      [{ ...envelope, body: Buffer.from('{"a":1}').toString('base64') }, /\[args, kwargs, embed\]/],
      [{ ...envelope, headers: { ...envelope.headers, eta: 'tomorrow' } }, /eta/],
      [{ ...envelope, headers: { ...envelope.headers, id: '' } }, /id header/],
      [
        {
          ...envelope,
          body: Buffer.from(JSON.stringify([[], {}, { chain: [{ task: 'x' }] }])).toString('base64'),
        },
        /canvas/,
      ],
    ]
    for (const [message, reason] of cases) {
      try {
        decodeTask(JSON.stringify(message))
        throw new Error('accepted')
      } catch (error) {
        expect((error as { code: string }).code).toBe('MESSAGE_INVALID')
        expect(String((error as Error).message)).toMatch(reason)
        expect((error as { details: { deliveryTag?: string } }).details.deliveryTag).toBe(
          envelope.properties.delivery_tag,
        )
      }
    }
  })

  it('times: Python isoformat both ways; naive means UTC', () => {
    const ms = Date.UTC(2030, 0, 2, 3, 4, 5, 678)
    expect(isoUtc(ms)).toBe('2030-01-02T03:04:05.678000+00:00')
    expect(isoNaiveUtc(ms)).toBe('2030-01-02T03:04:05.678000')
    expect(parseIsoTime('2030-01-02T03:04:05.678123+00:00')).toBe(ms)
    expect(parseIsoTime('2030-01-02T03:04:05.678')).toBe(ms)
    expect(parseIsoTime('2030-01-02T05:04:05.678+02:00')).toBe(ms)
    expect(parseIsoTime('not a time')).toBeNull()
  })
})

describe('meta: results and exceptions as Celery stores them', () => {
  it('maps JS errors to Python exceptions Celery can rebuild', () => {
    expect(exceptionOf(new Error('m'))).toEqual({
      exc_type: 'Exception',
      exc_message: ['m'],
      exc_module: 'builtins',
    })
    expect(exceptionOf(new TypeError('t'))).toMatchObject({ exc_type: 'TypeError', exc_module: 'builtins' })
    expect(exceptionOf(new RangeError('r'))).toMatchObject({ exc_type: 'ValueError', exc_module: 'builtins' })
    class NotFound extends Error {
      override name = 'NotFound'
    }
    expect(exceptionOf(new NotFound('n'))).toEqual({
      exc_type: 'NotFound',
      exc_message: ['n'],
      exc_module: null,
    })
    expect(exceptionOf('plain')).toEqual({
      exc_type: 'Exception',
      exc_message: ['plain'],
      exc_module: 'builtins',
    })
    expect(exceptionOf(new TaskError('k', { excType: 'KeyError' }))).toEqual({
      exc_type: 'KeyError',
      exc_message: ['k'],
      exc_module: 'builtins',
    })
  })

  it('encodes and decodes metas; a failure becomes TASK_FAILED with its details', () => {
    const ok = decodeMeta(successMeta('a', { x: [1] }), 'k')
    expect(ok).toMatchObject({
      status: 'SUCCESS',
      result: { x: [1] },
      traceback: null,
      children: [],
      task_id: 'a',
    })
    const failed = decodeMeta(failureMeta('b', new RangeError('too big')), 'k')
    const error = failureError('b', failed)
    expect(error.code).toBe('TASK_FAILED')
    expect(error.details).toMatchObject({
      excType: 'ValueError',
      excMessage: 'too big',
      excModule: 'builtins',
    })
    expect(() => decodeMeta('[1]', 'k')).toThrow(/not a JSON object/)
    expect(() => decodeMeta('{"result": 1}', 'k')).toThrow(/no status/)
  })
})
