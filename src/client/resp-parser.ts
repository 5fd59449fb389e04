/**
 * RESP2 replies, as every connection the toolkit opens reads them (connection.ts): a streaming
 * parser. Its counterpart, the command encoder, is resp-writer.ts; together they are the one
 * codec in `src/`.
 *
 * Strings have three modes, chosen per top-level reply by the ReplySink (and per command by
 * the writer's caller):
 *
 * - `text` (default): bulk and simple strings decoded as UTF-8.
 * - `buffers`: bulk strings as Buffers — binary-safe values.
 * - `latin1`: bytes as a string, one char per byte, both ways: binary-safe without a Buffer
 *   per string. A key read from SCAN in this mode is sent back byte for byte by a command
 *   written in this mode. The audit reads thousands of key names per batch this way.
 */

/**
 * An error reply (`-ERR ...`, `-WRONGTYPE ...`) from the client's own transport: a command's
 * rejection, or an element of an EXEC reply. translateError makes it COMMAND_ERROR.
 */
export class ReplyError extends Error {
  override name = 'ReplyError'
}

/** How a reply's strings are decoded (see the top of this file). */
export const ReplyMode = { text: 0, buffers: 1, latin1: 2 } as const
export type ReplyMode = (typeof ReplyMode)[keyof typeof ReplyMode]

/** What a ReplyParser delivers to: the connection whose commands the replies answer, in order. */
export interface ReplySink {
  /** How the next top-level reply's strings are decoded (that command's mode). */
  replyMode(): ReplyMode
  /** A complete top-level reply; error replies nested in arrays (EXEC) stay in place as ReplyError. */
  reply(value: ParsedReply): void
  /** A top-level error reply. */
  error(error: ReplyError): void
}

export type ParsedReply = string | number | bigint | null | Buffer | ReplyError | ParsedReply[]

/** An array being filled while its elements arrive. */
interface Frame {
  readonly items: ParsedReply[]
  filled: number
}

const CR = 13
const MINUS = 45
const ZERO = 48

/**
 * A streaming RESP2 reply parser for the client's connection. Bytes are parsed where they
 * arrive: a chunk is never copied unless a reply straddles it, and then only that reply's
 * bytes are carried over. Arrays are filled element by element on an explicit stack, so a
 * huge array or bulk string that spans many chunks is parsed in one pass (no re-parse from
 * its start on every chunk, no growing re-concatenation): a bulk string whose length is
 * known waits, chunks collected in a list, until all its bytes are there.
 */
export class ReplyParser {
  readonly #sink: ReplySink
  /** Carried-over bytes (the start of an incomplete element), in arrival order. */
  #chunks: Buffer[] = []
  #carried = 0
  /** Bytes needed (counting those carried) before parsing can progress. */
  #needed = 0
  readonly #stack: Frame[] = []
  /** The current top-level reply's mode. */
  #mode: ReplyMode = ReplyMode.text

  constructor(sink: ReplySink) {
    this.#sink = sink
  }

