import { strictOptions } from '../common/validate.js'
import type { TypeKind } from './types.js'

/** The encodings thresholds Redis uses to keep small collections compact (listpack / intset). */
export interface ListpackLimits {
  /** hash-max-listpack-entries (default 512) */
  readonly hashEntries: number
  /** hash-max-listpack-value, bytes (default 64) */
  readonly hashValue: number
  /** zset-max-listpack-entries (default 128) */
  readonly zsetEntries: number
  /** zset-max-listpack-value, bytes (default 64) */
  readonly zsetValue: number
  /** set-max-intset-entries (default 512) */
  readonly setIntsetEntries: number
  /** set-max-listpack-entries (7.2+, default 128); null before 7.2, where sets are intset or hashtable only */
  readonly setEntries: number | null
  /** set-max-listpack-value (7.2+, default 64) */
  readonly setValue: number | null
  /** list-max-listpack-size (default -2: 8 KiB per node) */
  readonly listSize: number
}

/**
 * The servers' own defaults, used offline (no --url): what CONFIG GET answers on a bare
 * redis-server 7.0.15 and valkey-server 8.0.1 (test/client/listpack-defaults.test.ts starts both
 * and compares). set-max-listpack-* exist from Redis 7.2 and in Valkey; a 7.0 server has no
 * listpack sets (the probe then reports null).
 */
export const DEFAULT_LISTPACK_LIMITS: ListpackLimits = {
  hashEntries: 512,
  hashValue: 64,
  zsetEntries: 128,
  zsetValue: 64,
  setIntsetEntries: 512,
  setEntries: 128,
  setValue: 64,
  listSize: -2,
}

/** What the prediction needs to know about the server; both default to an offline Redis 7.2+. */
export interface ServerTraits {
  readonly limits?: ListpackLimits
  /** `7.0.15`; null/absent: inferred from the limits (set-max-listpack-* exists from 7.2). */
  readonly version?: string | null
}

/** The shape of one entry that decides its encoding. */
export interface EncodingInput {
  readonly kind: TypeKind
  /** Set members are integers. */
  readonly integers?: boolean
  /** Fields / members / elements; null: unbounded (the collection may grow past every limit). */
  readonly items: number | null
  /**
   * Largest stored value in bytes (after the codec); null: assumed to fit the listpack value
   * limit for collections, and to exceed the 44-byte embstr limit for strings.
   */
  readonly valueBytes: number | null
}

/** The encoding Redis will choose for an entry's keys, and the condition behind it. */
export interface EncodingPrediction {
  /** As `OBJECT ENCODING` reports it: listpack, hashtable, skiplist, intset, quicklist, embstr, raw, int, stream, ziplist. */
  readonly encoding: string
  /** The condition behind it, for tables and the decision log. */
  readonly note: string
}

/** Longest string Redis stores as `embstr` (one allocation with the object header). */
export const EMBSTR_MAX_BYTES = 44
/**
 * Longest value Redis accepts by default (`proto-max-bulk-len`, 512 MB): the `maxValueBytes` of
 * an entry whose values are the application's payloads, of any size.
 */
export const MAX_BULK_BYTES = 512 * 1024 * 1024
/** Value size assumed for collections when the entry declares no `maxValueBytes`. */
const ASSUMED_ELEMENT_BYTES = 64

interface Version {
  readonly major: number
  readonly minor: number
}

function serverVersion(traits: ServerTraits, limits: ListpackLimits): Version {
  const match = /^(\d+)\.(\d+)/.exec(traits.version ?? '')
  if (match) return { major: Number(match[1]), minor: Number(match[2]) }
  // Without a version: set-max-listpack-entries only exists from 7.2.
  return limits.setEntries === null ? { major: 7, minor: 0 } : { major: 7, minor: 2 }
}

const atLeast = (v: Version, major: number, minor: number) =>
  v.major > major || (v.major === major && v.minor >= minor)

/**
 * The encoding Redis will use for a key of this shape once it holds `items` values, for the
 * given server limits. Mirrors the server's conversion rules: a collection starts compact and
 * converts (one way, while growing) once it exceeds the entry count or the value size limit.
 */
