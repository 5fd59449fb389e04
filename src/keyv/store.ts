import { EventEmitter } from 'node:events'
import type { Client } from '../client/client.js'
import { keySlot } from '../common/slot.js'
import { jitteredTtl } from '../common/ttl.js'
import type { Command, Reply } from '../common/types.js'
import { durationMs, namespaceName, positiveInt, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import type { Entry, Keyspace } from '../keyspace/define.js'
import { encodeParam, paramText } from '../keyspace/escape.js'
import { t } from '../keyspace/types.js'
import { declareOn, structureKeyspace } from '../kit/keyspace.js'

export interface KeyvStoreOptions {
  /**
   * An entry of your keyspace to store under, with parameters `<ns>` (Keyv's namespace) and
   * `<key>` (last): e.g. `cache: { pattern: 'kv:<ns>:<key>', type: t.string(), role: 'cache',
   * ttl: '10m', jitter: 0.1 }`. Its TTL applies to values Keyv sets without one, its jitter to
   * every write. Without it the store declares its own keyspace (`name`, `ttl`, `jitter`).
   */
  readonly entry?: Entry
  /** Namespace of the store's own keyspace, default `keyv`: keys `<name>:<ns>:<key>`. */
  readonly name?: string
  /** TTL of values Keyv sets without one (hard stop 3: no cache key without a TTL), default `'1d'`. */
  readonly ttl?: number | `${number}${'ms' | 's' | 'm' | 'h' | 'd' | 'w'}`
  /** 0–0.5, default 0: spreads expiries (see `entry`). */
  readonly jitter?: number
  /** SCAN COUNT for `clear()` and `iterator()`, and the most keys one command carries; default 500. */
  readonly scanCount?: number
}

const OPTIONS = ['entry', 'name', 'ttl', 'jitter', 'scanCount'] as const

const PLAIN = /^[A-Za-z0-9\-._~]+$/

/** One stored value as Keyv hands it over: its serialized `{ value, expires }`. */
type Stored = string

/**
 * A Keyv storage adapter on the toolkit's client — standalone, Cluster or Sentinel:
 * `new Keyv({ store: createKeyvStore(db) })`, and so cache-manager v7.
 *
 * Every key is declared (the store's own keyspace, or your `entry`), every write carries a TTL
 * (Keyv's, else the declared one, jittered as declared), enumeration is SCAN (never KEYS),
 * `clear()` removes only this Keyv namespace's keys, a page at a time with UNLINK, and every
 * command goes through the guard. Multi-key commands never cross a slot (grouped per slot, sent
 * in one round trip).
 */
export class KeyvStore extends EventEmitter {
  /** Set by Keyv: the namespace its keys arrive prefixed with (`<namespace>:<key>`). */
  namespace: string | undefined
  /** What Keyv reads: `dialect: 'redis'` enables its `iterator()`. */
  readonly opts: { dialect: 'redis'; url: string; [name: string]: unknown }
  readonly keyspace: Keyspace | null
  readonly #db: Client
  readonly #entry: Entry
  readonly #ttlMs: number | null
  readonly #jitter: number
  readonly #count: number
  /** The key up to its `<key>` parameter, per namespace (Keyv rarely changes it). */
  #prefixFor: string | undefined | null = null
  #prefix = ''

  constructor(db: Client, options?: KeyvStoreOptions) {
    super()
    const o = strictOptions('createKeyvStore options', options, OPTIONS)
    this.#count = positiveInt('scanCount', o.scanCount, 500, 1000)
    if (o.entry !== undefined) {
      if (o.name !== undefined || o.ttl !== undefined || o.jitter !== undefined)
        throw invalidArgument(
          'createKeyvStore: with entry, its declaration gives the TTL and jitter: drop name, ttl and jitter',
        )
      this.#entry = checkEntry(o.entry)
      this.keyspace = null
    } else {
      const jitter = o.jitter ?? 0
      if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 0.5))
        throw invalidArgument('jitter must be a number from 0 to 0.5', { jitter })
      const keyspace = structureKeyspace(namespaceName('name', o.name, 'keyv'), {
        value: {
          pattern: '<ns>:<key>',
          type: t.string(),
          role: 'cache',
          ttl: durationMs('ttl', o.ttl, 86_400_000),
          jitter,
          description: "a Keyv value (Keyv's serialized { value, expires }); <ns> is the Keyv namespace",
        },
      })
      declareOn(db, keyspace)
      this.keyspace = keyspace
      this.#entry = keyspace.value
    }
    this.#ttlMs = this.#entry.policy.ttlMs
    this.#jitter = this.#entry.policy.jitter
    this.#db = db
    this.opts = { dialect: 'redis', url: 'redis-expert' }
  }

  /** `<…>:<ns>:` for the current namespace; `<key>` (escaped) follows. */
  #keyPrefix(): string {
    const ns = this.namespace
    if (this.#prefixFor !== ns || this.#prefixFor === null) {
      this.#prefix = this.#prefixOf(ns)
      this.#prefixFor = ns
    }
    return this.#prefix
  }

  #prefixOf(ns: string | undefined): string {
    return (this.#entry.key as (p: object) => string)({ ns: ns ?? '', key: 'k' }).slice(0, -1)
  }

  /** Keyv's key (`<namespace>:<key>`) → the Redis key. */
  #key(key: unknown): string {
    if (typeof key !== 'string') return this.#keyPrefix() + encodeParam(paramText('key', key))
    let text = key
    const ns = this.namespace
    if (ns !== undefined && text.startsWith(ns) && text[ns.length] === ':') text = text.slice(ns.length + 1)
    // Most keys need no escaping (and, being ASCII, no UTF-16 check).
    if (PLAIN.test(text)) return this.#keyPrefix() + text
    return this.#keyPrefix() + encodeParam(paramText('key', text))
  }

  /** The TTL of a write: Keyv's (its expiry is in the value, so jitter can only shorten it), else the declared one. */
  #px(ttl: unknown): number | null {
    if (typeof ttl === 'number' && Number.isFinite(ttl) && ttl > 0) {
      const ms = Math.max(1, Math.ceil(ttl))
      return this.#jitter === 0 ? ms : Math.max(1, Math.round(ms * (1 - this.#jitter * Math.random())))
    }
    if (ttl !== undefined && ttl !== null && ttl !== 0)
      throw invalidArgument('ttl must be a positive number of milliseconds', { ttl })
    return this.#ttlMs === null ? null : jitteredTtl(this.#ttlMs, this.#jitter)
  }

  #write(key: string, value: unknown, ttl: unknown): Command {
    if (typeof value !== 'string')
      throw invalidArgument("the Keyv store keeps Keyv's serialized text: leave Keyv's serialize option on", {
        type: typeof value,
      })
    const px = this.#px(ttl)
    return px === null ? ['SET', key, value] : ['SET', key, value, 'PX', px]
  }

  /** The stored text, or undefined. */
  async get(key: string): Promise<Stored | undefined> {
    const value = await this.#db.call(['GET', this.#key(key)])
    return value === null ? undefined : String(value)
  }

  /** SET with PX: the TTL given, else the entry's (jittered as it declares). */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    return (await this.#db.call(this.#write(this.#key(key), value, ttl))) === 'OK'
  }

  /** One SET PX per entry, pipelined. */
  async setMany(entries: readonly { key: string; value: unknown; ttl?: number }[]): Promise<boolean[]> {
    if (!Array.isArray(entries)) throw invalidArgument('setMany takes an array of { key, value, ttl }')
    if (entries.length === 0) return []
    const replies = await this.#send(entries.map((e) => this.#write(this.#key(e.key), e.value, e.ttl)))
    return replies.map((reply) => reply === 'OK')
  }

  /** UNLINK of one key: whether it existed. */
  async delete(key: string): Promise<boolean> {
    return Number(await this.#db.call(['UNLINK', this.#key(key)])) > 0
  }

  /** UNLINK of several keys, one command per slot: whether any existed. */
  async deleteMany(keys: readonly string[]): Promise<boolean> {
    if (!Array.isArray(keys)) throw invalidArgument('deleteMany takes an array of keys')
    if (keys.length === 0) return false
    return (await this.#unlink(keys.map((k) => this.#key(k)))) > 0
  }

  /** Whether the key exists. */
  async has(key: string): Promise<boolean> {
    return Number(await this.#db.call(['EXISTS', this.#key(key)])) === 1
  }

  /** Whether each key exists, pipelined. */
  async hasMany(keys: readonly string[]): Promise<boolean[]> {
    if (!Array.isArray(keys)) throw invalidArgument('hasMany takes an array of keys')
    if (keys.length === 0) return []
    const replies = await this.#send(keys.map((k) => ['EXISTS', this.#key(k)]))
    return replies.map((reply) => Number(reply) === 1)
  }

  /** The values of several keys, one MGET per slot. */
  async getMany(keys: readonly string[]): Promise<(Stored | undefined)[]> {
    if (!Array.isArray(keys)) throw invalidArgument('getMany takes an array of keys')
    if (keys.length === 0) return []
    return this.#values(keys.map((k) => this.#key(k)))
  }

  /** Removes this namespace's keys only (SCAN + UNLINK, a page at a time), never FLUSHDB, never KEYS. */
  async clear(): Promise<void> {
    let page: string[] = []
    for await (const key of this.#db.scan({
      match: `${this.#keyPrefix()}*`,
      count: this.#count,
      type: 'string',
    })) {
      if (!this.#owns(key)) continue
      page.push(key)
      if (page.length >= this.#count) {
        await this.#unlink(page)
        page = []
      }
    }
    if (page.length > 0) await this.#unlink(page)
  }

  /** `[<namespace>:<key>, serialized]` for this namespace's keys, by SCAN; Keyv drops expired ones. */
  async *iterator(namespace?: string): AsyncGenerator<[string, Stored]> {
    const ns = namespace ?? this.namespace
    const prefix = this.#prefixOf(ns)
    let page: string[] = []
    const flush = async function* (this: KeyvStore, keys: string[]): AsyncGenerator<[string, Stored]> {
      const values = await this.#values(keys)
      for (let i = 0; i < keys.length; i++) {
        const value = values[i]
        if (value === undefined) continue
        const decoded = decodeTail(keys[i]!, prefix)
        if (decoded === null) continue
        yield [ns === undefined ? decoded : `${ns}:${decoded}`, value]
      }
    }
    for await (const key of this.#db.scan({ match: `${prefix}*`, count: this.#count, type: 'string' })) {
      if (decodeTail(key, prefix) === null) continue
      page.push(key)
      if (page.length >= this.#count) {
        yield* flush.call(this, page)
        page = []
      }
    }
    if (page.length > 0) yield* flush.call(this, page)
  }

  /** The shared client stays open: it is yours (close it with `db.close()`). */
  async disconnect(): Promise<void> {}

  #owns(key: string): boolean {
    return decodeTail(key, this.#keyPrefix()) !== null
  }

  /** MGET within a slot (the guard refuses a multi-key command across slots): one per slot group. */
  async #values(keys: readonly string[]): Promise<(Stored | undefined)[]> {
    const out: (Stored | undefined)[] = new Array(keys.length)
    const groups = [...bySlot(keys, this.#count).values()]
    const replies = await this.#send(groups.map((g) => ['MGET', ...g.map((i) => keys[i]!)]))
    groups.forEach((group, n) => {
      const values = replies[n] as (string | null)[]
      group.forEach((index, j) => {
        const value = values[j]
        out[index] = value === null || value === undefined ? undefined : String(value)
      })
    })
    return out
  }

  /** UNLINK per slot group, in one round trip; the number of keys removed. */
  async #unlink(keys: readonly string[]): Promise<number> {
    const groups = [...bySlot(keys, this.#count).values()]
    const replies = await this.#send(groups.map((g) => ['UNLINK', ...g.map((i) => keys[i]!)]))
    return replies.reduce<number>((sum, n) => sum + Number(n), 0)
  }

  /** Commands in one round trip: one pipeline (per master on a Cluster, each routed by its key). */
  #send(commands: readonly Command[]): Promise<Reply[]> {
    if (commands.length === 1) return this.#db.call(commands[0]!).then((reply) => [reply])
    return this.#db.batch(commands)
  }
}

/** Indices of `keys` grouped by Cluster slot, each group at most `max` keys. */
function bySlot(keys: readonly string[], max: number): Map<string, number[]> {
  const groups = new Map<string, number[]>()
  const part = new Map<number, number>()
  keys.forEach((key, index) => {
    const slot = keySlot(key)
    let n = part.get(slot) ?? 0
    let id = `${slot}.${n}`
    let group = groups.get(id)
    if (group && group.length >= max) {
      part.set(slot, ++n)
      id = `${slot}.${n}`
      group = undefined
    }
    if (!group) {
      group = []
      groups.set(id, group)
    }
    group.push(index)
  })
  return groups
}

/** The Keyv key a Redis key holds after `prefix` (null when it is not one of ours). */
function decodeTail(key: string, prefix: string): string | null {
  if (!key.startsWith(prefix)) return null
  const tail = key.slice(prefix.length)
  if (tail === '%') return ''
  if (!/^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})+$/.test(tail)) return null
  try {
    return decodeURIComponent(tail)
  } catch {
    return null
  }
}

