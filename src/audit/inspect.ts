import type { Command, Reply } from '../common/types.js'
import type { KeyRecord } from './types.js'

/** Optional per-key commands the server may refuse (ACL) or not know (renamed). */
export interface Capabilities {
  memory: boolean
  encoding: boolean
}

/** The command that measures each type: bytes for strings, elements for collections. */
const SIZE_COMMAND: Readonly<Record<string, string>> = {
  string: 'STRLEN',
  hash: 'HLEN',
  list: 'LLEN',
  set: 'SCARD',
  zset: 'ZCARD',
  stream: 'XLEN',
}

export function sizeCommand(type: string): string | null {
  return SIZE_COMMAND[type] ?? null
}

/**
 * The type a key must have to be in this encoding: strings are `int`/`embstr`/`raw`, and most
 * collection encodings belong to one type. `listpack`, `ziplist` and `hashtable` are shared by
 * several types (and module values report `raw`), so those keys are asked TYPE.
 */
export const TYPE_OF_ENCODING: Readonly<Record<string, string>> = {
  int: 'string',
  embstr: 'string',
  raw: 'string',
  skiplist: 'zset',
  intset: 'set',
  quicklist: 'list',
  linkedlist: 'list',
  stream: 'stream',
}

/** What is known about one key as the rounds of a batch come back. */
export interface KeyState {
  readonly key: ScannedKey
  ttlMs: number
  bytes: number | null
  encoding: string | null
  type: string | null
  /** The type came from the encoding, not from TYPE: a failed size command means a module value. */
  typeGuessed: boolean
  size: number | null
  typeAsked: boolean
  sizeAsked: boolean
  vanished: boolean
}

export function initialState(key: ScannedKey): KeyState {
  return {
    key,
    ttlMs: -1,
    bytes: null,
    encoding: null,
    type: null,
    typeGuessed: false,
    size: null,
    typeAsked: false,
    sizeAsked: false,
    vanished: false,
  }
}

/**
 * The first round, per key: PTTL, then MEMORY USAGE and OBJECT ENCODING when allowed. TYPE
 * is not asked here: the encoding already says it for strings, the bulk of most keyspaces.
 */
export function firstRound(states: readonly KeyState[], caps: Capabilities, samples: string): Command[] {
  const commands: Command[] = []
  for (const { key } of states) {
    commands.push(['PTTL', key.wire])
    if (caps.memory)
      commands.push(
        // 5 is the server's own default: the shorter command saves bytes on both sides.
        samples === '5' ? ['MEMORY', 'USAGE', key.wire] : ['MEMORY', 'USAGE', key.wire, 'SAMPLES', samples],
      )
    if (caps.encoding) commands.push(['OBJECT', 'ENCODING', key.wire])
  }
  return commands
}

export function perKey(caps: Capabilities): number {
  return 1 + (caps.memory ? 1 : 0) + (caps.encoding ? 1 : 0)
}

const asNumber = (reply: Reply | undefined): number | null =>
  typeof reply === 'number' ? reply : typeof reply === 'string' && reply !== '' ? Number(reply) : null

export function applyFirst(
  states: readonly KeyState[],
  replies: readonly (Reply | undefined)[],
  caps: Capabilities,
): void {
  const stride = perKey(caps)
  for (let i = 0; i < states.length; i++) {
    const state = states[i] as KeyState
    let at = i * stride
    const ttl = asNumber(replies[at++])
    // PTTL -2: deleted (or expired) between SCAN and the pipeline.
    if (ttl === -2) {
      state.vanished = true
      continue
    }
    state.ttlMs = ttl ?? -1
    if (caps.memory) state.bytes = asNumber(replies[at++])
    if (caps.encoding) {
      const encoding = replies[at]
      state.encoding = typeof encoding === 'string' ? encoding : null
      const type = state.encoding === null ? undefined : TYPE_OF_ENCODING[state.encoding]
      if (type) {
        state.type = type
        state.typeGuessed = true
      }
    }
  }
}

