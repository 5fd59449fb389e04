/**
 * RESP2 for every connection the toolkit opens (connection.ts): a streaming reply parser and
 * a command encoder — the one codec in `src/`.
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

/** One command in RESP2 (arrays of bulk strings). */
export function encodeCommand(args: readonly string[]): Buffer {
  let text = `*${args.length}\r\n`
  for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`
  return Buffer.from(text)
}

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

/** Slab size for encoded commands; a flush hands the written part to the socket and keeps the rest. */
const SLAB = 64 * 1024
/** Strings up to this length are tried as ASCII, byte by byte, before asking for their UTF-8 length. */
const SHORT = 64
/** Buffer arguments from this size on are written as they are rather than copied. */
const LARGE = 16 * 1024
/** latin1 strings up to this length are copied char by char; longer ones by Node. */
const TINY = 16
// biome-ignore lint/suspicious/noControlCharactersInRegex: the range starts at U+0000 on purpose
const NOT_LATIN1 = /[^\u0000-\u00ff]/

/** Writes `<type><n>\r\n` at `at`; returns where the next byte goes. */
function writeHeader(slab: Buffer, at: number, type: number, n: number): number {
  slab[at++] = type
  if (n < 10) slab[at++] = 0x30 + n
  else if (n < 100) {
    slab[at++] = 0x30 + Math.floor(n / 10)
    slab[at++] = 0x30 + (n % 10)
  } else at += slab.write(String(n), at, 'latin1')
  slab[at] = 13
  slab[at + 1] = 10
  return at + 2
}

function notBytes(index: number): TypeError {
  return new TypeError(`command argument ${index} is not a string of bytes (latin1)`)
}

/**
 * Encodes commands (RESP2 arrays of bulk strings) straight into Buffers, for one write per
 * tick: no intermediate strings, and one allocation per 64 KB of commands rather than
 * several per argument. String arguments are UTF-8, or with `latin1` bytes (one char per
 * byte, as the parser's latin1 mode reads them).
 */
export class CommandWriter {
  #slab: Buffer = Buffer.allocUnsafeSlow(SLAB)
  #used = 0
  /** Where the unwritten bytes start in the slab. */
  #start = 0
  /** Earlier unwritten parts (a full slab, a large Buffer argument), in order. */
  #parts: Buffer[] = []
  #partsLength = 0

  get empty(): boolean {
    return this.#used === this.#start && this.#partsLength === 0
  }

  /**
   * Appends one command; if it throws (an argument neither string nor Buffer, or with `latin1`
   * a char above U+00FF), nothing of it is kept.
   */
  add(args: readonly (string | Buffer)[], latin1 = false): void {
    if (latin1 && this.#addLatin1(args)) return
    const slab = this.#slab
    const used = this.#used
    const start = this.#start
    const parts = this.#parts.length
    const partsLength = this.#partsLength
    try {
      this.#room(16)
      this.#used = this.#header(0x2a, args.length)
      for (let i = 0; i < args.length; i++) {
        const arg = args[i] as string | Buffer
        if (typeof arg === 'string') {
          if (latin1) this.#latin1(arg, i)
          else this.#string(arg)
        } else if (Buffer.isBuffer(arg)) this.#bytes(arg)
        else throw new TypeError(`command argument ${i} is neither a string nor a Buffer`)
      }
    } catch (error) {
      this.#slab = slab
      this.#used = used
      this.#start = start
      this.#parts.length = parts
      this.#partsLength = partsLength
      throw error
    }
  }

  /** Everything added since the last take, as one Buffer (null when nothing was). */
  take(): Buffer | null {
    if (this.empty) return null
    const tail = this.#slab.subarray(this.#start, this.#used)
    let out = tail
    if (this.#partsLength > 0) {
      this.#parts.push(tail)
      out = Buffer.concat(this.#parts, this.#partsLength + tail.length)
      this.#parts = []
      this.#partsLength = 0
    }
    // The bytes handed out are never written again; the rest of the slab serves the next tick.
    if (this.#slab.length - this.#used < 1024) {
      this.#slab = Buffer.allocUnsafeSlow(SLAB)
      this.#used = 0
    }
    this.#start = this.#used
    return out
  }

  /** Drops whatever was not taken. */
  clear(): void {
    this.#parts = []
    this.#partsLength = 0
    this.#start = this.#used
  }

  #string(arg: string): void {
    const length = arg.length
    if (length <= SHORT) {
      // Most arguments are short ASCII (names, keys, numbers): no UTF-8 encoder call.
      this.#room(length + 16)
      const slab = this.#slab
      const mark = this.#used
      let at = this.#header(0x24, length)
      let i = 0
      for (; i < length; i++) {
        const code = arg.charCodeAt(i)
        if (code >= 0x80) break
        slab[at++] = code
      }
      if (i === length) {
        slab[at] = 13
        slab[at + 1] = 10
        this.#used = at + 2
        return
      }
      this.#used = mark
    }
    const size = Buffer.byteLength(arg)
    this.#room(size + 16)
    const at = this.#header(0x24, size)
    this.#slab.write(arg, at)
    this.#slab[at + size] = 13
    this.#slab[at + size + 1] = 10
    this.#used = at + size + 2
  }

  /**
   * The latin1 fast path for a command of strings only (the audit's thousands per batch): room
   * for all of it at once, headers written inline. False, with nothing written, when an
   * argument is not a string (the general path then takes the command).
   */
  #addLatin1(args: readonly (string | Buffer)[]): boolean {
    const count = args.length
    let size = 16
    for (let i = 0; i < count; i++) {
      const arg = args[i]
      if (typeof arg !== 'string') return false
      size += arg.length + 16
    }
    this.#room(size)
    const slab = this.#slab
    let at = writeHeader(slab, this.#used, 0x2a, count)
    for (let i = 0; i < count; i++) {
      const arg = args[i] as string
      at = writeLatin1Body(slab, writeHeader(slab, at, 0x24, arg.length), arg, i)
    }
    // Only now is the command kept: a throw above leaves #used where it was.
    this.#used = at
    return true
  }

  /** A string of bytes, one char per byte. */
  #latin1(arg: string, index: number): void {
    this.#room(arg.length + 16)
    this.#used = writeLatin1Body(this.#slab, this.#header(0x24, arg.length), arg, index)
  }

  #bytes(arg: Buffer): void {
    const size = arg.length
    if (size >= LARGE) {
      this.#room(16)
      this.#used = this.#header(0x24, size)
      this.#cut()
      this.#parts.push(arg)
      this.#partsLength += size
      this.#room(2)
    } else {
      this.#room(size + 16)
      this.#used = this.#header(0x24, size)
      arg.copy(this.#slab, this.#used)
      this.#used += size
    }
    this.#slab[this.#used] = 13
    this.#slab[this.#used + 1] = 10
    this.#used += 2
  }

  /** Writes `<type><n>\r\n` at the end; returns where the next byte goes. */
  #header(type: number, n: number): number {
    return writeHeader(this.#slab, this.#used, type, n)
  }

  /** Makes sure `bytes` fit after the end of the slab, moving to a new slab if not. */
  #room(bytes: number): void {
    if (this.#slab.length - this.#used >= bytes) return
    this.#cut()
    this.#slab = Buffer.allocUnsafeSlow(Math.max(SLAB, bytes))
    this.#used = 0
    this.#start = 0
  }

  /** Moves the unwritten bytes of the slab to the parts. */
  #cut(): void {
    if (this.#used > this.#start) {
      this.#parts.push(this.#slab.subarray(this.#start, this.#used))
      this.#partsLength += this.#used - this.#start
    }
    this.#start = this.#used
  }
}

/**
 * Writes `arg`, one char per byte, and its CRLF at `at`; returns where the next byte goes.
 * Throws (the caller keeps nothing of the command) on a char that is no byte.
 */
function writeLatin1Body(slab: Buffer, at: number, arg: string, index: number): number {
  const length = arg.length
  if (length > TINY) {
    // Node's own copy, after one native scan for a char that is no byte: ~2x the JS loop.
    if (NOT_LATIN1.test(arg)) throw notBytes(index)
    slab.write(arg, at, 'latin1')
    at += length
  } else
    for (let i = 0; i < length; i++) {
      const code = arg.charCodeAt(i)
      if (code > 0xff) throw notBytes(index)
      slab[at++] = code
    }
  slab[at] = 13
  slab[at + 1] = 10
  return at + 2
}