export function predictEncoding(input: EncodingInput, traits: ServerTraits = {}): EncodingPrediction {
  strictOptions('server traits', traits, ['limits', 'version'])
  const limits = traits.limits ?? DEFAULT_LISTPACK_LIMITS
  const version = serverVersion(traits, limits)
  const compact = atLeast(version, 7, 0) ? 'listpack' : 'ziplist'
  const { items, valueBytes } = input
  const fits = (maxEntries: number, maxValue: number) =>
    items !== null && items <= maxEntries && (valueBytes ?? 0) <= maxValue
  const bound = items === null ? 'unbounded' : `${items} items`
  switch (input.kind) {
    case 'hash':
      return fits(limits.hashEntries, limits.hashValue)
        ? {
            encoding: compact,
            note: `${bound} ≤ ${limits.hashEntries} fields of ≤ ${limits.hashValue} bytes`,
          }
        : {
            encoding: 'hashtable',
            note: `${exceeds(items, valueBytes, limits.hashEntries, limits.hashValue)}`,
          }
    case 'zset':
      return fits(limits.zsetEntries, limits.zsetValue)
        ? {
            encoding: compact,
            note: `${bound} ≤ ${limits.zsetEntries} members of ≤ ${limits.zsetValue} bytes`,
          }
        : {
            encoding: 'skiplist',
            note: `${exceeds(items, valueBytes, limits.zsetEntries, limits.zsetValue)}`,
          }
    case 'set':
      return predictSet(input, limits, atLeast(version, 7, 2))
    case 'list':
      return predictList(input, limits, atLeast(version, 7, 2))
    case 'string':
    case 'json':
      if (valueBytes !== null && valueBytes <= EMBSTR_MAX_BYTES) {
        return {
          encoding: 'embstr',
          note: `values ≤ ${EMBSTR_MAX_BYTES} bytes (int when the value is an integer)`,
        }
      }
      return {
        encoding: 'raw',
        note:
          valueBytes === null
            ? `values assumed > ${EMBSTR_MAX_BYTES} bytes; embstr if maxValueBytes ≤ ${EMBSTR_MAX_BYTES}`
            : `values up to ${valueBytes} bytes > ${EMBSTR_MAX_BYTES}`,
      }
    case 'counter':
      return { encoding: 'int', note: 'a 64-bit integer in the object itself' }
    case 'hll':
      return { encoding: 'raw', note: 'a HyperLogLog is a string (sparse, then dense at 12 KB)' }
    case 'bitmap':
      return { encoding: 'raw', note: 'a bitmap is a string of ⌈maxOffset/8⌉ bytes' }
    case 'stream':
      return { encoding: 'stream', note: 'a radix tree of listpacks' }
  }
}

function exceeds(
  items: number | null,
  valueBytes: number | null,
  maxEntries: number,
  maxValue: number,
): string {
  if (items === null) return `unbounded: past ${maxEntries} items`
  if (items > maxEntries) return `${items} items > ${maxEntries}`
  return `values up to ${valueBytes} bytes > ${maxValue}`
}

function predictSet(
  input: EncodingInput,
  limits: ListpackLimits,
  smallListpack: boolean,
): EncodingPrediction {
  const { items, valueBytes } = input
  if (input.integers && items !== null && items <= limits.setIntsetEntries) {
    return { encoding: 'intset', note: `${items} integers ≤ ${limits.setIntsetEntries}` }
  }
  if (smallListpack && limits.setEntries !== null && items !== null && items <= limits.setEntries) {
    const maxValue = limits.setValue ?? ASSUMED_ELEMENT_BYTES
    if ((valueBytes ?? 0) <= maxValue) {
      return { encoding: 'listpack', note: `${items} members ≤ ${limits.setEntries} of ≤ ${maxValue} bytes` }
    }
  }
  if (!smallListpack) {
    return {
      encoding: 'hashtable',
      note: input.integers
        ? exceeds(items, null, limits.setIntsetEntries, 0)
        : 'before Redis 7.2 a set of non-integers is always a hashtable',
    }
  }
  return {
    encoding: 'hashtable',
    note: exceeds(items, valueBytes, limits.setEntries ?? 0, limits.setValue ?? 0),
  }
}

function predictList(
  input: EncodingInput,
  limits: ListpackLimits,
  smallListpack: boolean,
): EncodingPrediction {
  const { items } = input
  if (!smallListpack) return { encoding: 'quicklist', note: 'before Redis 7.2 every list is a quicklist' }
  if (items === null) return { encoding: 'quicklist', note: 'unbounded: past one listpack node' }
  const bytes = listpackBytes(items, input.valueBytes ?? ASSUMED_ELEMENT_BYTES)
  const maxBytes = limits.listSize < 0 ? 4096 * 2 ** (Math.min(-limits.listSize, 5) - 1) : SIZE_SAFETY_LIMIT
  const countOk = limits.listSize < 0 || items <= limits.listSize
  if (countOk && bytes <= maxBytes) {
    return { encoding: 'listpack', note: `${items} elements ≈ ${bytes} bytes fit one node (≤ ${maxBytes})` }
  }
  return {
    encoding: 'quicklist',
    note: countOk
      ? `${items} elements ≈ ${bytes} bytes > ${maxBytes}`
      : `${items} elements > ${limits.listSize}`,
  }
}

/** Redis caps a node at 8 KB whatever a positive list-max-listpack-size says. */
const SIZE_SAFETY_LIMIT = 8192

/** Size of a listpack of `count` strings of `bytes` bytes: 6-byte header, entries, 1-byte end. */
export function listpackBytes(count: number, bytes: number): number {
  const header = bytes < 64 ? 1 : bytes < 4096 ? 2 : 5
  const entry = header + bytes
  const backlen = entry < 128 ? 1 : entry < 16384 ? 2 : entry < 2097152 ? 3 : entry < 268435456 ? 4 : 5
  return 6 + count * (entry + backlen) + 1
}
