import type { Client } from '../../client/client.js'
import type { Reply } from '../../common/types.js'
import { identifier } from '../../common/validate.js'
import { RedisExpertError } from '../../errors.js'
import { declareOn } from '../../kit/keyspace.js'
import { LazySignal } from '../../kit/lazy-signal.js'
import { LeaseClock } from '../../kit/lease-clock.js'
import { serverTimeMs } from '../../kit/server-time.js'
import { parseReadGroup, type RawEntry } from '../../kit/stream-entries.js'
import { WorkerCore, type WorkerCoreOptions } from '../../kit/worker-core.js'
import { AckBatcher } from './acks.js'
import { decodeEntry } from './decode.js'
import { claimedElsewhere, HeldEntry, leaseRanOut } from './entry.js'
import { type StreamKeyspace, streamKeyspace } from './keyspace.js'
import {
  createGroup,
  deadLetter,
  failLater,
  forgetFailures,
  pruneConsumers,
  type RecoveryTarget,
  reclaimPass,
  renewIds,
} from './recovery.js'
import {
  resolveStreamWorker,
  type StreamEntryInfo,
  type StreamHandler,
  type StreamSettings,
  type StreamWorker,
  type StreamWorkerOptions,
  type StreamWorkerStats,
} from './worker-options.js'

export type {
  StreamEntryInfo,
  StreamHandler,
  StreamWorker,
  StreamWorkerOptions,
  StreamWorkerStats,
} from './worker-options.js'

/** Extra time a blocking read's own timeout allows beyond BLOCK: the reply's trip back. */
const BLOCK_MARGIN_MS = 2000
const ERROR_BACKOFF_MS = 200
/** After retryDelayMs the entry's idle time has reached claimIdleMs; a little later it surely has. */
const RETRY_PASS_MARGIN_MS = 5

/**
 * A consumer of a stream's group: reads with XREADGROUP BLOCK on a connection of its own,
 * handles entries with bounded concurrency, acknowledges after success, retries failures,
 * recovers what dead consumers left pending, and dead-letters entries that failed maxDeliveries
 * times or stalled more than maxStalls times. Starts on construction unless `autorun: false`.
 */
export function createStreamWorker<T = unknown>(
  db: Client,
  stream: string,
  handler: StreamHandler<T>,
  options: StreamWorkerOptions<T>,
): StreamWorker {
  const { settings, core } = resolveStreamWorker(handler, options)
  const name = identifier('stream', stream)
  const keyspace = streamKeyspace(settings.namespace, settings.codecName)
  declareOn(db, keyspace)
  return new Worker(db, keyspace, name, settings, core)
}

class Worker<T> extends WorkerCore<StreamEntryInfo> implements StreamWorker {
  readonly key: string
  readonly deadKey: string
  readonly group: string
  readonly consumer: string
  readonly keyspace: StreamKeyspace
  readonly #db: Client
  readonly #s: StreamSettings<T>
  readonly #t: RecoveryTarget
  /** Ids being handled now (or waiting for a slot), with their handlers' signals. */
  readonly #inFlight = new Map<string, LazySignal>()
  /**
   * When each one's idle time may reach claimIdleMs, by this process's clock: renewed so that no
   * other consumer reclaims them while they run, and their handlers told when renewals stop
   * getting through (kit/lease-clock.ts).
   */
  readonly #leases: LeaseClock<string>
  readonly #backlog: { entry: RawEntry; info: StreamEntryInfo }[] = []
  #reader: Client | null = null
  #ownReader = false
  #loop: Promise<void> = Promise.resolve()
  /** A recovery pass due sooner than the periodic one, for entries waiting out retryDelayMs. */
  #retryPass: NodeJS.Timeout | null = null
  #cursor = '0-0'
  #reclaiming = false
  #stats = { processed: 0, failed: 0, deadLettered: 0, reclaimed: 0 }
  readonly #acks = new AckBatcher((ids) => this.#db.call(['XACK', this.key, this.group, ...ids]))

