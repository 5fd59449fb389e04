import type { BatchOptions, Command, Executor, RedisArg, Reply } from '../common/types.js'
import { strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import type { Script } from './script.js'

/** Options of `pipeline.set`: the TTL and conditions of the SET, as its arguments spell them. */
export interface PipelineSetOptions {
  /** TTL in milliseconds (PX). The guard refuses a SET without one on keys not declared persistent. */
  readonly px?: number
  /** Keep the key's current TTL (KEEPTTL), for updates of keys that already have one. */
  readonly keepTtl?: boolean
  readonly nx?: boolean
  readonly xx?: boolean
}

/**
 * Commands collected and sent together: a pipeline (one round trip; on a Cluster one per
 * master, in parallel, replies reassembled in order) or, from `db.multi()`, a MULTI/EXEC
 * transaction (one round trip, one slot). `exec()` resolves to a tuple typed by the
 * methods called, in order:
 *
 *   const [name, visits] = await db.pipeline().get('a').incr('b').exec()  // [string | null, number]
 *
 * The guard checks the batch as a whole: a write in it must be given a TTL in the same batch.
 */
export class Pipeline<R extends readonly unknown[] = []> {
  readonly #db: Executor
  readonly #atomic: boolean
  readonly #commands: Command[] = []

  constructor(db: Executor, atomic: boolean) {
    this.#db = db
    this.#atomic = atomic
  }

  get length(): number {
    return this.#commands.length
  }

  /** Any command; type its reply with the parameter. */
  call<T = Reply>(command: Command): Pipeline<[...R, T]> {
    if (!Array.isArray(command) || command.length === 0)
      throw invalidArgument('a command is a non-empty array such as ["GET", "key"]')
    this.#commands.push(command)
    return this as unknown as Pipeline<[...R, T]>
  }

  /** GET: the string value, or null when the key is absent. */
  get(key: string): Pipeline<[...R, string | null]> {
    return this.call<string | null>(['GET', key])
  }

  /** SET with its options (`px`, `keepTtl`, `nx`, `xx`): 'OK', or null when NX/XX stopped it. */
  set(key: string, value: RedisArg, options: PipelineSetOptions = {}): Pipeline<[...R, 'OK' | null]> {
    strictOptions('pipeline set options', options, ['px', 'keepTtl', 'nx', 'xx'])
    const command: RedisArg[] = ['SET', key, value]
    if (options.px !== undefined) command.push('PX', positiveMs(options.px))
    if (options.keepTtl) command.push('KEEPTTL')
    if (options.nx) command.push('NX')
    if (options.xx) command.push('XX')
    return this.call<'OK' | null>(command)
  }

  /**
   * INCRBY (default 1): the new value. The counter needs a TTL in the same batch unless declared
   * persistent.
   */
  incr(key: string, by = 1): Pipeline<[...R, number]> {
    return this.call<number>(['INCRBY', key, by])
  }

  /**
   * PEXPIRE in milliseconds (a whole number ≥ 1): 1 when set, 0 when the key does not exist. The TTL the
   * guard looks for in a batch.
   */
  pexpire(key: string, ms: number): Pipeline<[...R, 0 | 1]> {
    return this.call<0 | 1>(['PEXPIRE', key, positiveMs(ms)])
  }

  /** PTTL: milliseconds left, -1 without TTL, -2 when absent. */
  pttl(key: string): Pipeline<[...R, number]> {
    return this.call<number>(['PTTL', key])
  }

  /** UNLINK: removes the keys, freeing their memory in the background; the number removed. */
  unlink(...keys: string[]): Pipeline<[...R, number]> {
    return this.call<number>(['UNLINK', ...keys])
  }

  /** EXISTS: how many of the keys exist (a key named twice counts twice). */
  exists(...keys: string[]): Pipeline<[...R, number]> {
    return this.call<number>(['EXISTS', ...keys])
  }

  /** HGET: one field of a hash, or null. */
  hget(key: string, field: string): Pipeline<[...R, string | null]> {
    return this.call<string | null>(['HGET', key, field])
  }

  /**
   * HSET of one or more fields: the number of fields created. Add a `pexpire` of the key in the same
   * pipeline, or the guard refuses a hash without TTL.
   */
  hset(key: string, fields: Readonly<Record<string, RedisArg>>): Pipeline<[...R, number]> {
    const entries = Object.entries(fields)
    if (entries.length === 0) throw invalidArgument('hset needs at least one field')
    return this.call<number>(['HSET', key, ...entries.flat()])
  }

  /** ZADD of one member: 1 when it was added, 0 when its score was updated. */
  zadd(key: string, score: number, member: string): Pipeline<[...R, number]> {
    return this.call<number>(['ZADD', key, score, member])
  }

  /** ZSCORE: the member's score as Redis prints it, or null. */
  zscore(key: string, member: string): Pipeline<[...R, string | null]> {
    return this.call<string | null>(['ZSCORE', key, member])
  }

  /** SADD: the number of members added. */
  sadd(key: string, ...members: string[]): Pipeline<[...R, number]> {
    return this.call<number>(['SADD', key, ...members])
  }

  /**
   * A script, sent as EVAL with its source: inside a batch a NOSCRIPT would fail one command
   * of many (and inside MULTI leave the rest applied), so batches never depend on the
   * script cache. The server still caches the compiled script by its SHA.
   */
  script<K extends string, A extends string, T = Reply>(
    script: Script<K, A>,
    keys: Readonly<Record<K, string>>,
    args: Readonly<Record<A, RedisArg>>,
  ): Pipeline<[...R, T]> {
    const command = [...script.command(keys, args)]
    command[0] = String(command[0]).replace('EVALSHA', 'EVAL')
    command[1] = script.source
    return this.call<T>(command)
  }

  /** Sends everything; an empty pipeline resolves to [] without a round trip. */
  async exec(options: Omit<BatchOptions, 'atomic'> = {}): Promise<R> {
    if (this.#commands.length === 0) return [] as unknown as R
    const replies = await this.#db.batch(this.#commands, { ...options, atomic: this.#atomic })
    return replies as unknown as R
  }
}

function positiveMs(ms: number): number {
  if (!Number.isInteger(ms) || ms <= 0)
    throw invalidArgument('a TTL is a positive integer of milliseconds', { ms })
  return ms
}
