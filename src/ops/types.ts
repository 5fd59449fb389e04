import type { Fields } from '../keyspace/types.js'

/** The typed operations of a bound entry, per type. See operations.ts for the commands each sends. */

/** Remaining TTL in ms; `'persistent'` when the key has none; `'missing'` when there is no key. */
export type TtlReply = number | 'persistent' | 'missing'

/** Operations every key has. */
export interface KeyOps {
  readonly key: string
  /** UNLINK: true when a key was removed. */
  delete(): Promise<boolean>
  /** EXISTS: whether the key is there. */
  exists(): Promise<boolean>
  /** PTTL. */
  ttl(): Promise<TtlReply>
}

/** Conditions of a value write: only if absent (NX) or only if present (XX). */
export interface SetOptions {
  /** `ifAbsent`: SET NX; `ifPresent`: SET XX. Without a mode the value is always written. */
  readonly mode?: 'ifAbsent' | 'ifPresent'
}

/** `t.string()` and `t.json<T>()`. */
export interface ValueOps<T> extends KeyOps {
  /** null when the key does not exist. */
  get(): Promise<T | null>
  /** Writes the value with the TTL (SET ... PX). False when `mode` prevented the write. */
  set(value: T, options?: SetOptions): Promise<boolean>
}

export interface CounterOps extends KeyOps {
  /** null when the key does not exist. */
  get(): Promise<number | null>
  /** +1; the new value. */
  incr(): Promise<number>
  /** +by (negative to decrement); the new value. */
  incrBy(by: number): Promise<number>
  /** SET of the counter to a value, with its TTL. */
  set(value: number): Promise<void>
}

/** Field names of F whose values are numbers: the only ones `hincrBy` accepts. */
export type NumericField<F> = { [K in keyof F]-?: F[K] extends number | undefined ? K : never }[keyof F] &
  string

/** How `scan()` pages through a hash's fields. */
export interface HashScanOptions {
  /** Glob on field names (HSCAN MATCH). */
  readonly match?: string
  /** Hint of fields per round trip (HSCAN COUNT), default 100. */
  readonly count?: number
}

export interface HashOps<F> extends KeyOps {
  /** HGET: one field, decoded; null when absent. */
  hget<K extends keyof F & string>(field: K): Promise<F[K] | null>
  /** HMGET: several fields in one round trip, each decoded or null. */
  hmget<K extends keyof F & string>(...fields: K[]): Promise<{ [P in K]: F[P] | null }>
  /** Writes the given fields (undefined ones are skipped); the number of fields created. */
  hset(values: Partial<F>): Promise<number>
  /** The number of fields removed. */
  hdel(...fields: (keyof F & string)[]): Promise<number>
  /** Atomic increment of an integer field; the new value. */
  hincrBy(field: NumericField<F>, by: number): Promise<number>
  /** HEXISTS: whether the field is set. */
  hexists(field: keyof F & string): Promise<boolean>
  /** HLEN. */
  len(): Promise<number>
  /** HSCAN, page by page. May yield a field twice if the hash changes meanwhile. */
  scan(options?: HashScanOptions): AsyncIterableIterator<[keyof F & string, F[keyof F & string]]>
}

/** Only for hashes whose `maxItems` bounds them. */
export interface BoundedHashOps<F> {
  /** HGETALL: the whole hash, or null when it does not exist. */
  get(): Promise<Partial<F> | null>
}

export interface ListOps<T> extends KeyOps {
  /** RPUSH at the tail; the new length. A bounded list then drops its oldest (head) elements. */
  push(...values: T[]): Promise<number>
  /** LPUSH at the head; the new length. A bounded list then drops its oldest (tail) elements. */
  unshift(...values: T[]): Promise<number>
  /** RPOP from the tail; null when empty. */
  pop(): Promise<T | null>
  /** LPOP from the head; null when empty. */
  shift(): Promise<T | null>
  /**
   * LRANGE start..stop, inclusive, negative from the tail. On an unbounded list the window must
   * have one sign (0..99, -100..-1) so that its size is known; 0..-1 is refused (UNBOUNDED_READ).
   */
  range(start: number, stop: number): Promise<T[]>
  /** LLEN: the number of items. */
  len(): Promise<number>
}

/** How a collection scan pages through its members. */
export interface CollectionScanOptions {
  /** Hint of members per round trip (COUNT), default 100. */
  readonly count?: number
}

export interface SetOps<T> extends KeyOps {
  /** The number of members added. */
  add(...members: T[]): Promise<number>
  /** The number of members removed. */
  remove(...members: T[]): Promise<number>
  /** SISMEMBER: whether the member is in the set. */
  isMember(member: T): Promise<boolean>
  /** SCARD. */
  card(): Promise<number>
  /** SSCAN, page by page. */
  scan(options?: CollectionScanOptions): AsyncIterableIterator<T>
}