/** One follow-up round: the size command for keys whose type is known, TYPE for the others. */
export interface Round {
  readonly commands: Command[]
  apply(replies: readonly (Reply | null | undefined)[]): void
}

/** The next round of a batch, or null when every key is complete. */
export function nextRound(states: readonly KeyState[]): Round | null {
  const commands: Command[] = []
  const asked: { state: KeyState; kind: 'type' | 'size' }[] = []
  for (const state of states) {
    if (state.vanished) continue
    if (state.type === null) {
      if (state.typeAsked) continue
      state.typeAsked = true
      commands.push(['TYPE', state.key.wire])
      asked.push({ state, kind: 'type' })
    } else if (!state.sizeAsked) {
      const command = sizeCommand(state.type)
      if (!command) continue
      state.sizeAsked = true
      commands.push([command, state.key.wire])
      asked.push({ state, kind: 'size' })
    }
  }
  if (commands.length === 0) return null
  return {
    commands,
    apply(replies) {
      asked.forEach(({ state, kind }, i) => {
        const reply = replies[i]
        if (kind === 'type') {
          if (reply === 'none') state.vanished = true
          else if (typeof reply === 'string') state.type = reply
        } else if (typeof reply === 'number') state.size = reply
        else if (state.typeGuessed && !state.typeAsked) {
          // A module value reports encoding `raw` too (or the key changed type since): the
          // size command failed, so ask what it is; the encoding read before may be stale.
          state.type = null
          state.sizeAsked = false
          state.encoding = null
        }
      })
    },
  }
}

/** A key as SCAN returned it, and how to print and send it. */
export interface ScannedKey {
  /** Printable form: the key itself when it is valid UTF-8 without control characters, else `\xNN` escapes. */
  readonly text: string
  /**
   * What to send: the text when it encodes back to the same bytes (one string per command lets
   * the driver write the pipeline in far fewer chunks), else the raw bytes. On the audit's own
   * connection (scannedLatin1) it is always a string of the bytes, one char per byte.
   */
  readonly wire: string | Buffer
}

export function scannedKey(key: Buffer): ScannedKey {
  for (let i = 0; i < key.length; i++) {
    const byte = key[i] as number
    if (byte < 0x20 || byte >= 0x7f) return scannedSlow(key)
  }
  const text = key.toString('latin1')
  return { text, wire: text }
}

/**
 * A key as the audit connection reads it: its bytes as a latin1 string (resp-parser.ts), which is
 * also what that connection sends back. Printable ASCII keys are their own text.
 */
export function scannedLatin1(bytes: string): ScannedKey {
  for (let i = 0; i < bytes.length; i++) {
    const code = bytes.charCodeAt(i)
    if (code < 0x20 || code >= 0x7f)
      return { text: scannedSlow(Buffer.from(bytes, 'latin1')).text, wire: bytes }
  }
  return { text: bytes, wire: bytes }
}

function scannedSlow(key: Buffer): ScannedKey {
  const text = key.toString('utf8')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
  if (Buffer.byteLength(text) === key.length && !text.includes('\ufffd') && !/[\x00-\x1f\x7f]/.test(text))
    return { text, wire: text }
  let out = ''
  for (const byte of key) {
    out +=
      byte >= 0x20 && byte < 0x7f && byte !== 0x5c
        ? String.fromCharCode(byte)
        : `\\x${byte.toString(16).padStart(2, '0')}`
  }
  return { text: out, wire: key }
}

/** The records of a finished batch; vanished keys are counted, not recorded. */
export function records(
  states: readonly KeyState[],
  node: number,
): { records: KeyRecord[]; vanished: number } {
  const out: KeyRecord[] = []
  let vanished = 0
  for (const state of states) {
    if (state.vanished) {
      vanished++
      continue
    }
    out.push({
      key: state.key.text,
      node,
      type: state.type ?? 'unknown',
      ttlMs: state.ttlMs,
      bytes: state.bytes,
      encoding: state.encoding,
      size: state.size,
    })
  }
  return { records: out, vanished }
}