  /** Feeds bytes; delivers every reply they complete. Throws on a protocol violation. */
  push(chunk: Buffer): void {
    let buffer = chunk
    if (this.#carried > 0) {
      this.#chunks.push(chunk)
      this.#carried += chunk.length
      if (this.#carried < this.#needed) return
      buffer = Buffer.concat(this.#chunks, this.#carried)
      this.#chunks = []
      this.#carried = 0
    }
    const length = buffer.length
    const stack = this.#stack
    let offset = 0
    while (offset < length) {
      if (stack.length === 0) this.#mode = this.#sink.replyMode()
      const type = buffer[offset] as number
      let value: ParsedReply
      let next: number
      if (type === 0x24) {
        // $: bulk string
        const line = readInteger(buffer, offset + 1, length)
        if (line < 0) {
          this.#carry(buffer, offset, 0)
          return
        }
        const size = INTEGER.value
        if (size > MAX_LENGTH) throw new ReplyError(`protocol error: a bulk string of ${size} bytes`)
        const start = line + 2
        if (size < 0) {
          value = null
          next = start
        } else {
          next = start + size + 2
          if (next > length) {
            this.#carry(buffer, offset, next - offset)
            return
          }
          const mode = this.#mode
          if (mode === ReplyMode.buffers) {
            const copy = Buffer.allocUnsafe(size)
            buffer.copy(copy, 0, start, start + size)
            value = copy
          } else value = buffer.toString(mode === ReplyMode.latin1 ? 'latin1' : 'utf8', start, start + size)
        }
      } else if (type === 0x2b || type === 0x2d) {
        // + simple string, - error
        const end = buffer.indexOf(CR, offset + 1)
        if (end < 0 || end + 1 >= length) {
          this.#carry(buffer, offset, 0)
          return
        }
        next = end + 2
        if (type === 0x2b) {
          value =
            end === offset + 3 && buffer[offset + 1] === 0x4f && buffer[offset + 2] === 0x4b
              ? 'OK'
              : buffer.toString(this.#mode === ReplyMode.latin1 ? 'latin1' : 'utf8', offset + 1, end)
        } else {
          const error = new ReplyError(buffer.toString('utf8', offset + 1, end))
          if (stack.length === 0) {
            offset = next
            this.#sink.error(error)
            continue
          }
          value = error
        }
      } else if (type === 0x3a) {
        // : integer
        const line = readInteger(buffer, offset + 1, length)
        if (line < 0) {
          this.#carry(buffer, offset, 0)
          return
        }
        // Integers beyond 2^53 would be rounded as numbers: they come back exact, as bigint.
        value = Number.isSafeInteger(INTEGER.value)
          ? INTEGER.value
          : BigInt(buffer.toString('latin1', offset + 1, line))
        next = line + 2
      } else if (type === 0x2a) {
        // * array
        const line = readInteger(buffer, offset + 1, length)
        if (line < 0) {
          this.#carry(buffer, offset, 0)
          return
        }
        const count = INTEGER.value
        if (count > MAX_LENGTH) throw new ReplyError(`protocol error: an array of ${count} elements`)
        next = line + 2
        if (count > 0) {
          stack.push({ items: new Array(count), filled: 0 })
          offset = next
          continue
        }
        value = count < 0 ? null : []
      } else {
        throw new ReplyError(`protocol error: unexpected RESP type byte ${type}`)
      }
      offset = next
      // Place the value in the array being filled; close every array it completes.
      for (;;) {
        // (Not stack[length - 1] on an empty stack: index -1 is a slow named-property lookup.)
        const depth = stack.length
        if (depth === 0) {
          this.#sink.reply(value)
          break
        }
        const frame = stack[depth - 1] as Frame
        frame.items[frame.filled++] = value
        if (frame.filled < frame.items.length) break
        stack.pop()
        value = frame.items
      }
    }
  }

  /** Keeps the bytes from `offset` for the next chunk; `needed` is how many it takes to progress (0: any more). */
  #carry(buffer: Buffer, offset: number, needed: number): void {
    const rest = buffer.subarray(offset)
    this.#chunks = [rest]
    this.#carried = rest.length
    this.#needed = Math.max(needed, rest.length + 1)
  }
}

/** Beyond any reply a server sends (a string is at most 512 MB; Buffers stop near 4 GB): a corrupt stream. */
const MAX_LENGTH = 2 ** 32 - 1

/** Out-parameter of readInteger, to return two numbers without an allocation. */
const INTEGER = { value: 0 }

/**
 * Reads a decimal integer line starting at `start` into INTEGER.value; returns the index of
 * its CR, or -1 when the line (CR LF included) is not complete yet.
 */
function readInteger(buffer: Buffer, start: number, length: number): number {
  let i = start
  let negative = false
  if (buffer[i] === MINUS) {
    negative = true
    i++
  }
  let value = 0
  for (; i < length; i++) {
    const byte = buffer[i] as number
    if (byte === CR) {
      if (i + 1 >= length) return -1
      INTEGER.value = negative ? -value : value
      return i
    }
    value = value * 10 + byte - ZERO
  }
  return -1
}
