import type { Client } from '../../client/client.js'
import { type Codec, type CodecName, resolveCodec } from '../../codec/index.js'
import { keySlot } from '../../common/slot.js'
import type { Command, Reply } from '../../common/types.js'
import {
  type Duration,
  durationMs,
  namespaceName,
  oneOf,
  optionNames,
  positiveInt,
  strictOptions,
} from '../../common/validate.js'
import { invalidArgument, RedisExpertError } from '../../errors.js'
import type { Keyspace } from '../../keyspace/define.js'
import { t } from '../../keyspace/types.js'
import { declareOn, keyOf, structureKeyspace } from '../../kit/keyspace.js'
import { int } from '../common/round-trip.js'
import { integerLayout, type Layout, stringLayout } from './layout.js'

/** A compact map's options: name, key kind, bucket size, value bound, TTL and codec. */
export interface CompactMapOptions {
  /** The map's name: letters, digits, - . _ ~. */
  readonly name: string
  readonly namespace?: string
  /** 'string' (default): any id ≤ maxValueBytes bytes, hashed to a bucket; 'integer': ids ≥ 0, bucketed by range. */
  readonly keys?: 'string' | 'integer'
  /** 'integer' keys: items per bucket, default 100 (≤ the server's hash-max-listpack-entries, 128). */
  readonly perBucket?: number
  /** 'string' keys: how many items the map is sized for (the bucket count follows), default 1M. */
  readonly expectedItems?: number
  /**
   * Largest encoded value (and string id), default 64 bytes: the server's hash-max-listpack-value.
   * A bigger one would convert its whole bucket to a hashtable, so it is refused.
   */
  readonly maxValueBytes?: number
  /** TTL of a bucket, refreshed by every write to it (items share their bucket's); default persistent. */
  readonly ttl?: Duration | 'persistent'
  /** Value codec, default 'raw' (strings). */
  readonly codec?: CodecName | Codec<unknown>
}

/**
 * Many small values (id → value) packed into hashes of a few hundred fields, so Redis keeps them in the
 * compact listpack encoding.
 */
export interface CompactMap<V = string> {
  readonly name: string
  readonly keyspace: Keyspace
  /** The bucket key and field an id maps to. */
  locate(id: string | number): { key: string; field: string }
  /** HGET of the id's field, or null. */
  get(id: string | number): Promise<V | null>
  /** HSET (and PEXPIRE of the bucket, when it has a TTL) in one round trip. */
  set(id: string | number, value: V): Promise<void>
  /** HDEL of the id's field: whether it was there. */
  delete(id: string | number): Promise<boolean>
  /** One HMGET per bucket, all pipelined (one round trip per Cluster slot, sent together). */
  getMany(ids: readonly (string | number)[]): Promise<(V | null)[]>
  /** One HSET per bucket, pipelined like getMany. */
  setMany(entries: Iterable<readonly [string | number, V]>): Promise<void>
  /** Bytes per item measured on up to `sample` buckets (MEMORY USAGE / HLEN), and their encodings. */
  memory(options?: { sample?: number }): Promise<MemoryReport>
}

/** Measured memory of a compact map: bytes per item over sampled buckets, and their encodings. */
export interface MemoryReport {
  readonly bucketsSampled: number
  readonly items: number
  readonly bytes: number
  readonly bytesPerItem: number
  /** OBJECT ENCODING → buckets: all 'listpack' (or 'ziplist' before Redis 7) when the layout holds. */
  readonly encodings: Record<string, number>
}

const MAX_BATCH = 1000

/** Every option of CompactMapOptions: anything else is refused, naming the closest. */
const COMPACT_MAP_OPTIONS = optionNames<CompactMapOptions>({
  name: true,
  namespace: true,
  keys: true,
  perBucket: true,
  expectedItems: true,
  maxValueBytes: true,
  ttl: true,
  codec: true,
})