  constructor(
    db: Client,
    keyspace: StreamKeyspace,
    name: string,
    settings: StreamSettings<T>,
    core: WorkerCoreOptions<StreamEntryInfo>,
  ) {
    super(core)
    this.#db = db
    this.#s = settings
    this.keyspace = keyspace
    this.key = keyspace.stream.key({ stream: name })
    this.deadKey = keyspace.dead.key({ stream: name })
    this.group = settings.group
    this.consumer = settings.consumer
    this.#t = {
      db,
      key: this.key,
      deadKey: this.deadKey,
      failuresKey: keyspace.failures.key({ stream: name }),
      group: settings.group,
      consumer: settings.consumer,
      binary: settings.codec.binary,
      deadMaxLen: settings.deadMaxLen,
    }
    this.#leases = new LeaseClock<string>(settings.claimIdleMs, (id) =>
      this.#inFlight.get(id)?.abort(leaseRanOut(this.key, id, settings.claimIdleMs)),
    )
    this.autostart()
  }

  protected override async open(): Promise<void> {
    await createGroup(this.#t, this.#s.startId)
    if (this.#s.reader) this.#reader = this.#s.reader
    else {
      this.#reader = await this.#db.sibling('stream-reader')
      this.#ownReader = true
    }
    declareOn(this.#reader, this.keyspace)
  }

  protected begin(): void {
    this.every(Math.min(this.#s.consumerIdleMs, 60_000), () => this.pruneConsumers())
    this.#loop = this.#readLoop()
  }

  /** Recovery and renewal share one timer, every claimIdleMs / 3: a dead consumer's entries wait claimIdleMs. */
  protected override renewEveryMs(): number {
    return Math.max(10, Math.floor(this.#s.claimIdleMs / 3))
  }

  protected override async renew(): Promise<void> {
    // An entry another consumer claimed while this one could not renew it is that one's now: it
    // is not renewed again, and its handler is told. A success here still acknowledges the entry
    // (the work was done), a failure leaves its fate to the new owner.
    const ids = this.#leases.live()
    const sentAt = performance.now()
    const gone = new Set(await renewIds(this.#t, ids))
    this.#leases.renewed(
      ids.filter((id) => !gone.has(id)),
      sentAt,
    )
    for (const id of gone)
      if (this.#leases.end(id)) this.#inFlight.get(id)?.abort(claimedElsewhere(this.key, id))
    await this.reclaim()
  }

  /** Waits for the read in flight (at most blockMs): entries it returns are handled too. */
  protected async stopTaking(): Promise<void> {
    await this.#loop
  }

  protected override async shutdown(): Promise<void> {
    this.stopTimers()
    this.#leases.clear()
    if (this.#retryPass) clearTimeout(this.#retryPass)
    if (this.#ownReader) await this.#reader?.close()
  }

  stats(): StreamWorkerStats {
    return { ...this.#stats, inFlight: this.slots.used }
  }

  async reclaim(): Promise<number> {
    const free = this.#capacity
    if (!this.running || this.#reclaiming || free <= 0) return 0
    this.#reclaiming = true
    try {
      const s = this.#s
      const sentAt = performance.now()
      const pass = await reclaimPass(this.#t, {
        cursor: this.#cursor,
        count: free,
        minIdleMs: s.claimIdleMs,
        maxDeliveries: s.maxDeliveries,
        maxStalls: s.maxStalls,
      })
      this.#cursor = pass.cursor
      this.#stats.deadLettered += pass.dead
      for (const c of pass.claimed) {
        this.#stats.reclaimed++
        this.#dispatch(c.entry, c.deliveries, c.failures + 1, c.stalls, sentAt)
      }
      return pass.claimed.length
    } finally {
      this.#reclaiming = false
    }
  }

  async pruneConsumers(): Promise<string[]> {
    if (this.state === 'closing' || this.state === 'closed') return []
    return pruneConsumers(this.#t, this.#s.consumerIdleMs)
  }

  async #readLoop(): Promise<void> {
    const s = this.#s
    const reader = this.#reader!
    // The first read blocks for 1 ms only: its TIME, read at once, sets the clock mapping that the
    // longer reads after it rely on (LeaseClock.startOf). Every read blocks, so that it and its
    // TIME go on one dedicated connection, to the stream's node on a Cluster too.
    let blockMs = 1
    while (this.running) {
      await this.slots.waitFree()
      if (!this.running) break
      const count = this.#capacity
      // Only while a just-released slot has not been refilled from the backlog yet.
      if (count <= 0) {
        await sleep(1)
        continue
      }
      let replies: Reply[]
      const sentAt = performance.now()
      try {
        const read = ['XREADGROUP', 'GROUP', this.group, this.consumer, 'COUNT', count, 'BLOCK', blockMs]
        // TIME right behind the read, in the same turn of the server: when the entries were
        // delivered, so that their handlers know how long they may count on them.
        replies = await reader.batch([[...read, 'STREAMS', this.key, '>'], ['TIME']], {
          timeoutMs: s.blockMs + BLOCK_MARGIN_MS,
          buffers: s.codec.binary,
        })
      } catch (error) {
        this.reportError(error)
        // NOGROUP: the stream or group was deleted under us; make it again and go on.
        if (error instanceof RedisExpertError && error.details.redisCode === 'NOGROUP')
          await createGroup(this.#t, s.startId).catch(() => {})
        await sleep(ERROR_BACKOFF_MS)
        continue
      }
      // Entries a read returns are in this consumer's pending list: handle them even when
      // closing, so that a shutdown never leaves them waiting for recovery.
      const startedAt = this.#leases.startOf({
        serverNow: serverTimeMs(replies[1]),
        sentAt,
        receivedAt: performance.now(),
        waitMs: blockMs,
        woken: replies[0] !== null,
      })
      blockMs = s.blockMs
      for (const entry of parseReadGroup(replies[0] as Reply)) this.#dispatch(entry, 1, 1, 0, startedAt)
    }
  }

  /**
   * Every entry — read or reclaimed — goes through the backlog, and starts only when a slot is
   * free: reads and recovery run concurrently, and neither may push the handlers in flight past
   * `concurrency`. Entries count as held from here on (renewed), since they are in this
   * consumer's pending list already.
   */
  #dispatch(entry: RawEntry, deliveries: number, attempt: number, stalls: number, startedAt: number): void {
    const signal = new LazySignal(this.closingSignal)
    this.#inFlight.set(entry.id, signal)
    this.#leases.began([entry.id], startedAt)
    const info = new HeldEntry(entry.id, this.key, deliveries, attempt, stalls, signal)
    this.#backlog.push({ entry, info })
    this.#pump()
  }

  /** Free slots not already promised to backlog entries: what a read or a recovery pass may take. */
  get #capacity(): number {
    return this.slots.free - this.#backlog.length
  }

  #pump(): void {
    while (this.#backlog.length > 0 && this.slots.free > 0) {
      const { entry, info } = this.#backlog.shift()!
      if (!this.#leases.counts(entry.id)) {
        // Its lease ran out (or it was claimed) while it waited for a slot: left to recovery.
        this.#leases.end(entry.id)
        this.#inFlight.delete(entry.id)
        continue
      }
      this.slots.take()
      this.#handle(entry, info)
        .catch((error: unknown) => this.reportError(error, info))
        .finally(() => {
          this.#leases.end(entry.id)
          this.#inFlight.delete(entry.id)
          this.slots.release()
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
      this.reportError(error, info)
      // A lease that ran out by this consumer's clock, or an entry another consumer claimed: the
      // failure is the lease's, not the entry's. Nothing is counted; recovery decides (a stall).
      if (!this.#leases.end(info.id)) return
      // A message that cannot be decoded will never decode: no point retrying it.
      const undecodable = error instanceof RedisExpertError && error.code === 'DECODE_FAILED'
      if (undecodable || info.attempt >= s.maxDeliveries) {
        if (await deadLetter(this.#t, info.id, error)) this.#stats.deadLettered++
      } else {
        await failLater(this.#t, info.id, s.claimIdleMs - s.retryDelayMs)
        // Periodic passes run every claimIdleMs/3; without a pass of its own, a retry would wait
        // for the next one instead of ~retryDelayMs.
        this.#scheduleRetryPass()
      }
      return
    }
    await this.#acks.ack(info.id)
    if (info.attempt > 1) await forgetFailures(this.#t, info.id)
    this.#stats.processed++
  }

  #scheduleRetryPass(): void {
    if (this.#retryPass !== null || !this.running) return
    this.#retryPass = setTimeout(() => {
      this.#retryPass = null
      if (this.#reclaiming) return this.#scheduleRetryPass()
      this.reclaim().catch((error: unknown) => this.reportError(error))
    }, this.#s.retryDelayMs + RETRY_PASS_MARGIN_MS)
    this.#retryPass.unref()
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
