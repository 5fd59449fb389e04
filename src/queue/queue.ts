import { randomBytes } from 'node:crypto'
import type { Client } from '../client/client.js'
import { json } from '../codec/index.js'
import type { Command, RedisArg, Reply } from '../common/types.js'
import { assertClient, identifier, namespaceName, optionNames, strictOptions } from '../common/validate.js'
import { invalidArgument, RedisExpertError } from '../errors.js'
import { declareOn } from '../kit/keyspace.js'
import { type QueueKeys, type QueueKeyspace, queueKeys, queueKeyspace } from './keyspace.js'
import {
  type JobOptions,
  jobDefaults,
  packOptions,
  type ResolvedJobOptions,
  resolveJobOptions,
  unpackOptions,
} from './options.js'
import {
  defaultKey,
  listSchedules,
  nextSlot,
  type RepeatInfo,
  type RepeatSchedule,
  resolveSchedule,
  type Spec,
  scheduleOccurrence,
  serverNow,
  unschedule,
} from './repeat.js'
import { ADD } from './scripts.js'
import { RECEIPT_MS } from './take-ledger.js'

/** Jobs per add script in `addBulk` (all of them still go in one pipelined round trip). */
const ADD_BATCH = 1000

/** A queue's options: its namespace and the options every `add` starts from. */
export interface QueueOptions {
  /** Keyspace namespace, default `queue`: keys are `queue:{<name>}:...`. */
  readonly namespace?: string
  /** Options every `add` starts from. */
  readonly defaultJobOptions?: JobOptions
}

const QUEUE_OPTIONS = optionNames<QueueOptions>({ namespace: true, defaultJobOptions: true })

/** What `add` resolves to: the job's id and whether it was added. */
export interface AddedJob {
  readonly id: string
  /** False when a job with this `jobId` already existed: nothing was added. */
  readonly added: boolean
}

/** Where a job is: waiting, delayed, running, completed, or dead after its last attempt. */
export type JobState = 'wait' | 'delayed' | 'active' | 'completed' | 'dead'

/** A job as `getJob` reads it: state, data, attempts, stalls, history, result, error and progress. */
export interface JobInfo<T> {
  readonly id: string
  readonly name: string
  readonly data: T
  readonly state: JobState
  readonly attemptsMade: number
  readonly attempts: number
  readonly result: unknown
  readonly error: string | null
  /** The last value the handler passed to `job.updateProgress`, or null. */
  readonly progress: unknown
  /** Times its lease expired while it ran (its worker crashed or stalled); not attempts. */
  readonly stalls: number
  readonly maxStalls: number
  /** Server time (ms) of the add, and of the end (completed or dead), or null. */
  readonly createdAt: number
  readonly finishedAt: number | null
  /** Failed attempts and stalls, oldest first (the newest ~4 KB of them). */
  readonly history: readonly JobHistoryEntry[]
}

/** One failure or stall in a job's history. */
export interface JobHistoryEntry {
  /** Server time, ms. */
  readonly at: number
  readonly event: 'failed' | 'stalled'
  /** The attempt that failed, or that was running when the job stalled. */
  readonly attempt: number
  /** The failure's message. */
  readonly error?: string
}

/** The number of jobs in each state. */
export interface QueueCounts {
  readonly wait: number
  readonly delayed: number
  readonly active: number
  readonly dead: number
  readonly completed: number
}

/** Names the queue and its keys; shared by Queue and Worker. */
export function openQueue(db: Client, name: string, namespace: unknown) {
  const queue = identifier('queue', name)
  const keyspace = queueKeyspace(namespaceName('namespace', namespace, 'queue'))
  declareOn(db, keyspace)
  return { queue, keyspace, keys: queueKeys(keyspace, queue) }
}

/**
 * Adds jobs to a reliable queue (delays, priorities, retries, idempotent ids, repeatable jobs) and reads
 * their state; the Worker runs them.
 */
export class Queue<T = unknown> {
  readonly name: string
  readonly keyspace: QueueKeyspace
  readonly keys: QueueKeys
  readonly #db: Client
  readonly #defaults: JobOptions
  /** `defaultJobOptions` resolved once: the options of every add that passes none. */
  readonly #resolved: ResolvedJobOptions
  readonly #packed: string
  /** The add script's line up to its jobs, for one job of the producer's own id: built once. */
  readonly #loneHead: Command
  /** Generated ids: a random prefix per Queue object and a counter (one CSPRNG call, not one per job). */
  readonly #idPrefix = randomBytes(12).toString('base64url')
  #idSeq = 0

