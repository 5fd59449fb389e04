/**
 * A minimal RESP2 reader for the cache's subscriber connection: pub/sub pushes are arrays of
 * bulk strings, plus the simple/error/integer replies of AUTH, SUBSCRIBE and PING.
 */
export type RespValue = string | number | null | RespError | RespValue[]

export class RespError {
  constructor(readonly message: string) {}
}

const CRLF_LENGTH = 2
/** Marks "not enough bytes yet". */
const INCOMPLETE = Symbol('incomplete')
type Parsed = readonly [RespValue, number] | typeof INCOMPLETE

export class RespReader {
  #pending: Buffer = Buffer.alloc(0)

  /** Feeds bytes; returns every complete value they finish, in order. */
  push(chunk: Buffer): RespValue[] {
    const buffer = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk])
    const values: RespValue[] = []
    let offset = 0
    for (;;) {
      const parsed = parse(buffer, offset)
      if (parsed === INCOMPLETE) break
      values.push(parsed[0])
      offset = parsed[1]
    }
    this.#pending = offset === buffer.length ? Buffer.alloc(0) : buffer.subarray(offset)
    return values
  }
}

function parse(buffer: Buffer, start: number): Parsed {
  if (start >= buffer.length) return INCOMPLETE
  const end = buffer.indexOf('\r\n', start + 1)
  if (end < 0) return INCOMPLETE
  const line = buffer.toString('utf8', start + 1, end)
  const next = end + CRLF_LENGTH
  switch (buffer[start]) {
    case 0x2b: // +
      return [line, next]
    case 0x2d: // -
      return [new RespError(line), next]
    case 0x3a: // :
      return [Number(line), next]
    case 0x24: {
      // $
      const length = Number(line)
      if (length < 0) return [null, next]
      if (buffer.length < next + length + CRLF_LENGTH) return INCOMPLETE
      return [buffer.toString('utf8', next, next + length), next + length + CRLF_LENGTH]
    }
    case 0x2a: {
      // *
      const count = Number(line)
      if (count < 0) return [null, next]
      const items: RespValue[] = []
      let offset = next
      for (let i = 0; i < count; i++) {
        const item = parse(buffer, offset)
        if (item === INCOMPLETE) return INCOMPLETE
        items.push(item[0])
        offset = item[1]
      }
      return [items, offset]
    }
    default:
      throw new Error(`unexpected RESP type byte ${buffer[start]}`)
  }
}

/** One command in RESP2 (arrays of bulk strings). */
export function encodeCommand(args: readonly string[]): Buffer {
  let text = `*${args.length}\r\n`
  for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`
  return Buffer.from(text)
}
