import type { Client } from '../client/client.js'
import type { Codec } from '../codec/types.js'
import { keySlot } from '../common/slot.js'
import type { CallOptions, Command, Executor, Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import type { CircuitBreaker } from './breaker.js'
import { busMessage } from './bus.js'
import { decodeEnvelope, type Stored, tagsOfStamp } from './envelope.js'
import type { CacheKeys } from './keys.js'
import { commitScript, deleteScript, leaseScript, releaseScript, tagsScript, writeScript } from './scripts.js'

/** A read's result: the stored entry (or null), and whether its tags are still current. */
export interface ReadResult<V> {
  readonly stored: Stored<V> | null
  /** False when a tag it carries was invalidated since it was written. */
  readonly valid: boolean
  /** Versions of the tags the caller named (read in the same round trip), for a new value's stamp. */
  readonly versions: ReadonlyMap<string, string>
  /** The value did not decode (DECODE_FAILED); treated as absent by getOrSet. */
  readonly corrupt: RedisExpertError | null
}

export type LeaseReply =
  | { readonly status: 'fresh'; readonly reply: string | Buffer }
  | { readonly status: 'won'; readonly generation: string }
  | { readonly status: 'held'; readonly generation: string; readonly pttl: number }

const NO_VERSIONS: ReadonlyMap<string, string> = new Map()

/**
 * Everything the cache says to Redis, each operation in as few round trips as the design
 * allows (docs/cache.md has the table). Every call carries the cache's timeout, so a dead or
 * slow server fails fast instead of stalling callers.
 */
export class RedisTier<V> {
  /** The client, through the circuit breaker when there is one. */
  readonly #db: Executor
  readonly #keys: CacheKeys
  readonly #codec: Codec<V>
  readonly #options: CallOptions
  readonly #cluster: boolean
  readonly #origin: string

  constructor(
    db: Client,
    keys: CacheKeys,
    codec: Codec<V>,
    timeoutMs: number,
    origin: string,
    breaker: CircuitBreaker | null,
  ) {
    this.#db = breaker === null ? db : breaker.wrap(db)
    this.#keys = keys
    this.#codec = codec
    this.#options = { timeoutMs, buffers: codec.binary }
    this.#cluster = db.mode === 'cluster'
    this.#origin = origin
  }

  /** GET, with the named tags' versions in the same round trip (pipelined; parallel on a Cluster). */
  read(key: string, tags: readonly string[]): Promise<ReadResult<V>> {
    if (tags.length === 0)
      return this.#db.call(['GET', key], this.#options).then((reply) => this.#result(key, reply, NO_VERSIONS))
    return this.#readTagged(key, tags)
  }

  async #readTagged(key: string, tags: readonly string[]): Promise<ReadResult<V>> {
    const get: Command = ['GET', key]
    const hmget: Command = ['HMGET', this.#keys.tags, ...tags]
    const [value, found] = this.#cluster
      ? await Promise.all([this.#db.call(get, this.#options), this.#db.call(hmget, this.#options)])
      : await this.#db.batch([get, hmget], this.#options)
    return this.#result(key, value as Reply, versionMap(tags, found as Reply))
  }

  /**
   * Several values in one round trip per server. Standalone: one pipeline of GETs (a
   * cross-slot MGET would not run on a Cluster, and the guard refuses it everywhere).
   * Cluster: one MGET per slot, all sent at once, so the driver writes each master's share
   * together: one round trip per master, in parallel.
   */
  async readMany(keys: readonly string[], tags: readonly string[]): Promise<ReadResult<V>[]> {
    const hmget: Command | null = tags.length > 0 ? ['HMGET', this.#keys.tags, ...tags] : null
    let replies: Reply[]
    let found: Reply = null
    if (!this.#cluster) {
      const commands: Command[] = keys.map((key) => ['GET', key])
      if (hmget) commands.push(hmget)
      replies = await this.#db.batch(commands, this.#options)
      if (hmget) found = replies.pop() ?? null
    } else {
      replies = new Array(keys.length).fill(null)
      const reads = [...groupBySlot(keys).values()].map(async (indexes) => {
        const values = await this.#db.call<Reply[]>(['MGET', ...indexes.map((i) => keys[i]!)], this.#options)
        indexes.forEach((index, j) => {
          replies[index] = values[j] ?? null
        })
      })
      const versionRead = hmget ? this.#db.call(hmget, this.#options) : Promise.resolve(null)
      found = (await Promise.all([versionRead, ...reads]))[0] as Reply
    }
    const versions = hmget ? versionMap(tags, found) : NO_VERSIONS
    return Promise.all(keys.map((key, i) => this.#result(key, replies[i] ?? null, versions)))
  }

  async versions(tags: readonly string[]): Promise<ReadonlyMap<string, string>> {
    if (tags.length === 0) return NO_VERSIONS
    return versionMap(tags, await this.#db.call(['HMGET', this.#keys.tags, ...tags], this.#options))
  }

  /** Synchronous for an untagged entry: the hit path pays for no extra promise. */
  #result(
    key: string,
    reply: Reply,
    versions: ReadonlyMap<string, string>,
  ): ReadResult<V> | Promise<ReadResult<V>> {
    if (reply === null) return { stored: null, valid: false, versions, corrupt: null }
    let stored: Stored<V>
    try {
      stored = decodeEnvelope(this.#codec, reply as string | Buffer, key)
    } catch (error) {
      if (error instanceof RedisExpertError) return { stored: null, valid: false, versions, corrupt: error }
      throw error
    }
    if (stored.stamp === '') return { stored, valid: true, versions, corrupt: null }
    return this.#tagsCurrent(stored.stamp, versions).then((valid) => ({
      stored,
      valid,
      versions,
      corrupt: null,
    }))
  }

  /** A stamp is current when each tag's version is unchanged; unknown versions cost one HMGET. */
  async #tagsCurrent(stamp: string, known: ReadonlyMap<string, string>): Promise<boolean> {
    if (stamp === '') return true
    const tags = tagsOfStamp(stamp)
    const missing = tags.filter((tag) => !known.has(tag))
    const fetched = missing.length > 0 ? await this.versions(missing) : NO_VERSIONS
    let expected = ''
    for (const tag of tags)
      expected += `${expected === '' ? '' : ','}${tag}=${known.get(tag) ?? fetched.get(tag) ?? '0'}`
    return expected === stamp
  }

  async lease(key: string, token: string, leaseMs: number, now: number, stamp: string): Promise<LeaseReply> {
    const reply = await leaseScript.run<Reply[]>(
      this.#db,
      { value: key, lease: this.#keys.lease(key), generation: this.#keys.generation(key) },
      { token, leaseMs, now, stamp },
      this.#options,
    )
    const status = Number(reply[0])
    if (status === 1) return { status: 'fresh', reply: reply[1] as string | Buffer }
    const generation = String(reply[2] ?? '0')
    if (status === 2) return { status: 'won', generation }
    return { status: 'held', generation, pttl: Math.max(0, Number(reply[3] ?? 0)) }
  }

  /** True when written; false when the key was invalidated while the load ran. */
  async commit(key: string, token: string, generation: string, envelope: string | Buffer, px: number) {
    const written = await commitScript.run(
      this.#db,
      { value: key, lease: this.#keys.lease(key), generation: this.#keys.generation(key) },
      {
        token,
        generation,
        envelope,
        px,
        channel: this.#keys.channel,
        message: busMessage('s', this.#origin, key),
      },
      this.#options,
    )
    return Number(written) === 1
  }

  async release(key: string, token: string): Promise<void> {
    await releaseScript.run(
      this.#db,
      { lease: this.#keys.lease(key) },
      { token, channel: this.#keys.channel, message: busMessage('r', this.#origin, key) },
      this.#options,
    )
  }

  writeCommand(
    key: string,
    envelope: string | Buffer,
    px: number,
    generationMs: number,
    keepTags: boolean,
  ): Command {
    return writeScript.command(
      { value: key, generation: this.#keys.generation(key) },
      {
        envelope,
        px,
        generationMs,
        channel: this.#keys.channel,
        message: busMessage('s', this.#origin, key),
        keepTags: keepTags ? '1' : '0',
      },
    )
  }

  /**
   * Writes in one pipeline per server (per slot on a Cluster, in parallel). Resolves to, per
   * write, null when written or the stamp of tags to keep (see `write`).
   */
  async writeMany(
    writes: readonly { readonly key: string; readonly command: Command }[],
  ): Promise<(string | null)[]> {
    if (!this.#cluster) {
      const replies = await writeScript.batch(
        this.#db,
        writes.map((w) => w.command),
        this.#options,
      )
      return replies.map(keptStamp)
    }
    const out: (string | null)[] = new Array(writes.length).fill(null)
    const groups = groupBySlot(writes.map((w) => w.key))
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        const replies = await writeScript.batch(
          this.#db,
          indexes.map((i) => writes[i]!.command),
          this.#options,
        )
        indexes.forEach((index, j) => {
          out[index] = keptStamp(replies[j] ?? null)
        })
      }),
    )
    return out
  }

  /**
   * Stores a value. With `keepTags`, a stored value that carries tags is not overwritten: its
   * stamp is returned, and the caller writes again with those tags (at their current versions).
   * Resolves to null when written.
   */
  async write(
    key: string,
    envelope: string | Buffer,
    px: number,
    generationMs: number,
    keepTags: boolean,
  ): Promise<string | null> {
    const reply = await writeScript.run(
      this.#db,
      { value: key, generation: this.#keys.generation(key) },
      {
        envelope,
        px,
        generationMs,
        channel: this.#keys.channel,
        message: busMessage('s', this.#origin, key),
        keepTags: keepTags ? '1' : '0',
      },
      this.#options,
    )
    return keptStamp(reply)
  }

  async delete(key: string, generationMs: number): Promise<boolean> {
    const removed = await deleteScript.run(
      this.#db,
      { value: key, lease: this.#keys.lease(key), generation: this.#keys.generation(key) },
      { generationMs, channel: this.#keys.channel, message: busMessage('d', this.#origin, key) },
      this.#options,
    )
    return Number(removed) === 1
  }

  async bumpTags(tags: readonly string[], retentionMs: number): Promise<void> {
    await tagsScript.run(
      this.#db,
      { tags: this.#keys.tags },
      {
        tags: tags.join('\n'),
        retentionMs,
        channel: this.#keys.channel,
        message: busMessage('t', this.#origin, tags.join('\n')),
      },
      this.#options,
    )
  }
}

/** The write script's reply: 1 (written) → null; {0, stamp} → the stamp of the tags to keep. */
function keptStamp(reply: Reply): string | null {
  if (!Array.isArray(reply)) return null
  const stamp = reply[1]
  return typeof stamp === 'string' ? stamp : Buffer.isBuffer(stamp) ? stamp.toString('latin1') : null
}

function versionMap(tags: readonly string[], reply: Reply): ReadonlyMap<string, string> {
  const map = new Map<string, string>()
  const values = Array.isArray(reply) ? reply : []
  tags.forEach((tag, i) => {
    const value = values[i]
    map.set(tag, value === null || value === undefined ? '0' : String(value))
  })
  return map
}

/** Indexes of `keys` grouped by Cluster slot: each group is one multi-key command. */
function groupBySlot(keys: readonly string[]): Map<number, number[]> {
  const groups = new Map<number, number[]>()
  keys.forEach((key, i) => {
    const slot = keySlot(key)
    const group = groups.get(slot)
    if (group) group.push(i)
    else groups.set(slot, [i])
  })
  return groups
}
