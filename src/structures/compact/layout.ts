import { invalidArgument } from '../../errors.js'

/**
 * Where an item lives: which bucket (a small hash) and which field of it.
 *
 * - Integer ids (Instagram's layout): bucket = ⌊id / perBucket⌋, field = id mod perBucket. Every
 *   bucket holds at most perBucket fields, and the fields are small integers that a listpack
 *   stores in one or two bytes.
 * - String ids: bucket = FNV-1a(id) mod buckets, field = the id. With buckets sized for ~64 items
 *   on average, even the fullest of 100k buckets stays under 128 entries (the listpack limit).
 */
export interface Layout {
  readonly buckets: number | null
  locate(id: string | number): { bucket: number; field: string }
}

export function integerLayout(perBucket: number): Layout {
  return {
    buckets: null,
    locate(id) {
      if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0)
        throw invalidArgument("with keys: 'integer', an id is an integer ≥ 0", { id })
      return { bucket: Math.floor(id / perBucket), field: String(id % perBucket) }
    },
  }
}

export function stringLayout(buckets: number, maxFieldBytes: number): Layout {
  return {
    buckets,
    locate(id) {
      const field = typeof id === 'number' && Number.isSafeInteger(id) ? String(id) : id
      if (typeof field !== 'string' || field === '')
        throw invalidArgument('an id is a non-empty string (or a safe integer)', { id })
      if (Buffer.byteLength(field) > maxFieldBytes)
        throw invalidArgument(
          `id is longer than ${maxFieldBytes} bytes: as a hash field it would turn its bucket into a hashtable and lose the saving`,
          { id: field.slice(0, 100) },
        )
      return { bucket: fnv1a(field) % buckets, field }
    },
  }
}

/** FNV-1a, 32 bits, over the UTF-16 code units: fast, and well spread for short keys. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}
