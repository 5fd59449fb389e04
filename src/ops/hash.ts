import { safeInt, strictOptions } from '../common/validate.js'
import { checkBound, decode, decodeOrNull, encode, read, write } from './context.js'
import { KeyHandle } from './key.js'
import { asArray, asInteger, asText } from './replies.js'
import { scanPages } from './scan.js'
import type { BoundedHashOps, HashOps, HashScanOptions, NumericField } from './types.js'
import { atLeastOne, fieldName, invalid, plainObject, scanCount } from './validate.js'

/**
 * `t.hash<T>()`: field names are stored as given, field values through the entry codec (each
 * value separately, so single fields can be read and written).
 */
export class HashHandle<F> extends KeyHandle implements HashOps<F>, BoundedHashOps<F> {
  async hget<K extends keyof F & string>(field: K): Promise<F[K] | null> {
    const name = fieldName('hget', field)
    return decodeOrNull<F[K]>(this.ctx, await read(this.ctx, ['HGET', this.ctx.key, name]), name)
  }

  async hmget<K extends keyof F & string>(...fields: K[]): Promise<{ [P in K]: F[P] | null }> {
    const names = atLeastOne('hmget', 'field', fields).map((f) => fieldName('hmget', f))
    const values = asArray(await read(this.ctx, ['HMGET', this.ctx.key, ...names]), 'HMGET')
    // fromEntries defines own properties: a field named __proto__ stays a field.
    return Object.fromEntries(
      names.map((name, i) => [name, decodeOrNull(this.ctx, values[i] ?? null, name)]),
    ) as { [P in K]: F[P] | null }
  }

  async hset(values: Partial<F>): Promise<number> {
    const args: (string | Buffer)[] = []
    for (const [name, value] of Object.entries(plainObject('hset', values))) {
      if (value !== undefined) args.push(name, encode(this.ctx, value, name))
    }
    if (args.length === 0) throw invalid('hset', 'needs at least one field with a defined value')
    const [reply] = await write(this.ctx, [['HSET', this.ctx.key, ...args]])
    return asInteger(reply ?? null, 'HSET')
  }

  async hdel(...fields: (keyof F & string)[]): Promise<number> {
    const names = atLeastOne('hdel', 'field', fields).map((f) => fieldName('hdel', f))
    const [reply] = await write(this.ctx, [['HDEL', this.ctx.key, ...names]])
    return asInteger(reply ?? null, 'HDEL')
  }

  /**
   * HINCRBY works on decimal text, which is what the json codec writes for an integer; a
   * binary codec's integers are not decimal text, so it is refused before sending.
   */
  async hincrBy(field: NumericField<F>, by: number): Promise<number> {
    const name = fieldName('hincrBy', field)
    const n = safeInt('hincrBy by', by)
    const codec = this.ctx.policy.codec
    if (codec?.binary) {
      throw invalid(
        'hincrBy',
        `the ${codec.name} codec does not store integers as decimal text; HINCRBY cannot work`,
      )
    }
    const [reply] = await write(this.ctx, [['HINCRBY', this.ctx.key, name, n]])
    return asInteger(reply ?? null, 'HINCRBY')
  }

  async hexists(field: keyof F & string): Promise<boolean> {
    const name = fieldName('hexists', field)
    return asInteger(await read(this.ctx, ['HEXISTS', this.ctx.key, name]), 'HEXISTS') === 1
  }

  async len(): Promise<number> {
    return asInteger(await read(this.ctx, ['HLEN', this.ctx.key]), 'HLEN')
  }

  async get(): Promise<Partial<F> | null> {
    this.assertBounded('get', 'HGETALL', 'iterate with scan()')
    const flat = asArray(await read(this.ctx, ['HGETALL', this.ctx.key]), 'HGETALL')
    if (flat.length === 0) return null
    checkBound(this.ctx, 'HGETALL', flat.length / 2)
    const pairs: [string, unknown][] = []
    for (let i = 0; i < flat.length; i += 2) {
      const name = asText(flat[i] ?? null, 'HGETALL')
      pairs.push([name, decode(this.ctx, flat[i + 1] ?? null, name)])
    }
    // fromEntries defines own properties: a stored field named __proto__ stays a field.
    return Object.fromEntries(pairs) as Partial<F>
  }

  /** Validates eagerly, then iterates lazily (one HSCAN per page). */
  scan(options: HashScanOptions = {}): AsyncIterableIterator<[keyof F & string, F[keyof F & string]]> {
    strictOptions('scan options', options, ['match', 'count'])
    const count = scanCount('scan', options.count)
    if (options.match !== undefined && typeof options.match !== 'string') {
      throw invalid('scan', 'match must be a glob string')
    }
    return this.#scan(count, options.match)
  }

  async *#scan(
    count: number,
    match: string | undefined,
  ): AsyncIterableIterator<[keyof F & string, F[keyof F & string]]> {
    for await (const page of scanPages(this.ctx, 'HSCAN', {
      count,
      ...(match === undefined ? {} : { match }),
    })) {
      for (let i = 0; i < page.length; i += 2) {
        const name = asText(page[i] ?? null, 'HSCAN')
        yield [name as keyof F & string, decode<F[keyof F & string]>(this.ctx, page[i + 1] ?? null, name)]
      }
    }
  }
}
