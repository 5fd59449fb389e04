/**
 * The audit connection's RESP2 codec, built for one job: thousands of tiny replies per batch.
 *
 * Strings travel as latin1 strings (one char per byte), both ways: a key read from SCAN is sent
 * back byte for byte without a Buffer per key, and a whole batch is encoded as one string and
 * written as one Buffer. Replies are decoded in bulk, each into a plain value; nothing is
 * allocated per reply beyond the value itself.
 */

/** An error reply (`-ERR ...`), kept as a value: one failed command costs its own reply only. */
export class WireError {
  constructor(readonly message: string) {}
}

/** A decoded reply. Bulk and simple strings are latin1 strings (bytes as chars). */
export type WireReply = string | number | null | WireError | WireReply[]

/** An argument: a latin1 string (bytes as chars; plain ASCII is itself). */
export type WireArg = string

/**
 * Commands as RESP, written straight into one Buffer: no string per argument, no concatenation,
 * one allocation per batch (doubled when a batch outgrows it).
 */
export class WireWriter {
  #buffer: Buffer
  #at = 0

  constructor(sizeHint = 4096) {
    this.#buffer = Buffer.allocUnsafe(sizeHint)
  }

  #room(n: number): void {
    if (this.#at + n <= this.#buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.#buffer.length * 2, this.#at + n))
    this.#buffer.copy(grown, 0, 0, this.#at)
    this.#buffer = grown
  }

  #line(type: number, n: number): void {
    const buffer = this.#buffer
    buffer[this.#at++] = type
    if (n < 10) buffer[this.#at++] = 0x30 + n
    else {
      const digits = String(n)
      for (let i = 0; i < digits.length; i++) buffer[this.#at++] = digits.charCodeAt(i)
    }
    buffer[this.#at++] = 0x0d
    buffer[this.#at++] = 0x0a
  }

  /** One command: its name and arguments, latin1 strings. */
  command(args: readonly WireArg[]): void {
    let size = 16
    for (let i = 0; i < args.length; i++) size += (args[i] as string).length + 16
    this.#room(size)
    this.#line(0x2a, args.length)
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string
      this.#line(0x24, arg.length)
      const buffer = this.#buffer
      let at = this.#at
      for (let j = 0; j < arg.length; j++) buffer[at++] = arg.charCodeAt(j)
      buffer[at++] = 0x0d
      buffer[at++] = 0x0a
      this.#at = at
    }
  }

  /** The bytes written so far; the writer starts over on a new buffer. */
  take(): Buffer {
    const out = this.#buffer.subarray(0, this.#at)
    this.#buffer = Buffer.allocUnsafe(Math.max(4096, this.#at))
    this.#at = 0
    return out
  }
}

const INCOMPLETE = Symbol('incomplete')
type Parsed = WireReply | typeof INCOMPLETE

const EMPTY = Buffer.alloc(0)
const CR = 0x0d

/**
 * A streaming RESP2 reader: feed it chunks as they arrive; each complete top-level reply is
 * handed to `onReply`. A reply split across chunks is parsed again once it is whole (replies
 * here are small; the largest, a SCAN page, is tens of kilobytes).
 */
export class WireReader {
  #buffer: Buffer = EMPTY
  #at = 0
  readonly #onReply: (reply: WireReply) => void

  constructor(onReply: (reply: WireReply) => void) {
    this.#onReply = onReply
  }

  /** Throws on bytes that are not RESP2: the connection must then be dropped. */
  feed(chunk: Buffer): void {
    const rest = this.#buffer.length - this.#at
    this.#buffer = rest === 0 ? chunk : Buffer.concat([this.#buffer.subarray(this.#at), chunk])
    this.#at = 0
    const buffer = this.#buffer
    for (;;) {
      const start = this.#at
      const value = this.#parse(buffer)
      if (value === INCOMPLETE) {
        this.#at = start
        break
      }
      this.#onReply(value)
    }
    if (this.#at >= buffer.length) {
      this.#buffer = EMPTY
      this.#at = 0
    }
  }

  /** A decimal integer line after the type byte, or INCOMPLETE; leaves #at after its CRLF. */
  #integer(buffer: Buffer): number | typeof INCOMPLETE {
    let i = this.#at
    const end = buffer.length
    let negative = false
    if (i < end && buffer[i] === 0x2d) {
      negative = true
      i++
    }
    let n = 0
    for (; i < end; i++) {
      const c = buffer[i] as number
      if (c === CR) break
      if (c < 0x30 || c > 0x39) throw new Error(`RESP: unexpected byte ${c} in a number`)
      n = n * 10 + (c - 0x30)
    }
    if (i + 1 >= end) return INCOMPLETE
    this.#at = i + 2
    return negative ? -n : n
  }

  #parse(buffer: Buffer): Parsed {
    const start = this.#at
    if (start >= buffer.length) return INCOMPLETE
    const type = buffer[start]
    this.#at = start + 1
    switch (type) {
      case 0x3a: // :
        return this.#integer(buffer)
      case 0x24: {
        // $
        const length = this.#integer(buffer)
        if (length === INCOMPLETE) return INCOMPLETE
        if (length < 0) return null
        const from = this.#at
        if (from + length + 2 > buffer.length) return INCOMPLETE
        this.#at = from + length + 2
        return buffer.toString('latin1', from, from + length)
      }
      case 0x2b: // +
      case 0x2d: {
        // -
        const end = buffer.indexOf(CR, this.#at)
        if (end < 0 || end + 1 >= buffer.length) return INCOMPLETE
        const line = buffer.toString('latin1', this.#at, end)
        this.#at = end + 2
        return type === 0x2b ? line : new WireError(line)
      }
      case 0x2a: {
        // *
        const count = this.#integer(buffer)
        if (count === INCOMPLETE) return INCOMPLETE
        if (count < 0) return null
        const items: WireReply[] = new Array(count)
        for (let i = 0; i < count; i++) {
          const item = this.#parse(buffer)
          if (item === INCOMPLETE) return INCOMPLETE
          items[i] = item
        }
        return items
      }
      default:
        throw new Error(`RESP: unexpected type byte ${type}`)
    }
  }
}
