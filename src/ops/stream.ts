import type { Reply } from '../common/types.js'
import { positiveInt, strictOptions } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import { decode, encode, read, write } from './context.js'
import { KeyHandle } from './key.js'
import { asArray, asInteger, asText } from './replies.js'
import type { StreamAddOptions, StreamEntry, StreamOps, StreamRangeOptions } from './types.js'
import { invalid, plainObject } from './validate.js'

/** Stream ids as XADD and XRANGE take them: `*` (XADD only), `<ms>`, `<ms>-<seq>`, `<ms>-*`, `-`, `+`. */
const ADD_ID = /^(\*|\d+(-(\d+|\*))?)$/
const RANGE_ID = /^(-|\+|\(?\d+(-\d+)?)$/

/**
 * `t.stream<F>()`: each entry's field values go through the entry codec, like a hash's. A
 * stream with `maxItems` is trimmed by every XADD (MAXLEN ~: whole nodes only, so it stays
 * O(1) amortized and may briefly hold a few more entries than the bound).
 */
export class StreamHandle<F> extends KeyHandle implements StreamOps<F, boolean> {
  async add(fields: F, options: StreamAddOptions = {}): Promise<string> {
    strictOptions('add options', options, ['id'])
    const args: (string | Buffer)[] = []
    for (const [name, value] of Object.entries(plainObject('add', fields))) {
      if (value !== undefined) args.push(name, encode(this.ctx, value, name))
    }
    if (args.length === 0)
      throw invalid('add', 'a stream entry needs at least one field with a defined value')
    const id = options.id ?? '*'
    if (typeof id !== 'string' || !ADD_ID.test(id))
      throw invalid('add', `id must be '*' or '<ms>-<seq>', got ${String(id)}`)
    const max = this.ctx.policy.maxItems
    const trim = max === null ? [] : ['MAXLEN', '~', String(max)]
    const [reply] = await write(this.ctx, [['XADD', this.ctx.key, ...trim, id, ...args]])
    return asText(reply ?? null, 'XADD')
  }

  async len(): Promise<number> {
    return asInteger(await read(this.ctx, ['XLEN', this.ctx.key]), 'XLEN')
  }

  async range(options: StreamRangeOptions & { readonly count?: number } = {}): Promise<StreamEntry<F>[]> {
    strictOptions('range options', options, ['start', 'end', 'reverse', 'count'])
    const start = options.start ?? '-'
    const end = options.end ?? '+'
    for (const id of [start, end]) {
      if (typeof id !== 'string' || !RANGE_ID.test(id))
        throw invalid('range', `not a stream id: ${String(id)}`)
    }
    let count = options.count
    if (count === undefined) {
      const max = this.ctx.policy.maxItems
      if (max === null) {
        throw new RedisExpertError(
          'UNBOUNDED_READ',
          `range without count on '${this.ctx.policy.name}' reads a stream with no declared bound; pass { count }, or declare maxItems`,
          { details: { entry: this.ctx.policy.name, key: this.ctx.key, command: 'XRANGE' } },
        )
      }
      count = max
    }
    const n = positiveInt('range count', count, undefined, Number.MAX_SAFE_INTEGER)
    const command = options.reverse ? 'XREVRANGE' : 'XRANGE'
    // XREVRANGE takes end before start.
    const bounds = options.reverse ? [end, start] : [start, end]
    const reply = asArray(await read(this.ctx, [command, this.ctx.key, ...bounds, 'COUNT', n]), command)
    return reply.map((entry) => this.#entry(entry, command))
  }

  #entry(reply: Reply, command: string): StreamEntry<F> {
    const [id, flat] = asArray(reply, command)
    const flatFields = asArray(flat ?? null, command)
    const pairs: [string, unknown][] = []
    for (let i = 0; i < flatFields.length; i += 2) {
      const name = asText(flatFields[i] ?? null, command)
      pairs.push([name, decode(this.ctx, flatFields[i + 1] ?? null, name)])
    }
    return { id: asText(id ?? null, command), fields: Object.fromEntries(pairs) as F }
  }
}
