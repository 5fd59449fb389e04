import { randomUUID } from 'node:crypto'
import { RedisExpertError } from '../errors.js'
import type { JsonValue } from './json.js'
import { priorityList } from './keys.js'

/**
 * Celery's task message, protocol 2, in kombu's Redis envelope: pure functions, no I/O.
 *
 * celery/app/amqp.py (AMQP.as_task_v2): the headers lang, task, id, shadow, eta, expires, group,
 * group_index, retries, timelimit, root_id, parent_id, argsrepr, kwargsrepr, origin,
 * ignore_result; the body `[args, kwargs, {callbacks, errbacks, chain, chord}]`.
 * kombu/messaging.py + kombu/transport/virtual/base.py (Channel.basic_publish,
 * _inplace_augment_message): the envelope `{body, content-encoding, content-type, headers,
 * properties}`, with the body base64-encoded (body_encoding) and the properties correlation_id,
 * reply_to, delivery_mode, delivery_info {exchange, routing_key}, priority, delivery_tag.
 */

export interface OutgoingTask {
  readonly id: string
  readonly name: string
  readonly args: readonly JsonValue[]
  readonly kwargs: Readonly<Record<string, JsonValue>>
  readonly queue: string
  /** ms since the epoch, or null. */
  readonly eta: number | null
  readonly expires: number | null
  readonly priority: number
  readonly origin: string
  readonly ignoreResult: boolean
}

export interface EncodedTask {
  /** The list kombu would LPUSH it to (the queue, or one of its priority lists). */
  readonly list: string
  /** The envelope, as kombu's Redis transport stores it. */
  readonly raw: string
}

/** The envelope a Python producer (`send_task`, `apply_async`) would LPUSH for this task. */
export function encodeTask(task: OutgoingTask): EncodedTask {
  const body = JSON.stringify([
    task.args,
    task.kwargs,
    { callbacks: null, errbacks: null, chain: null, chord: null },
  ])
  const eta = task.eta === null ? null : isoUtc(task.eta)
  const expires = task.expires === null ? null : isoUtc(task.expires)
  const properties: Record<string, unknown> = {
    correlation_id: task.id,
    reply_to: randomUUID(),
    delivery_mode: 2,
    // The default exchange, as Celery publishes to a queue of the default routing: kombu then
    // LPUSHes to the list named by the routing key (virtual Channel.basic_publish), and a restore
    // after the visibility timeout finds the queue the same way (_lookup of the anon exchange).
    delivery_info: { exchange: '', routing_key: task.queue },
    priority: task.priority,
    body_encoding: 'base64',
    delivery_tag: randomUUID(),
  }
  if (task.expires !== null)
    properties.expiration = String(Math.max(0, Math.round(task.expires - Date.now())))
  const envelope = {
    body: Buffer.from(body, 'utf8').toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: {
      lang: 'py',
      task: task.name,
      id: task.id,
      shadow: null,
      eta,
      expires,
      group: null,
      group_index: null,
      retries: 0,
      timelimit: [null, null],
      root_id: task.id,
      parent_id: null,
      argsrepr: repr(task.args),
      kwargsrepr: repr(task.kwargs),
      origin: task.origin,
      ignore_result: task.ignoreResult,
    },
    properties,
  }
  return { list: priorityList(task.queue, task.priority), raw: JSON.stringify(envelope) }
}

/** A task message as a worker needs it. */
export interface IncomingTask {
  readonly id: string
  readonly name: string
  readonly args: JsonValue[]
  readonly kwargs: Record<string, JsonValue>
  readonly eta: number | null
  readonly expires: number | null
  readonly retries: number
  readonly ignoreResult: boolean
  readonly deliveryTag: string
  readonly exchange: string
  readonly routingKey: string
  readonly priority: number | null
  readonly redelivered: boolean
  /** The envelope, parsed: what a restore puts back. */
  readonly envelope: Record<string, unknown>
}

/**
 * Decodes an envelope taken from a queue; MESSAGE_INVALID (with the reason and the delivery tag
 * when it has one) for anything a protocol-2 JSON task message would not be.
 */