/** The whole-set read, offered only where `maxItems` bounds the set. */
export interface BoundedSetOps<T> {
  /** SMEMBERS: every member. */
  members(): Promise<T[]>
}

/** A sorted set member with its score. */
export interface ScoredMember<T> {
  readonly member: T
  readonly score: number
}

/** The direction of a sorted set read. */
export interface ZRangeOptions {
  /** Highest score first (ZREVRANGE / ZREVRANGEBYSCORE). */
  readonly reverse?: boolean
}

/** A score-range read of a sorted set: direction, offset and count. */
export interface ZScoreRangeOptions extends ZRangeOptions {
  readonly offset?: number
  /** Required on an unbounded sorted set. */
  readonly count?: number
}

export interface ZsetOps<T, Bounded extends boolean = false> extends KeyOps {
  /** ZADD; the number of members added (updates of existing ones are not counted). */
  add(...entries: ScoredMember<T>[]): Promise<number>
  /** ZINCRBY; the new score. */
  incr(member: T, by: number): Promise<number>
  /** ZSCORE: the member's score, or null. */
  score(member: T): Promise<number | null>
  /** 0-based rank, lowest score first (highest first with reverse); null when absent. */
  rank(member: T, options?: ZRangeOptions): Promise<number | null>
  /** By rank, inclusive, negative from the end; one sign only on an unbounded sorted set. */
  range(start: number, stop: number, options?: ZRangeOptions): Promise<ScoredMember<T>[]>
  /** By score, inclusive (±Infinity for open ends); `count` is required on an unbounded sorted set. */
  rangeByScore(
    min: number,
    max: number,
    ...options: Bounded extends true
      ? [options?: ZScoreRangeOptions]
      : [options: ZScoreRangeOptions & { readonly count: number }]
  ): Promise<ScoredMember<T>[]>
  /** ZREM: the number of members removed. */
  remove(...members: T[]): Promise<number>
  /** ZCARD: the number of members. */
  card(): Promise<number>
  /**
   * ZSCAN, page by page: members with their scores. May yield a member twice if the set changes meanwhile.
   */
  scan(options?: CollectionScanOptions): AsyncIterableIterator<ScoredMember<T>>
}

/** A stream entry: its id and decoded fields. */
export interface StreamEntry<F> {
  readonly id: string
  readonly fields: F
}

/** Options of a stream `add`. */
export interface StreamAddOptions {
  /** Explicit id (`<ms>-<seq>`); default `*`, assigned by the server. */
  readonly id?: string
}

/** The id range and count of a stream read. */
export interface StreamRangeOptions {
  /** Default `-` (the first entry). */
  readonly start?: string
  /** Default `+` (the last entry). */
  readonly end?: string
  /** Newest first (XREVRANGE). */
  readonly reverse?: boolean
}

export interface StreamOps<F, Bounded extends boolean> extends KeyOps {
  /** XADD (with MAXLEN ~ maxItems when bounded); the new entry's id. */
  add(fields: F, options?: StreamAddOptions): Promise<string>
  /** XLEN: the number of entries. */
  len(): Promise<number>
  /** XRANGE with COUNT: required when unbounded, default maxItems when bounded. */
  range(
    options: Bounded extends true
      ? StreamRangeOptions & { readonly count?: number }
      : StreamRangeOptions & { readonly count: number },
  ): Promise<StreamEntry<F>[]>
}

/** A key to combine with (another HyperLogLog): its handle or its key. */
export type KeyRef = string | { readonly key: string }

export interface HllOps extends KeyOps {
  /** PFADD; true when the estimate changed. */
  add(...elements: string[]): Promise<boolean>
  /** PFCOUNT of this key, or of the union with `others` (same hash tag on a Cluster). */
  count(...others: KeyRef[]): Promise<number>
  /** PFMERGE the sources into this key (same hash tag on a Cluster). */
  merge(...sources: KeyRef[]): Promise<void>
}

/** A range of a bitmap for BITCOUNT, in bytes or (Redis 7) bits. */
export interface BitCountRange {
  readonly start: number
  readonly end: number
  /** Default `byte`; `bit` needs Redis 7. */
  readonly unit?: 'byte' | 'bit'
}

export interface BitmapOps extends KeyOps {
  /** SETBIT; the previous bit. */
  setBit(offset: number, bit: 0 | 1): Promise<0 | 1>
  /** GETBIT: the bit at the offset (0 past the end). */
  getBit(offset: number): Promise<0 | 1>
  /** BITCOUNT of the whole bitmap or of a range. */
  count(range?: BitCountRange): Promise<number>
}

export type { Fields }
