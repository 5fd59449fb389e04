import type { Reply } from '../common/types.js'
import { nonNegativeInt, positiveInt, safeInt, strictOptions } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import { checkBound, decode, encode, read, write } from './context.js'
import { KeyHandle } from './key.js'
import { asArray, asInteger, asScore } from './replies.js'
import { scanPages } from './scan.js'
import type {
  CollectionScanOptions,
  ScoredMember,
  ZRangeOptions,
  ZScoreRangeOptions,
  ZsetOps,
} from './types.js'
import { atLeastOne, invalid, scanCount, score } from './validate.js'

/**
 * `t.zset<T>()`: members through the entry codec, scores as numbers. Uses the commands that exist
 * since Redis 6.0 (ZREVRANGE, ZRANGEBYSCORE...) rather than ZRANGE's 6.2 options.
 */
export class ZsetHandle<T> extends KeyHandle implements ZsetOps<T, boolean> {
  async add(...entries: ScoredMember<T>[]): Promise<number> {
    const args: (string | Buffer)[] = []
    for (const entry of atLeastOne('add', 'entry', entries)) {
      if (typeof entry !== 'object' || entry === null) throw invalid('add', 'each entry is { member, score }')
      args.push(score('add', entry.score), encode(this.ctx, entry.member))
    }
    const [reply] = await write(this.ctx, [['ZADD', this.ctx.key, ...args]])
    return asInteger(reply ?? null, 'ZADD')
  }

  async incr(member: T, by: number): Promise<number> {
    const increment = score('incr', by)
    const [reply] = await write(this.ctx, [['ZINCRBY', this.ctx.key, increment, encode(this.ctx, member)]])
    return asScore(reply ?? null, 'ZINCRBY')
  }

  async score(member: T): Promise<number | null> {
    const reply = await read(this.ctx, ['ZSCORE', this.ctx.key, encode(this.ctx, member)])
    return reply === null ? null : asScore(reply, 'ZSCORE')
  }

  async rank(member: T, options: ZRangeOptions = {}): Promise<number | null> {
    strictOptions('rank options', options, ['reverse'])
    const command = options.reverse ? 'ZREVRANK' : 'ZRANK'
    const reply = await read(this.ctx, [command, this.ctx.key, encode(this.ctx, member)])
    return reply === null ? null : asInteger(reply, command)
  }

  async range(start: number, stop: number, options: ZRangeOptions = {}): Promise<ScoredMember<T>[]> {
    strictOptions('range options', options, ['reverse'])
    const from = safeInt('range start', start)
    const to = safeInt('range stop', stop)
    if (this.ctx.policy.maxItems === null && from >= 0 !== to >= 0) {
      throw this.#unbounded(
        `range(${from}, ${to})`,
        'ZRANGE',
        'use a rank window of one sign (e.g. 0..9 or -10..-1)',
      )
    }
    const command = options.reverse ? 'ZREVRANGE' : 'ZRANGE'
    const scored = this.#scored(
      await read(this.ctx, [command, this.ctx.key, from, to, 'WITHSCORES']),
      command,
    )
    checkBound(this.ctx, command, scored.length)
    return scored
  }

  async rangeByScore(min: number, max: number, options?: ZScoreRangeOptions): Promise<ScoredMember<T>[]> {
    strictOptions('rangeByScore options', options, ['reverse', 'offset', 'count'])
    const low = score('rangeByScore', min)
    const high = score('rangeByScore', max)
    const offset = nonNegativeInt('rangeByScore offset', options?.offset ?? 0)
    let count = options?.count
    // Without a count a bounded zset is read up to its bound — and one more, to notice a zset
    // grown past it (reported by checkBound; in warn mode the first maxItems come back).
    const bound = count === undefined ? this.ctx.policy.maxItems : null
    if (count === undefined) {
      if (bound === null) {
        throw this.#unbounded('rangeByScore without count', 'ZRANGEBYSCORE', 'pass { count }')
      }
      count = bound + 1
    }
    const limit = positiveInt('rangeByScore count', count, undefined, Number.MAX_SAFE_INTEGER)
    const command = options?.reverse ? 'ZREVRANGEBYSCORE' : 'ZRANGEBYSCORE'
    // ZREVRANGEBYSCORE takes max before min.
    const bounds = options?.reverse ? [high, low] : [low, high]
    const reply = await read(this.ctx, [
      command,
      this.ctx.key,
      ...bounds,
      'WITHSCORES',
      'LIMIT',
      offset,
      limit,
    ])
    const scored = this.#scored(reply, command)
    if (bound === null) return scored
    checkBound(this.ctx, command, scored.length)
    return scored.length > bound ? scored.slice(0, bound) : scored
  }

  async remove(...members: T[]): Promise<number> {
    const encoded = atLeastOne('remove', 'member', members).map((m) => encode(this.ctx, m))
    const [reply] = await write(this.ctx, [['ZREM', this.ctx.key, ...encoded]])
    return asInteger(reply ?? null, 'ZREM')
  }

  async card(): Promise<number> {
    return asInteger(await read(this.ctx, ['ZCARD', this.ctx.key]), 'ZCARD')
  }

  scan(options: CollectionScanOptions = {}): AsyncIterableIterator<ScoredMember<T>> {
    strictOptions('scan options', options, ['count'])
    return this.#scan(scanCount('scan', options.count))
  }

  async *#scan(count: number): AsyncIterableIterator<ScoredMember<T>> {
    for await (const page of scanPages(this.ctx, 'ZSCAN', { count })) yield* this.#pairs(page, 'ZSCAN')
  }

  #scored(reply: Reply, command: string): ScoredMember<T>[] {
    return this.#pairs(asArray(reply, command), command)
  }

  #pairs(flat: readonly Reply[], command: string): ScoredMember<T>[] {
    const out: ScoredMember<T>[] = []
    for (let i = 0; i < flat.length; i += 2) {
      out.push({ member: decode<T>(this.ctx, flat[i] ?? null), score: asScore(flat[i + 1] ?? null, command) })
    }
    return out
  }

  #unbounded(call: string, command: string, instead: string): RedisExpertError {
    return new RedisExpertError(
      'UNBOUNDED_READ',
      `${call} on '${this.ctx.policy.name}' is an unbounded read of a sorted set with no declared bound; ${instead}, or declare maxItems`,
      { details: { entry: this.ctx.policy.name, key: this.ctx.key, command } },
    )
  }
}
