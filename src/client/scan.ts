import type { Executor } from '../common/types.js'
import { optionNames, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'

/**
 * Options of `db.scan()`: the pattern, the work per call, a type filter, deduplication and binary key
 * names.
 */
export interface ScanOptions {
  /** A glob, e.g. `keyspace.user.match` for every key of one entry. */
  readonly match?: string
  /** Work per SCAN call (a hint to the server), default 100; at most the guard's maxRange. */
  readonly count?: number
  /** Only keys of this type (Redis 6+): string, list, set, zset, hash, stream. */
  readonly type?: string
  /**
   * SCAN may return a key twice (when the table is resized mid-scan). With `dedupe` (the
   * default) each key is yielded once, at the cost of remembering every key seen; turn it
   * off for keyspaces too large to remember, and tolerate repeats.
   */
  readonly dedupe?: boolean
  /**
   * Key names as Buffers, exactly as stored. Without it names are decoded as UTF-8, which is
   * lossy for binary names (`\xfe` and `\xff` both become U+FFFD): use it where names may be
   * binary, and pass the Buffers back to commands.
   */
  readonly buffers?: boolean
}

/** Options of HSCAN / SSCAN / ZSCAN: no TYPE filter. */
export type KeyScanOptions = Omit<ScanOptions, 'type'>

const TYPES = new Set(['string', 'list', 'set', 'zset', 'hash', 'stream'])

const SCAN_OPTIONS = optionNames<ScanOptions>({
  match: true,
  count: true,
  type: true,
  dedupe: true,
  buffers: true,
})

export function checkScanOptions(options: ScanOptions): void {
  strictOptions('scan options', options, SCAN_OPTIONS)
  if (options.match !== undefined && typeof options.match !== 'string')
    throw invalidArgument('match must be a glob string')
  if (options.count !== undefined && (!Number.isInteger(options.count) || options.count < 1))
    throw invalidArgument('count must be a positive integer', { count: options.count })
  if (options.buffers !== undefined && typeof options.buffers !== 'boolean')
    throw invalidArgument('buffers must be a boolean')
  if (options.type !== undefined && !TYPES.has(options.type))
    throw invalidArgument(`type must be one of ${[...TYPES].join(', ')}`, { type: options.type })
}

/**
 * Every key of every master, one SCAN page at a time: O(1) work per call on the server,
 * never blocking it the way KEYS does. Keys present for the whole scan are yielded; keys
 * created or deleted meanwhile may or may not be.
 */
export async function* scanNodes(
  nodes: readonly Executor[],
  options: ScanOptions,
): AsyncGenerator<string | Buffer> {
  const seen = options.dedupe === false ? null : new Set<string>()
  const buffers = options.buffers === true
  for (const node of nodes) {
    let cursor = '0'
    do {
      const command = ['SCAN', cursor, 'COUNT', String(options.count ?? 100)]
      if (options.match !== undefined) command.push('MATCH', options.match)
      if (options.type !== undefined) command.push('TYPE', options.type)
      const [next, keys] = (await node.call(command, { buffers })) as [string | Buffer, (string | Buffer)[]]
      cursor = next.toString()
      for (const key of keys) {
        if (seen) {
          // latin1 maps bytes one to one: binary names stay distinct.
          const id = typeof key === 'string' ? key : key.toString('latin1')
          if (seen.has(id)) continue
          seen.add(id)
        }
        yield key
      }
    } while (cursor !== '0')
  }
}

/** HSCAN / SSCAN / ZSCAN over one key: field–value pairs, members, or member–score pairs. */
export async function* scanKey(
  db: Executor,
  verb: 'HSCAN' | 'SSCAN' | 'ZSCAN',
  key: string | Buffer,
  options: KeyScanOptions,
): AsyncGenerator<(string | Buffer)[]> {
  const width = verb === 'SSCAN' ? 1 : 2
  const buffers = options.buffers === true
  let cursor = '0'
  do {
    const command = [verb, key, cursor, 'COUNT', String(options.count ?? 100)]
    if (options.match !== undefined) command.push('MATCH', options.match)
    const [next, items] = (await db.call(command, { buffers })) as [string | Buffer, (string | Buffer)[]]
    cursor = next.toString()
    for (let i = 0; i + width <= items.length; i += width) yield items.slice(i, i + width)
  } while (cursor !== '0')
}