export function decodeTask(raw: string): IncomingTask {
  let envelope: unknown
  try {
    envelope = JSON.parse(raw)
  } catch {
    throw invalidMessage('the envelope is not JSON', raw)
  }
  if (!isObject(envelope)) throw invalidMessage('the envelope is not a JSON object', raw)
  const properties = envelope.properties
  const headers = envelope.headers
  if (!isObject(properties)) throw invalidMessage('the envelope has no properties', raw)
  const tag = properties.delivery_tag
  if (typeof tag !== 'string' || tag === '') throw invalidMessage('the envelope has no delivery_tag', raw)
  const fail = (reason: string) => invalidMessage(reason, raw, tag)
  if (!isObject(headers) || typeof headers.task !== 'string')
    throw fail('no task header: only Celery message protocol 2 is supported')
  const contentType = envelope['content-type']
  if (contentType !== 'application/json')
    throw fail(
      `content-type ${JSON.stringify(contentType)} is not supported: only application/json (never pickle)`,
    )
  if (typeof headers.id !== 'string' || headers.id === '') throw fail('the id header is missing')
  if (typeof envelope.body !== 'string') throw fail('the body is not a string')
  const encoding = properties.body_encoding
  if (encoding !== undefined && encoding !== 'base64')
    throw fail(`body_encoding ${JSON.stringify(encoding)} is not supported`)
  const text = encoding === 'base64' ? decodeBase64(envelope.body, fail) : envelope.body
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw fail('the body is not JSON')
  }
  if (!Array.isArray(body) || body.length < 2 || !Array.isArray(body[0]) || !isObject(body[1]))
    throw fail('the body is not [args, kwargs, embed]')
  const info = isObject(properties.delivery_info) ? properties.delivery_info : {}
  const embed = isObject(body[2]) ? body[2] : {}
  for (const field of ['callbacks', 'errbacks', 'chain', 'chord'] as const) {
    const value = embed[field]
    if (value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0))
      throw fail(`canvas (${field}) is not supported by this worker`)
  }
  return {
    id: headers.id,
    name: headers.task,
    args: body[0] as JsonValue[],
    kwargs: body[1] as Record<string, JsonValue>,
    eta: parseTime(headers.eta, 'eta', fail),
    expires: parseTime(headers.expires, 'expires', fail),
    retries: typeof headers.retries === 'number' ? headers.retries : 0,
    ignoreResult: headers.ignore_result === true,
    deliveryTag: tag,
    exchange: typeof info.exchange === 'string' ? info.exchange : '',
    routingKey: typeof info.routing_key === 'string' ? info.routing_key : '',
    priority: typeof properties.priority === 'number' ? properties.priority : null,
    redelivered: info.redelivered === true || headers.redelivered === true,
    envelope,
  }
}

/** The delivery tag of an envelope, or null when it has none (it then cannot be in `unacked`). */
export function deliveryTagOf(raw: string): string | null {
  try {
    const envelope: unknown = JSON.parse(raw)
    const tag = isObject(envelope) && isObject(envelope.properties) ? envelope.properties.delivery_tag : null
    return typeof tag === 'string' && tag !== '' ? tag : null
  } catch {
    return null
  }
}

/**
 * The envelope kombu's _do_restore_message pushes back: the same message with
 * headers.redelivered and properties.delivery_info.redelivered set.
 */
export function redeliveredEnvelope(envelope: Record<string, unknown>): string {
  const copy = structuredClone(envelope)
  if (isObject(copy.headers)) copy.headers.redelivered = true
  if (isObject(copy.properties) && isObject(copy.properties.delivery_info))
    copy.properties.delivery_info.redelivered = true
  return JSON.stringify(copy)
}

/**
 * `2026-01-02T03:04:05.678000+00:00`: what Python's datetime.isoformat() prints for an aware UTC
 * time, which every Celery version parses (a trailing `Z` only from Python 3.11 on).
 */
export function isoUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000+00:00`
}

/** Python's naive `datetime.utcnow().isoformat()`, the form of date_done in result metas. */
export function isoNaiveUtc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000`
}

/** An ISO 8601 time as Celery writes it (aware, or naive meaning UTC) → ms, or null. */
export function parseIsoTime(value: string): number | null {
  const zoned = /(?:[zZ]|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`
  const ms = Date.parse(zoned)
  return Number.isFinite(ms) ? ms : null
}

function parseTime(value: unknown, what: string, fail: (reason: string) => RedisExpertError): number | null {
  if (value === undefined || value === null) return null
  if (typeof value !== 'string') throw fail(`the ${what} header is not an ISO 8601 string`)
  const ms = parseIsoTime(value)
  if (ms === null) throw fail(`the ${what} header ${JSON.stringify(value)} is not an ISO 8601 time`)
  return ms
}

function decodeBase64(body: string, fail: (reason: string) => RedisExpertError): string {
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(body)) throw fail('the body is not base64')
  return Buffer.from(body, 'base64').toString('utf8')
}

/** Python's argsrepr is a repr() cut to 1024 characters; JSON is the closest honest form. */
function repr(value: unknown): string {
  const text = JSON.stringify(value)
  return text.length > 1024 ? `${text.slice(0, 1021)}...` : text
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function invalidMessage(reason: string, raw: string, deliveryTag?: string): RedisExpertError {
  return new RedisExpertError('MESSAGE_INVALID', `Celery message refused: ${reason}`, {
    details: { reason, message: raw.slice(0, 500), ...(deliveryTag ? { deliveryTag } : {}) },
  })
}
