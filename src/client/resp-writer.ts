/**
 * RESP2 commands, as every connection the toolkit opens writes them (connection.ts): the
 * encoder half of the one codec in `src/` (the reply parser is resp-parser.ts). Commands are
 * arrays of bulk strings; string arguments are UTF-8, or one byte per char in the latin1 mode
 * (see resp-parser.ts), so a key read in that mode goes back byte for byte.
 */

/** One command in RESP2 (arrays of bulk strings). */
export function encodeCommand(args: readonly string[]): Buffer {
  let text = `*${args.length}\r\n`
  for (const arg of args) text += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`
  return Buffer.from(text)
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