  constructor(db: Client, name: string, options?: QueueOptions) {
    assertClient(db, 'new Queue: db')
    const o = strictOptions('Queue options', options, QUEUE_OPTIONS) as QueueOptions
    const opened = openQueue(db, name, o.namespace)
    this.name = opened.queue
    this.keyspace = opened.keyspace
    this.keys = opened.keys
    this.#db = db
    this.#defaults = jobDefaults(o.defaultJobOptions)
    this.#resolved = resolveJobOptions({}, this.#defaults)
    this.#packed = packOptions(this.#resolved)
    this.#loneHead = this.#addLine([], 1, false)
  }

  /** One round trip: the add script with a batch of one (docs/messaging.md lists its commands). */
  async add(name: string, data: T, options?: JobOptions): Promise<AddedJob> {
    const groups: RedisArg[] = []
    const { id, given } = this.#addGroup(groups, name, data, options)
    // groups holds what #addGroup validated: the head needs no second look at it.
    const line = given ? this.#addLine(groups, 1, true) : this.#loneHead.concat(groups)
    const reply = (await ADD.runCommand(this.#db, line)) as Reply[]
    return { id, added: reply[0] === 1 }
  }

  /**
   * Every job in one pipelined round trip: one add script per 1000 jobs (HSET per job, EXISTS
   * per job with a caller's jobId, one INCRBY and one ZADD per script).
   */
  async addBulk(jobs: readonly { name: string; data: T; options?: JobOptions }[]): Promise<AddedJob[]> {
    if (!Array.isArray(jobs)) throw invalidArgument('addBulk takes an array of { name, data, options }')
    if (jobs.length === 0) return []
    const ids: string[] = []
    const commands: Command[] = []
    for (let start = 0; start < jobs.length; start += ADD_BATCH) {
      const end = Math.min(jobs.length, start + ADD_BATCH)
      const groups: RedisArg[] = []
      let given = false
      for (let i = start; i < end; i++) {
        const job = jobs[i]
        const added = this.#addGroup(groups, job?.name, job?.data as T, job?.options)
        ids.push(added.id)
        given ||= added.given
      }
      commands.push(this.#addLine(groups, end - start, given))
    }
    // On a cold server (NOSCRIPT: then no command of the batch ran) the batch goes again by EVAL.
    const replies = await ADD.batch(this.#db, commands)
    const added: AddedJob[] = new Array(ids.length)
    let i = 0
    for (const reply of replies)
      for (const flag of reply as Reply[]) {
        added[i] = { id: ids[i]!, added: flag === 1 }
        i++
      }
    return added
  }

  /** A job's state and details, or null when unknown (or expired after completion). */
  async getJob(id: string): Promise<JobInfo<T> | null> {
    const key = this.keys.job(identifier('id', id))
    const fields = (await this.#db.call(['HGETALL', key])) as string[]
    if (fields.length === 0) return null
    const h: Record<string, string> = {}
    for (let i = 0; i + 1 < fields.length; i += 2) h[fields[i]!] = fields[i + 1]!
    return {
      id,
      name: h.name ?? '',
      data: json.decode(h.data ?? 'null') as T,
      state: h.state as JobState,
      attemptsMade: Number(h.attemptsMade ?? 0),
      attempts: unpackOptions(h.opts).attempts,
      result: h.result === undefined ? undefined : json.decode(h.result),
      error: h.error ?? null,
      progress: h.progress === undefined ? null : json.decode(h.progress),
      stalls: Number(h.stalls ?? 0),
      maxStalls: unpackOptions(h.opts).maxStalls,
      createdAt: Number(h.createdAt ?? 0),
      finishedAt: h.finishedAt === undefined ? null : Number(h.finishedAt),
      history: h.history ? (json.decode(h.history) as JobHistoryEntry[]) : [],
    }
  }

  /** One round trip: four ZCARDs and a GET. */
  async counts(): Promise<QueueCounts> {
    const k = this.keys
    const [wait, delayed, active, dead, completed] = await this.#db.batch([
      ['ZCARD', k.wait],
      ['ZCARD', k.delayed],
      ['ZCARD', k.active],
      ['ZCARD', k.dead],
      ['GET', k.completed],
    ])
    return {
      wait: Number(wait),
      delayed: Number(delayed),
      active: Number(active),
      dead: Number(dead),
      completed: Number(completed ?? 0),
    }
  }

  /**
   * A repeatable job: one job per scheduled time (slot) — `{ every: '5m' }` or `{ cron, tz }`
   * — however many producers call this and workers run it. The first occurrence is scheduled
   * now (a delayed job due at the next slot, from the server's clock); each occurrence, when a
   * worker takes it, schedules the next. Calling it again with the same schedule changes
   * nothing; with another schedule under the same key, replaces it. The schedule and its pending
   * occurrence are keys of the queue: they survive worker and server restarts (with AOF).
   * Options: the job options but jobId and delayMs. Round trips: 2 (TIME, then one script).
   */
  async repeat(
    name: string,
    data: T,
    schedule: RepeatSchedule,
    options?: Omit<JobOptions, 'jobId' | 'delayMs'>,
  ): Promise<{ key: string; next: number; added: boolean }> {
    if (typeof name !== 'string' || name === '')
      throw invalidArgument('a job needs a name (a non-empty string)')
    const s = resolveSchedule(schedule)
    const o = resolveJobOptions(options, this.#defaults)
    if (o.jobId !== undefined || (options as JobOptions | undefined)?.delayMs !== undefined)
      throw invalidArgument(
        'a repeatable job takes no jobId or delayMs: its schedule names and times each run',
      )
    const key = s.key ?? defaultKey(name, s)
    const { jobId: _, delayMs: __, ...jobOptions } = o
    const spec: Spec = {
      name,
      ...(s.every !== undefined
        ? { every: s.every }
        : { cron: s.cron as string, ...(s.tz ? { tz: s.tz } : {}) }),
      data: this.#encode(data),
      options: jobOptions,
    }
    const next = nextSlot(spec, await serverNow(this.#db), key)
    const added = await scheduleOccurrence(this.#db, this.keys, key, JSON.stringify(spec), next, {
      mode: 'set',
      spec,
    })
    return { key, next, added: added === 1 }
  }

  /** The queue's repeatable jobs, by key (HSCAN of its schedules). */
  repeatables(): Promise<RepeatInfo[]> {
    return listSchedules(this.#db, this.keys)
  }

  /** Removes a schedule and its pending occurrence (a running one finishes). One script. */
  removeRepeat(key: string): Promise<boolean> {
    if (typeof key !== 'string' || key === '') throw invalidArgument('removeRepeat takes a schedule key')
    return unschedule(this.#db, this.keys, key)
  }

  /**
   * Workers take no job while the queue is paused (running ones finish). One round trip: the
   * flag (it survives restarts), and the idle workers' registrations dropped, so that no add
   * hands them a job.
   */
  async pause(): Promise<void> {
    await this.#db.batch(
      [
        ['SET', this.keys.paused, '1'],
        ['UNLINK', this.keys.idle],
      ],
      { atomic: true },
    )
  }

  /** One round trip: DEL of the flag, and a wake-up signal for idle workers. */
  async resume(): Promise<void> {
    await this.#db.batch(
      [
        ['DEL', this.keys.paused],
        ['LPUSH', this.keys.signal, '1'],
        ['LTRIM', this.keys.signal, 0, 0],
      ],
      { atomic: true },
    )
  }

  /** Whether workers are paused on this queue. */
  async isPaused(): Promise<boolean> {
    return Number(await this.#db.call(['EXISTS', this.keys.paused])) === 1
  }

  /** `given`: some job carries a caller's jobId, which may exist already (the others' ids are new). */
  #addLine(groups: RedisArg[], count: number, given: boolean): Command {
    const k = this.keys
    return ADD.command(
      { wait: k.wait, delayed: k.delayed, seq: k.seq, signal: k.signal, active: k.active, idle: k.idle },
      // Text rather than numbers: the wire then needs no conversion pass (client/wire.ts).
      {
        jobPrefix: k.jobPrefix,
        count: String(count),
        givenIds: given ? '1' : '0',
        receiptMs: String(RECEIPT_MS),
      },
      groups,
    )
  }

  /**
   * Validates one job, appends its ADD_GROUP arguments to `groups`; returns its id, and whether
   * the caller gave it (an id of ours — a random prefix per Queue and a counter — is new).
   */
  #addGroup(
    groups: RedisArg[],
    name: unknown,
    data: T,
    options: JobOptions | undefined,
  ): { id: string; given: boolean } {
    if (typeof name !== 'string' || name === '')
      throw invalidArgument('a job needs a name (a non-empty string)')
    const o = options === undefined ? this.#resolved : resolveJobOptions(options, this.#defaults)
    const id = o.jobId ?? `${this.#idPrefix}-${(this.#idSeq++).toString(36)}`
    const encoded = this.#encode(data)
    groups.push(
      id,
      name,
      encoded,
      String(o.priority),
      String(o.delayMs),
      o === this.#resolved ? this.#packed : packOptions(o),
    )
    return { id, given: o.jobId !== undefined }
  }

  #encode(data: T): string {
    try {
      return json.encode(data) as string
    } catch (error) {
      throw new RedisExpertError(
        'ENCODE_FAILED',
        `job data for queue ${this.name}: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
  }
}
