import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { RedisExpertClient } from '../../client/client.js'
import type { Reply } from '../../client/types.js'
import { declareOn } from '../../common/keyspace.js'
import { durationMs, identifier, optionNames, positiveInt, strictOptions } from '../../common/validate.js'
import { invalidArgument, RedisExpertError } from '../../errors.js'
import { openSibling } from '../connection.js'
import { runScript } from '../run-script.js'
import { Slots } from '../slots.js'
import { AckBatcher } from './acks.js'
import { decodeEntry, parseEntries, parseReadGroup, type RawEntry, text } from './entry.js'
import { type StreamKeyspace, streamKeyspace } from './keyspace.js'
import { resolveCommon, type StreamCommonOptions } from './options.js'
import { DEAD_LETTER, PRUNE, RECLAIM } from './scripts.js'

/** What a handler learns about the entry besides its message. */
export interface StreamEntryInfo {
  readonly id: string
  readonly stream: string
  /** 1 on the first delivery; higher when retried or recovered from another consumer. */
  readonly deliveries: number
}

export type StreamHandler<T> = (message: T, entry: StreamEntryInfo) => Promise<void> | void

export interface StreamWorkerOptions<T> extends StreamCommonOptions<T> {
  /** The consumer group: each entry goes to one consumer of the group. */
  readonly group: string
  /** Unique per live consumer; default `<host>-<pid>-<random>`. */
  readonly consumer?: string
  /** Handlers in flight at once, default 1. */
  readonly concurrency?: number
  /** XREADGROUP BLOCK, default 2000 ms: also the longest `close()` waits for the read to return. */
  readonly blockMs?: number
  /**
   * An entry pending this long on a consumer that stopped renewing it (it died) is claimed by
   * another; default 30 s. Live consumers renew their in-flight entries every third of this.
   */
  readonly claimIdleMs?: number
  /** After a handler fails, the entry is retried after about this long; default 1 s (≤ claimIdleMs). */
  readonly retryDelayMs?: number
  /** A handler runs at most this many times per entry; then the entry is dead-lettered. Default 5. */
  readonly maxDeliveries?: number
  /** Dead-letter stream bound (MAXLEN ~), default 100 000. */
  readonly deadLetterMaxLen?: number
  /** Consumers idle this long with nothing pending are removed from the group; default 1 h. */
  readonly consumerIdleMs?: number
  /** Where a new group starts: `'0'` (default: the whole stream, nothing added before is skipped) or `'$'`. */
  readonly startId?: string
  /** The connection for blocking reads; default: a second connection opened by `start()`. */
  readonly reader?: RedisExpertClient
  /** Handler failures and background errors (they never stop the worker). */
  readonly onError?: (error: unknown, entry?: StreamEntryInfo) => void
}

export interface StreamWorkerStats {
  readonly processed: number
  readonly failed: number
  readonly deadLettered: number
  readonly reclaimed: number
  readonly inFlight: number
}

export interface StreamWorker {
  readonly key: string
  readonly deadKey: string
  readonly group: string
  readonly consumer: string
  readonly keyspace: StreamKeyspace
  /** Creates the group if needed (XGROUP CREATE .. MKSTREAM), opens the reader and starts consuming. */
  start(): Promise<void>
  /**
   * Graceful shutdown: stops reading, lets in-flight handlers finish (up to `timeoutMs`, default
   * unlimited; entries still running then stay pending and are recovered by other consumers).
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void>
  /** One recovery pass now (it also runs on a timer): claims stale entries, dead-letters exhausted ones. */
  reclaim(): Promise<number>
  /** Removes idle consumers with nothing pending (it also runs on a timer); resolves to their names. */
  pruneConsumers(): Promise<string[]>
  stats(): StreamWorkerStats
}

/** Extra time a blocking read's own timeout allows beyond BLOCK: the reply's trip back. */
const BLOCK_MARGIN_MS = 2000
const STREAM_WORKER_OPTIONS = optionNames<StreamWorkerOptions<unknown>>({
  namespace: true,
  codec: true,
  group: true,
  consumer: true,
  concurrency: true,
  blockMs: true,
  claimIdleMs: true,
  retryDelayMs: true,
  maxDeliveries: true,
  deadLetterMaxLen: true,
  consumerIdleMs: true,
  startId: true,
  reader: true,
  onError: true,
})
const ERROR_BACKOFF_MS = 200

