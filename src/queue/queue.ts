import { randomBytes } from 'node:crypto'
import type { RedisExpertClient } from '../client/client.js'
import type { Reply } from '../client/types.js'
import { json } from '../codec/index.js'
import { declareOn } from '../common/keyspace.js'
import { identifier, namespaceName, plainOptions } from '../common/validate.js'
import { invalidArgument, RedisExpertError } from '../errors.js'
import { type QueueKeys, type QueueKeyspace, queueKeys, queueKeyspace } from './keyspace.js'
import { type JobOptions, resolveJobOptions } from './options.js'
import { ADD } from './scripts.js'

export interface QueueOptions {
  /** Keyspace namespace, default `queue`: keys are `queue:{<name>}:...`. */
  readonly namespace?: string
  /** Options every `add` starts from. */
  readonly defaultJobOptions?: JobOptions
}

export interface AddedJob {
  readonly id: string
  /** False when a job with this `jobId` already existed: nothing was added. */
  readonly added: boolean
}

export type JobState = 'wait' | 'delayed' | 'active' | 'completed' | 'dead'

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
}

export interface QueueCounts {
  readonly wait: number
  readonly delayed: number
  readonly active: number
  readonly dead: number
  readonly completed: number
}

/** Names the queue and its keys; shared by Queue and Worker. */
export function openQueue(db: RedisExpertClient, name: string, namespace: unknown) {
  const queue = identifier('queue', name)
  const keyspace = queueKeyspace(namespaceName('namespace', namespace, 'queue'))
  declareOn(db, keyspace)
  return { queue, keyspace, keys: queueKeys(keyspace, queue) }
}

export class Queue<T = unknown> {
  readonly name: string
  readonly keyspace: QueueKeyspace
  readonly keys: QueueKeys
  readonly #db: RedisExpertClient
  readonly #defaults: JobOptions
  /** Generated ids: a random prefix per Queue object and a counter (one CSPRNG call, not one per job). */
  readonly #idPrefix = randomBytes(12).toString('base64url')
  #idSeq = 0

  constructor(db: RedisExpertClient, name: string, options?: QueueOptions) {
    if (typeof db?.call !== 'function') throw invalidArgument('new Queue: db must be a client from connect()')
    const o = plainOptions('Queue options', options) as QueueOptions
    const opened = openQueue(db, name, o.namespace)
    this.name = opened.queue
    this.keyspace = opened.keyspace
    this.keys = opened.keys
    this.#db = db
    this.#defaults = plainOptions('defaultJobOptions', o.defaultJobOptions) as JobOptions
    resolveJobOptions({}, this.#defaults)
  }

  /** One round trip: one script (EXISTS, HSET, ZADD, and INCR for a ready job). */
  async add(name: string, data: T, options?: JobOptions): Promise<AddedJob> {
    const { keys, args } = this.#addCall(name, data, options)
    const reply = (await ADD.run(this.#db, keys, args)) as Reply[]
    return { id: String(reply[0]), added: reply[1] === 1 }
  }

  /** Every job in one pipelined round trip. */
  async addBulk(jobs: readonly { name: string; data: T; options?: JobOptions }[]): Promise<AddedJob[]> {
    if (!Array.isArray(jobs)) throw invalidArgument('addBulk takes an array of { name, data, options }')
    if (jobs.length === 0) return []
    const calls = jobs.map((job) => this.#addCall(job?.name, job?.data as T, job?.options))
    const commands = calls.map(({ keys, args }) => ADD.command(keys, args))
    let replies: Reply[]
    try {
      replies = await this.#db.batch(commands)
    } catch (error) {
      // NOSCRIPT on a cold server (then no command of the batch ran): the first job goes by EVAL,
      // which loads the script on the node of this queue's slot, and the rest as a batch again.
      if (!(error instanceof RedisExpertError) || error.details.redisCode !== 'NOSCRIPT') throw error
      const first = await ADD.run(this.#db, calls[0]!.keys, calls[0]!.args)
      replies = [first, ...(commands.length > 1 ? await this.#db.batch(commands.slice(1)) : [])]
    }
    return replies.map((reply) => {
      const r = reply as Reply[]
      return { id: String(r[0]), added: r[1] === 1 }
    })
  }

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
      attempts: Number(h.attempts ?? 1),
      result: h.result === undefined ? undefined : json.decode(h.result),
      error: h.error ?? null,
      progress: h.progress === undefined ? null : json.decode(h.progress),
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

  /** Workers take no job while the queue is paused (running ones finish). One SET; survives restarts. */
  async pause(): Promise<void> {
    await this.#db.call(['SET', this.keys.paused, '1'])
  }

  async resume(): Promise<void> {
    await this.#db.call(['DEL', this.keys.paused])
  }

  async isPaused(): Promise<boolean> {
    return Number(await this.#db.call(['EXISTS', this.keys.paused])) === 1
  }

  #addCall(name: unknown, data: T, options: JobOptions | undefined) {
    if (typeof name !== 'string' || name === '')
      throw invalidArgument('a job needs a name (a non-empty string)')
    const o = resolveJobOptions(options, this.#defaults)
    const id = o.jobId ?? `${this.#idPrefix}-${(this.#idSeq++).toString(36)}`
    let encoded: string
    try {
      encoded = json.encode(data) as string
    } catch (error) {
      throw new RedisExpertError(
        'ENCODE_FAILED',
        `job data for queue ${this.name}: ${(error as Error).message}`,
        {
          cause: error,
        },
      )
    }
    const k = this.keys
    return {
      keys: { job: k.job(id), wait: k.wait, delayed: k.delayed, seq: k.seq },
      args: {
        id,
        name,
        data: encoded,
        priority: o.priority,
        delayMs: o.delayMs,
        attempts: o.attempts,
        backoffType: o.backoff.type,
        backoffMs: o.backoff.delayMs,
        timeoutMs: o.timeoutMs,
        now: Date.now(),
      },
    }
  }
}
