import type { Client } from '../client/client.js'
import { json } from '../codec/index.js'
import type { Reply } from '../common/types.js'
import { assertClient, durationMs, optionNames, positiveInt, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import { declareOn } from '../kit/keyspace.js'
import { parseReadGroup } from '../kit/stream-entries.js'
import type { QueueKeys } from './keyspace.js'
import { openQueue } from './queue.js'

/**
 * One event. `streamId` is the id of the stream entry that holds it: the events recorded by one
 * worker call (a batch of finished jobs) share one entry, hence one id, in order.
 */
export type QueueEvent =
  | {
      readonly streamId: string
      readonly event: 'completed'
      readonly jobId: string
      readonly result: unknown
    }
  | {
      readonly streamId: string
      readonly event: 'failed'
      readonly jobId: string
      readonly error: string
      readonly attempt: number
      /** True when that was the last attempt: the job is dead. */
      readonly final: boolean
    }
  | {
      readonly streamId: string
      /** Its lease expired (the worker crashed or stalled): back to waiting, or dead when `final`. */
      readonly event: 'stalled'
      readonly jobId: string
      readonly stalls: number
      readonly final: boolean
    }
  | {
      readonly streamId: string
      readonly event: 'progress'
      readonly jobId: string
      readonly progress: unknown
    }

export interface QueueEventsOptions {
  readonly namespace?: string
  /** Where to start: '$' (default) for events from now on, '0' for every retained one, or a stream id to resume after. */
  readonly from?: string
  /** XREAD BLOCK, default 2000 ms: also the longest `close()` waits. */
  readonly blockMs?: number
  /** Stream entries per read (one entry holds one worker call's events), default 100 (at most 1000). */
  readonly count?: number
  /** Called with errors reading the events stream (the reader retries). */
  readonly onError?: (error: unknown) => void
}

const EVENTS_OPTIONS = optionNames<QueueEventsOptions>({
  namespace: true,
  from: true,
  blockMs: true,
  count: true,
  onError: true,
})
const STREAM_ID = /^(\$|0|\d+-\d+|\d+)$/
const BLOCK_MARGIN_MS = 2000

/**
 * Reads a queue's events stream (written by the scripts that change a job's state, atomically
 * with the change) on a connection of its own with XREAD BLOCK. Every reader sees every event
 * (no consumer group). The stream is capped (MAXLEN ~, the worker's `eventsMaxLen` entries; an
 * entry holds the events of one worker call): a reader that is away or behind by more than that
 * misses the oldest; `lastId` lets one resume.
 */
export class QueueEvents {
  readonly name: string
  readonly keys: QueueKeys
  readonly #db: Client
  readonly #listener: (event: QueueEvent) => void | Promise<void>
  readonly #blockMs: number
  readonly #count: number
  readonly #onError: (error: unknown) => void
  readonly #keyspace: ReturnType<typeof openQueue>['keyspace']
  #lastId: string
  #state: 'new' | 'running' | 'closed' = 'new'
  #reader: Client | null = null
  #loop: Promise<void> = Promise.resolve()

  constructor(
    db: Client,
    name: string,
    listener: (event: QueueEvent) => void | Promise<void>,
    options?: QueueEventsOptions,
  ) {
    assertClient(db, 'new QueueEvents: db')
    if (typeof listener !== 'function') throw invalidArgument('new QueueEvents: listener must be a function')
    const o = strictOptions('QueueEvents options', options, EVENTS_OPTIONS) as QueueEventsOptions
    const opened = openQueue(db, name, o.namespace)
    this.name = opened.queue
    this.keys = opened.keys
    this.#keyspace = opened.keyspace
    this.#db = db
    this.#listener = listener
    const from = o.from ?? '$'
    if (typeof from !== 'string' || !STREAM_ID.test(from))
      throw invalidArgument("from must be '$', '0' or a stream id", { from })
    this.#lastId = from
    this.#blockMs = durationMs('blockMs', o.blockMs, 2000)
    this.#count = positiveInt('count', o.count, 100, 1000)
    if (o.onError !== undefined && typeof o.onError !== 'function')
      throw invalidArgument('onError must be a function')
    this.#onError = o.onError ?? (() => {})
  }

  /** The id of the last stream entry delivered in full ('$' or `from` before the first). */
  get lastId(): string {
    return this.#lastId
  }

  /** Opens the reading connection; resolves once reading has started. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw invalidArgument('start(): these events were already started')
    this.#state = 'running'
    this.#reader = await this.#db.sibling('queue-events')
    declareOn(this.#reader, this.#keyspace)
    if (this.#lastId === '$') {
      // Pin '$' to an id now, so that events between start() and the first read are not skipped.
      const last = (await this.#reader.call(['XREVRANGE', this.keys.events, '+', '-', 'COUNT', 1])) as Reply[]
      const first = Array.isArray(last) ? (last[0] as Reply[] | undefined) : undefined
      this.#lastId = first ? String(first[0]) : '0'
    }
    this.#loop = this.#read()
  }

  /** Stops reading (waits for the read in progress, at most blockMs) and closes the connection. */
  async close(): Promise<void> {
    const wasRunning = this.#state === 'running'
    this.#state = 'closed'
    if (!wasRunning) return
    await this.#loop
    await this.#reader?.close()
  }

  async #deliver(streamId: string, f: Record<string, string>): Promise<void> {
    try {
      await this.#listener(toEvent(streamId, f))
    } catch (error) {
      this.#onError(error)
    }
  }

  async #read(): Promise<void> {
    const reader = this.#reader!
    while (this.#state === 'running') {
      let reply: Reply
      try {
        reply = await reader.call(
          ['XREAD', 'COUNT', this.#count, 'BLOCK', this.#blockMs, 'STREAMS', this.keys.events, this.#lastId],
          { timeoutMs: this.#blockMs + BLOCK_MARGIN_MS },
        )
      } catch (error) {
        if (this.#state !== 'running') break
        this.#onError(error)
        await new Promise((resolve) => setTimeout(resolve, 200))
        continue
      }
      for (const entry of parseReadGroup(reply)) {
        // One entry holds the events of one script call: each starts with its 'event' field.
        const fields = entry.fields
        let f: Record<string, string> | null = null
        for (let i = 0; i + 1 < fields.length; i += 2) {
          const name = String(fields[i])
          if (name === 'event') {
            if (f) await this.#deliver(entry.id, f)
            f = {}
          }
          if (f) f[name] = String(fields[i + 1])
        }
        if (f) await this.#deliver(entry.id, f)
        this.#lastId = entry.id
      }
    }
  }
}

function decode(text: string | undefined): unknown {
  try {
    return json.decode(text ?? 'null')
  } catch {
    return text
  }
}

function toEvent(streamId: string, f: Record<string, string>): QueueEvent {
  const jobId = f.job ?? ''
  if (f.event === 'completed') return { streamId, event: 'completed', jobId, result: decode(f.result) }
  if (f.event === 'progress') return { streamId, event: 'progress', jobId, progress: decode(f.progress) }
  if (f.event === 'stalled')
    return { streamId, event: 'stalled', jobId, stalls: Number(f.stalls ?? 0), final: f.final === '1' }
  return {
    streamId,
    event: 'failed',
    jobId,
    error: f.error ?? '',
    attempt: Number(f.attempt ?? 0),
    final: f.final === '1',
  }
}