export function createStreamWorker<T = unknown>(
  db: RedisExpertClient,
  stream: string,
  handler: StreamHandler<T>,
  options: StreamWorkerOptions<T>,
): StreamWorker {
  if (typeof handler !== 'function') throw invalidArgument('createStreamWorker: handler must be a function')
  const o = strictOptions(
    'createStreamWorker options',
    options,
    STREAM_WORKER_OPTIONS,
  ) as unknown as StreamWorkerOptions<T>
  const name = identifier('stream', stream)
  const group = identifier('group', o.group)
  const consumer = identifier(
    'consumer',
    o.consumer ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
  )
  const claimIdleMs = durationMs('claimIdleMs', o.claimIdleMs, 30_000)
  const retryDelayMs = Math.min(durationMs('retryDelayMs', o.retryDelayMs, 1000), claimIdleMs)
  const settings: Settings<T> = {
    ...resolveCommon(o),
    group,
    consumer,
    handler,
    concurrency: positiveInt('concurrency', o.concurrency, 1, 10_000),
    blockMs: durationMs('blockMs', o.blockMs, 2000),
    claimIdleMs,
    retryDelayMs,
    maxDeliveries: positiveInt('maxDeliveries', o.maxDeliveries, 5, 1_000_000),
    deadMaxLen: positiveInt('deadLetterMaxLen', o.deadLetterMaxLen, 100_000),
    consumerIdleMs: durationMs('consumerIdleMs', o.consumerIdleMs, 3_600_000),
    startId: startIdOf(o.startId),
    reader: o.reader,
    onError: o.onError ?? (() => {}),
  }
  const keyspace = streamKeyspace(settings.namespace, settings.codecName)
  declareOn(db, keyspace)
  return new Worker(db, keyspace, name, settings)
}

interface Settings<T> extends ReturnType<typeof resolveCommon<T>> {
  readonly group: string
  readonly consumer: string
  readonly handler: StreamHandler<T>
  readonly concurrency: number
  readonly blockMs: number
  readonly claimIdleMs: number
  readonly retryDelayMs: number
  readonly maxDeliveries: number
  readonly deadMaxLen: number
  readonly consumerIdleMs: number
  readonly startId: string
  readonly reader: RedisExpertClient | undefined
  readonly onError: (error: unknown, entry?: StreamEntryInfo) => void
}

function startIdOf(value: unknown): string {
  if (value === undefined) return '0'
  if (typeof value === 'string' && /^(\$|\d+(-\d+)?)$/.test(value)) return value
  throw invalidArgument("startId must be '0', '$' or a stream id", { startId: value })
}

class Worker<T> implements StreamWorker {
  readonly key: string
  readonly deadKey: string
  readonly group: string
  readonly consumer: string
  readonly keyspace: StreamKeyspace
  readonly #db: RedisExpertClient
  readonly #s: Settings<T>
  readonly #slots: Slots
  /** Ids being handled now: renewed so that no other consumer reclaims them while they run. */
  readonly #inFlight = new Set<string>()
  readonly #backlog: { entry: RawEntry; info: StreamEntryInfo }[] = []
  #reader: RedisExpertClient | null = null
  #ownReader = false
  #state: 'new' | 'running' | 'closing' | 'closed' = 'new'
  #loop: Promise<void> = Promise.resolve()
  #timers: NodeJS.Timeout[] = []
  /** A recovery pass due sooner than the periodic one, for entries waiting out retryDelayMs. */
  #retryPass: NodeJS.Timeout | null = null
  #cursor = '0-0'
  #reclaiming = false
  #stats = { processed: 0, failed: 0, deadLettered: 0, reclaimed: 0 }
  readonly #acks = new AckBatcher((ids) => this.#db.call(['XACK', this.key, this.group, ...ids]))

