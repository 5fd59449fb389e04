import { strictOptions } from '../common/validate.js'

/**
 * The value types of keyspace entries. `t.hash<User>()` returns a small runtime descriptor
 * (`{ kind: 'hash' }`) whose type parameter flows, through `defineKeyspace`, into the typed
 * operations of the bound keyspace.
 */

export type TypeKind =
  | 'string'
  | 'counter'
  | 'json'
  | 'hash'
  | 'list'
  | 'set'
  | 'zset'
  | 'stream'
  | 'hll'
  | 'bitmap'

declare const valueType: unique symbol

/**
 * What `t.*()` returns: the Redis type of an entry and, in the type parameter only, the TypeScript type of
 * its values.
 */
export interface TypeDescriptor<K extends TypeKind = TypeKind, T = unknown> {
  readonly kind: K
  /** Set members are integers (stored in decimal: the compact `intset` encoding). */
  readonly integers?: boolean
  /** Phantom: carries `T` at the type level only; never present at run time. */
  readonly [valueType]?: T
}

/**
 * Any type descriptor, without its value type. Declarations are typed with this rather than
 * `TypeDescriptor<TypeKind, unknown>`: that contextual type would make TypeScript infer
 * `T = unknown` for `t.zset()` instead of using the builder's default (`string`).
 */
export interface TypeSpec {
  readonly kind: TypeKind
  readonly integers?: boolean
}

/**
 * The fields of a hash or stream entry of value type `T`. An object type is a shape (each
 * property is a field); any other type is the type of every field's value (`t.hash<number>()`
 * is a map of string fields to numbers). For a map of objects write `t.hash<Record<string, Obj>>()`.
 */
export type Fields<T> = T extends readonly unknown[]
  ? Record<string, T>
  : T extends object
    ? T
    : Record<string, T>

/** The type of a text value entry. */
export type StringType = TypeDescriptor<'string', string>
/** The type of a counter entry: an integer changed with INCRBY. */
export type CounterType = TypeDescriptor<'counter', number>
/** The type of a JSON value entry holding a T. */
export type JsonType<T> = TypeDescriptor<'json', T>
/** The type of a hash entry whose fields are T's. */
export type HashType<T> = TypeDescriptor<'hash', T>
/** The type of a list entry of T's. */
export type ListType<T> = TypeDescriptor<'list', T>
/** The type of a set entry of T's. */
export type SetType<T> = TypeDescriptor<'set', T>
/** The type of a sorted set entry of T's. */
export type ZsetType<T> = TypeDescriptor<'zset', T>
/** The type of a stream entry whose entries carry fields T. */
export type StreamType<T> = TypeDescriptor<'stream', T>
/** The type of a HyperLogLog entry: approximate distinct counts in at most 12 KB. */
export type HllType = TypeDescriptor<'hll', string>
/** The type of a bitmap entry: bits by offset. */
export type BitmapType = TypeDescriptor<'bitmap', 0 | 1>

function descriptor<K extends TypeKind, T>(
  kind: K,
  extra: { integers?: boolean } = {},
): TypeDescriptor<K, T> {
  return Object.freeze({ kind, ...extra }) as TypeDescriptor<K, T>
}

interface SetBuilder {
  /** A set of integers: stored in decimal, so small sets use the compact `intset` encoding. */
  (options: { readonly integers: true }): SetType<number>
  <T = string>(): SetType<T>
}

const set: SetBuilder = ((options?: { readonly integers?: boolean }) => {
  strictOptions('t.set() options', options, ['integers'])
  return descriptor('set', options?.integers === true ? { integers: true } : {})
}) as SetBuilder

/**
 * The value types an entry can declare (`t.hash<User>()`, `t.json<Product>()`, …): each picks the Redis
 * type and the typed operations of the entry.
 */
export const t = {
  /** A text value (default codec `raw`). Operations: get, set, delete, exists, ttl. */
  string: (): StringType => descriptor('string'),
  /** An integer changed with INCRBY; stored in decimal. */
  counter: (): CounterType => descriptor('counter'),
  /** A structured value in one string key (default codec `json`). */
  json: <T>(): JsonType<T> => descriptor('json'),
  /** A hash: fields of `T` (an object shape) or a map of fields to `T`. */
  hash: <T = Record<string, string>>(): HashType<T> => descriptor('hash'),
  /** A list of T (LPUSH/RPUSH, bounded ranges; whole reads only with maxItems). */
  list: <T = string>(): ListType<T> => descriptor('list'),
  set,
  /** A sorted set of members `T` with numeric scores. */
  zset: <T = string>(): ZsetType<T> => descriptor('zset'),
  /** A stream whose entries have the fields of `T`. */
  stream: <T = Record<string, string>>(): StreamType<T> => descriptor('stream'),
  /** A HyperLogLog: approximate distinct counts in ≤ 12 KB. */
  hll: (): HllType => descriptor('hll'),
  /** A bitmap: one bit per integer offset, in a string. */
  bitmap: (): BitmapType => descriptor('bitmap'),
} as const

export const TYPE_KINDS: readonly TypeKind[] = [
  'string',
  'counter',
  'json',
  'hash',
  'list',
  'set',
  'zset',
  'stream',
  'hll',
  'bitmap',
]

export function isTypeDescriptor(value: unknown): value is TypeDescriptor {
  return (
    typeof value === 'object' &&
    value !== null &&
    TYPE_KINDS.includes((value as { kind?: unknown }).kind as TypeKind)
  )
}

/** Kinds whose size `maxItems` bounds (fields, elements, members, entries). */
export const COLLECTION_KINDS: readonly TypeKind[] = ['hash', 'list', 'set', 'zset', 'stream']

/** Kinds whose values go through a codec (others store integers, bits or HLL registers). */
export const CODEC_KINDS: readonly TypeKind[] = ['string', 'json', 'hash', 'list', 'set', 'zset', 'stream']