/** A compact map: ids bucketed into small hashes, several times smaller than one key per id. */
export function createCompactMap<V = string>(db: Client, options: CompactMapOptions): CompactMap<V> {
  const o = strictOptions('createCompactMap options', options, COMPACT_MAP_OPTIONS)
  if (typeof o.name !== 'string' || !/^[A-Za-z0-9_.~-]{1,100}$/.test(o.name))
    throw invalidArgument('name must be 1–100 letters, digits, - . _ ~', { name: o.name })
  const name = o.name
  const namespace = namespaceName('namespace', o.namespace, 'cm')
  const keys = oneOf<'string' | 'integer'>('keys', o.keys, ['string', 'integer'], 'string')
  const maxValueBytes = positiveInt('maxValueBytes', o.maxValueBytes, 64, 1 << 20)
  const perBucket = positiveInt('perBucket', o.perBucket, 100, 1000)
  const expectedItems = positiveInt('expectedItems', o.expectedItems, 1_000_000, 2 ** 40)
  const ttlMs = o.ttl === undefined || o.ttl === 'persistent' ? null : durationMs('ttl', o.ttl)
  const codec = resolveCodec((o.codec ?? 'raw') as CodecName | Codec<unknown>) as Codec<V>
  const layout: Layout =
    keys === 'integer'
      ? integerLayout(perBucket)
      : stringLayout(Math.max(1, Math.ceil(expectedItems / 64)), maxValueBytes)

  const keyspace = structureKeyspace(namespace, {
    bucket: {
      pattern: `${name}:<bucket>`,
      type: t.hash(),
      role: 'state',
      ttl: ttlMs ?? 'persistent',
      maxValueBytes,
      ...(keys === 'integer' ? { maxItems: perBucket } : {}),
      description:
        keys === 'integer'
          ? `items id → value in buckets of ${perBucket} (bucket ⌊id/${perBucket}⌋, field id mod ${perBucket})`
          : `items id → value in ${layout.buckets} buckets by FNV-1a(id), ~64 each`,
    },
  }) as unknown as Keyspace
  declareOn(db, keyspace)

  const locate = (id: string | number) => {
    const { bucket, field } = layout.locate(id)
    return { key: keyOf(keyspace, 'bucket', { bucket }), field }
  }
  const encode = (value: V): string | Buffer => {
    const encoded = codec.encode(value)
    const bytes = typeof encoded === 'string' ? Buffer.byteLength(encoded) : encoded.length
    if (bytes > maxValueBytes)
      throw invalidArgument(
        `a value of ${bytes} bytes exceeds maxValueBytes (${maxValueBytes}): its bucket would leave the compact listpack encoding`,
        { bytes, maxValueBytes },
      )
    return encoded
  }
  const decode = (reply: Reply, key: string): V | null => {
    if (reply === null) return null
    try {
      return codec.decode(reply as string | Buffer)
    } catch (error) {
      throw new RedisExpertError('DECODE_FAILED', `${key}: ${(error as Error).message}`, {
        cause: error,
        details: { key },
      })
    }
  }
  const buffers = codec.binary
  const expire = (key: string): Command[] => (ttlMs === null ? [] : [['PEXPIRE', key, ttlMs]])

  /** Runs per-bucket command groups: one pipeline standalone; per-slot pipelines together on a Cluster. */
  const run = async (groups: Map<string, Command[]>): Promise<Map<string, Reply[]>> => {
    const bySlot = new Map<number, string[]>()
    for (const key of groups.keys()) {
      const slot = db.mode === 'cluster' ? keySlot(key) : 0
      const list = bySlot.get(slot)
      if (list) list.push(key)
      else bySlot.set(slot, [key])
    }
    const out = new Map<string, Reply[]>()
    await Promise.all(
      [...bySlot.values()].map(async (bucketKeys) => {
        for (let i = 0; i < bucketKeys.length; i += MAX_BATCH) {
          const chunk = bucketKeys.slice(i, i + MAX_BATCH)
          const commands = chunk.flatMap((key) => groups.get(key)!)
          const replies = await db.batch(commands, { buffers })
          let at = 0
          for (const key of chunk) {
            const n = groups.get(key)!.length
            out.set(key, replies.slice(at, at + n))
            at += n
          }
        }
      }),
    )
    return out
  }

  return Object.freeze({
    name,
    keyspace,
    locate,
    async get(id: string | number) {
      const { key, field } = locate(id)
      return decode(await db.call(['HGET', key, field], { buffers }), key)
    },
    async set(id: string | number, value: V) {
      const { key, field } = locate(id)
      const command: Command = ['HSET', key, field, encode(value)]
      if (ttlMs === null) await db.call(command)
      else await db.batch([command, ...expire(key)], { atomic: true })
    },
    async delete(id: string | number) {
      const { key, field } = locate(id)
      return int(await db.call(['HDEL', key, field])) === 1
    },
    async getMany(ids: readonly (string | number)[]) {
      if (!Array.isArray(ids)) throw invalidArgument('getMany takes an array of ids')
      if (ids.length === 0) return []
      const where = ids.map(locate)
      const fields = new Map<string, string[]>()
      for (const { key, field } of where) {
        const list = fields.get(key)
        if (list) list.push(field)
        else fields.set(key, [field])
      }
      const groups = new Map<string, Command[]>()
      for (const [key, list] of fields) groups.set(key, [['HMGET', key, ...list]])
      const replies = await run(groups)
      const cursor = new Map<string, number>()
      return where.map(({ key }) => {
        const at = cursor.get(key) ?? 0
        cursor.set(key, at + 1)
        return decode(((replies.get(key)?.[0] ?? []) as Reply[])[at] ?? null, key)
      })
    },
    async setMany(entries: Iterable<readonly [string | number, V]>) {
      if (entries === null || typeof (entries as Iterable<unknown>)?.[Symbol.iterator] !== 'function')
        throw invalidArgument('setMany takes an iterable of [id, value] pairs')
      const fields = new Map<string, (string | Buffer)[]>()
      for (const [id, value] of entries) {
        const { key, field } = locate(id)
        const list = fields.get(key)
        const encoded = encode(value)
        if (list) list.push(field, encoded)
        else fields.set(key, [field, encoded])
      }
      const groups = new Map<string, Command[]>()
      for (const [key, list] of fields) groups.set(key, [['HSET', key, ...list], ...expire(key)])
      if (groups.size > 0) await run(groups)
    },
    async memory(opts?: { sample?: number }) {
      strictOptions('memory options', opts, ['sample'])
      const sample = positiveInt('sample', opts?.sample, 100, 10_000)
      const bucket = keyspace.entries[0]!
      let bytes = 0
      let items = 0
      let sampled = 0
      const encodings: Record<string, number> = {}
      // SCAN, not KEYS: the first `sample` buckets the cursor meets are a fair sample of the rest.
      for await (const key of db.scan({ match: bucket.match, count: 1000, type: 'hash' })) {
        if (!bucket.tryParse(key)) continue
        const [usage, len, encoding] = await db.batch([
          // Default SAMPLES: exact for a listpack (one allocation), an estimate for a hashtable.
          ['MEMORY', 'USAGE', key],
          ['HLEN', key],
          ['OBJECT', 'ENCODING', key],
        ])
        encodings[String(encoding)] = (encodings[String(encoding)] ?? 0) + 1
        bytes += int(usage)
        items += int(len)
        if (++sampled >= sample) break
      }
      return {
        bucketsSampled: sampled,
        items,
        bytes,
        bytesPerItem: items === 0 ? 0 : bytes / items,
        encodings,
      }
    },
  })
}