  constructor(db: RedisExpertClient, keyspace: StreamKeyspace, name: string, settings: Settings<T>) {
    this.#db = db
    this.#s = settings
    this.keyspace = keyspace
    this.key = keyspace.stream.key({ stream: name })
    this.deadKey = keyspace.dead.key({ stream: name })
    this.group = settings.group
    this.consumer = settings.consumer
    this.#slots = new Slots(settings.concurrency)
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw invalidArgument('start(): this worker was already started')
    this.#state = 'running'
    try {
      await this.#createGroup()
      if (this.#s.reader) this.#reader = this.#s.reader
      else {
        this.#reader = await openSibling(this.#db, 'stream-reader')
        this.#ownReader = true
      }
      declareOn(this.#reader, this.keyspace)
    } catch (error) {
      this.#state = 'closed'
      throw error
    }
    // Recovery and lease renewal share one timer; a dead consumer's entries wait claimIdleMs.
    const tick = Math.max(10, Math.floor(this.#s.claimIdleMs / 3))
    this.#every(tick, async () => {
      await this.#renew()
      await this.reclaim()
    })
    this.#every(Math.min(this.#s.consumerIdleMs, 60_000), () => this.pruneConsumers())
    this.#loop = this.#readLoop()
  }

  async close(options?: { readonly timeoutMs?: number }): Promise<void> {
    const o = strictOptions('close options', options, ['timeoutMs'])
    const timeoutMs = o.timeoutMs === undefined ? undefined : durationMs('timeoutMs', o.timeoutMs)
    if (this.#state === 'closed' || this.#state === 'closing') return
    const wasRunning = this.#state === 'running'
    this.#state = 'closing'
    this.#slots.wake()
    if (wasRunning) {
      await this.#loop
      // A finished handler starts the next backlog entry at once: drained means no backlog left either.
      const drained = (async () => {
        do await this.#slots.drained()
        while (this.#slots.used > 0)
      })()
      if (timeoutMs === undefined) await drained
      else await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, timeoutMs))])
    }
    // Renewal ran until now: entries still finishing during the shutdown stay this consumer's.
    for (const timer of this.#timers) clearInterval(timer)
    if (this.#retryPass) clearTimeout(this.#retryPass)
    if (this.#ownReader) await this.#reader?.close()
    this.#state = 'closed'
  }

  stats(): StreamWorkerStats {
    return { ...this.#stats, inFlight: this.#slots.used }
  }

  async reclaim(): Promise<number> {
    const free = this.#capacity
    if (this.#state !== 'running' || this.#reclaiming || free <= 0) return 0
    this.#reclaiming = true
    try {
      const reply = (await runScript(
        this.#db,
        RECLAIM,
        { stream: this.key, dead: this.deadKey },
        {
          group: this.group,
          consumer: this.consumer,
          minIdleMs: this.#s.claimIdleMs,
          cursor: this.#cursor,
          count: free,
          maxDeliveries: this.#s.maxDeliveries,
          deadMaxLen: this.#s.deadMaxLen,
        },
        this.#s.codec.binary,
      )) as Reply[]
      this.#cursor = text(reply[0])
      this.#stats.deadLettered += Number(reply[2] ?? 0)
      const claimed = Array.isArray(reply[1]) ? reply[1] : []
      for (const item of claimed) {
        if (!Array.isArray(item)) continue
        const [entry] = parseEntries([item])
        if (!entry) continue
        this.#stats.reclaimed++
        this.#dispatch(entry, Number(item[2]))
      }
      return claimed.length
    } finally {
      this.#reclaiming = false
    }
  }

  async pruneConsumers(): Promise<string[]> {
    if (this.#state === 'closing' || this.#state === 'closed') return []
    const reply = await PRUNE.run(
      this.#db,
      { stream: this.key },
      { group: this.group, idleMs: this.#s.consumerIdleMs, consumer: this.consumer },
    )
    return Array.isArray(reply) ? reply.map((name) => text(name)) : []
  }

  async #createGroup(): Promise<void> {
    try {
      await this.#db.call(['XGROUP', 'CREATE', this.key, this.group, this.#s.startId, 'MKSTREAM'])
    } catch (error) {
      // BUSYGROUP: the group exists already, which is the common case for every worker but the first.
      if (!(error instanceof RedisExpertError) || error.details.redisCode !== 'BUSYGROUP') throw error
    }
  }

  async #readLoop(): Promise<void> {
    const s = this.#s
    const reader = this.#reader!
    while (this.#state === 'running') {
      await this.#slots.waitFree()
      if (this.#state !== 'running') break
      const count = this.#capacity
      // Only while a just-released slot has not been refilled from the backlog yet.
      if (count <= 0) {
        await sleep(1)
        continue
      }
      let reply: Reply
      try {
        const read = ['XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', count, 'BLOCK', s.blockMs]
        reply = await reader.call([...read, 'STREAMS', this.key, '>'], {
          timeoutMs: s.blockMs + BLOCK_MARGIN_MS,
          buffers: s.codec.binary,
        })
      } catch (error) {
        s.onError(error)
        // NOGROUP: the stream or group was deleted under us; make it again and go on.
        if (error instanceof RedisExpertError && error.details.redisCode === 'NOGROUP')
          await this.#createGroup().catch(() => {})
        await sleep(ERROR_BACKOFF_MS)
        continue
      }
      // Entries a read returns are in this consumer's pending list: handle them even when
      // closing, so that a shutdown never leaves them waiting for recovery.
      for (const entry of parseReadGroup(reply)) this.#dispatch(entry, 1)
    }
  }

  /**
   * Every entry — read or reclaimed — goes through the backlog, and starts only when a slot is
   * free: reads and recovery run concurrently, and neither may push the handlers in flight past
   * `concurrency`. Entries count as held from here on (renewed), since they are in this
   * consumer's pending list already.
   */
  #dispatch(entry: RawEntry, deliveries: number): void {
    this.#inFlight.add(entry.id)
    this.#backlog.push({ entry, info: { id: entry.id, stream: this.key, deliveries } })
    this.#pump()
  }

  /** Free slots not already promised to backlog entries: what a read or a recovery pass may take. */
  get #capacity(): number {
    return this.#slots.free - this.#backlog.length
  }

  #pump(): void {
    while (this.#backlog.length > 0 && this.#slots.free > 0) {
      const { entry, info } = this.#backlog.shift()!
      this.#slots.take()
      this.#handle(entry, info)
        .catch((error: unknown) => this.#s.onError(error, info))
        .finally(() => {
          this.#inFlight.delete(entry.id)
          this.#slots.release()
          this.#pump()
        })
    }
  }

  async #handle(entry: RawEntry, info: StreamEntryInfo): Promise<void> {
    const s = this.#s
    try {
      const message = decodeEntry(s.codec, this.key, entry)
      await s.handler(message, info)
    } catch (error) {
      this.#stats.failed++
      s.onError(error, info)
      // A message that cannot be decoded will never decode: no point retrying it.
      const undecodable = error instanceof RedisExpertError && error.code === 'DECODE_FAILED'
      if (undecodable || info.deliveries >= s.maxDeliveries) await this.#deadLetter(info, error)
      else await this.#retryLater(info.id)
      return
    }
    await this.#acks.ack(info.id)
    this.#stats.processed++
  }

  async #deadLetter(info: StreamEntryInfo, error: unknown): Promise<void> {
    const moved = await runScript(
      this.#db,
      DEAD_LETTER,
      { stream: this.key, dead: this.deadKey },
      {
        group: this.group,
        consumer: this.consumer,
        id: info.id,
        error: error instanceof Error ? error.message : String(error),
        deadMaxLen: this.#s.deadMaxLen,
      },
      false,
    )
    if (moved !== null) this.#stats.deadLettered++
  }

  /**
   * Leaves the entry pending but makes it look idle for claimIdleMs − retryDelayMs, so the next
   * recovery pass after retryDelayMs claims it (from whichever consumer runs it first). JUSTID:
   * the claim itself must not count as a delivery.
   */
  async #retryLater(id: string): Promise<void> {
    const idle = this.#s.claimIdleMs - this.#s.retryDelayMs
    await this.#db.call(['XCLAIM', this.key, this.group, this.consumer, 0, id, 'IDLE', idle, 'JUSTID'])
    // Periodic passes run every claimIdleMs/3; without a pass of its own, a retry would wait
    // for the next one instead of ~retryDelayMs.
    this.#scheduleRetryPass()
  }

  #scheduleRetryPass(): void {
    if (this.#retryPass !== null || this.#state !== 'running') return
    this.#retryPass = setTimeout(() => {
      this.#retryPass = null
      if (this.#reclaiming) return this.#scheduleRetryPass()
      this.reclaim().catch((error: unknown) => this.#s.onError(error))
    }, this.#s.retryDelayMs + RETRY_PASS_MARGIN_MS)
    this.#retryPass.unref()
  }

  /** Resets the idle time of entries still being handled: a live consumer keeps what it holds. */
  async #renew(): Promise<void> {
    if (this.#inFlight.size === 0) return
    const ids = [...this.#inFlight]
    await this.#db.call(['XCLAIM', this.key, this.group, this.consumer, 0, ...ids, 'JUSTID'])
  }

  #every(ms: number, fn: () => Promise<unknown>): void {
    let busy = false
    const timer = setInterval(() => {
      // Reclaim and prune refuse to run once closing; renewal goes on until the last handler ends.
      if (busy || this.#state === 'closed') return
      busy = true
      fn()
        .catch((error: unknown) => this.#s.onError(error))
        .finally(() => {
          busy = false
        })
    }, ms)
    timer.unref()
    this.#timers.push(timer)
  }
}

/** After retryDelayMs the entry's idle time has reached claimIdleMs; a little later it surely has. */
const RETRY_PASS_MARGIN_MS = 5

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