function checkEntry(entry: unknown): Entry {
  const policy = (entry as Entry | null)?.policy
  if (typeof entry !== 'object' || entry === null || typeof (entry as Entry).key !== 'function' || !policy)
    throw invalidArgument('createKeyvStore: entry must be a keyspace entry, e.g. app.cache')
  const fail = (why: string) =>
    invalidArgument(`createKeyvStore: entry '${policy.name}' (${policy.pattern.full}) ${why}`, {
      entry: policy.name,
    })
  const { params, segments, delimiters } = policy.pattern
  if (params.length !== 2 || !params.includes('ns') || !params.includes('key'))
    throw fail("must have exactly the parameters <ns> (Keyv's namespace) and <key>, e.g. 'kv:<ns>:<key>'")
  const last = segments.at(-1)
  if (last?.kind !== 'param' || last.name !== 'key' || delimiters.length !== segments.length - 1)
    throw fail(
      "must end with <key>, e.g. 'kv:<ns>:<key>' (clear() and iterator() scan by the text before it)",
    )
  if (params.indexOf('ns') > params.indexOf('key')) throw fail('must name <ns> before <key>')
  if (policy.kind !== 'string') throw fail(`is a ${policy.kind}; Keyv stores serialized text: t.string()`)
  if (policy.sliding) throw fail('is sliding; Keyv values expire on their TTL, reads do not extend it')
  return entry as Entry
}

export function createKeyvStore(db: Client, options?: KeyvStoreOptions): KeyvStore {
  return new KeyvStore(db, options)
}
