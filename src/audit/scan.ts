import { evalScript } from '../atomic/script.js'
import { commandError } from '../client/errors.js'
import { type ParsedReply, ReplyError } from '../client/resp-parser.js'
import type { Command, Executor, Reply } from '../common/types.js'
import { RedisExpertError } from '../errors.js'
import type { AuditConnection } from './connection.js'
import {
  applyFirst,
  type Capabilities,
  firstRound,
  initialState,
  type KeyState,
  nextRound,
  perKey,
  records,
  type ScannedKey,
  scannedKey,
  scannedLatin1,
  sizeCommand,
  TYPE_OF_ENCODING,
} from './inspect.js'
import { INSPECT_SCRIPT, INSPECT_SOURCE } from './inspect-script.js'
import type { TokenBucket } from './token-bucket.js'
import type { KeyRecord } from './types.js'

export interface NodeScanOptions {
  /** SCAN COUNT: keys per batch. */
  readonly count: number
  /** MEMORY USAGE SAMPLES. */
  readonly samples: number
  /** Stop after this many keys (--sample); null: the whole keyspace. */
  readonly limit: number | null
  readonly bucket: TokenBucket | null
  readonly onRecords: (records: readonly KeyRecord[], vanished: number) => void
}

export interface NodeScanResult {
  readonly keys: number
  readonly vanished: number
  readonly commands: number
  /** False when the limit stopped the scan before SCAN's cursor returned to 0. */
  readonly complete: boolean
  /** Optional commands the server refused: `MEMORY USAGE`, `OBJECT ENCODING`. */
  readonly unavailable: readonly string[]
}

/** `MEMORY USAGE`, `OBJECT ENCODING`, `PTTL`: the name ACL errors are about. */
function commandName(command: Command): string {
  const name = String(command[0]).toUpperCase()
  return name === 'MEMORY' || name === 'OBJECT' ? `${name} ${String(command[1]).toUpperCase()}` : name
}

/** A refusal that is about the command, not the key: the command is dropped for the rest of the scan. */
function refusedReply(reply: string): boolean {
  // Inside a script, Redis 7.0 words an ACL refusal as "ERR The user executing the script can't run...".
  return /^NOPERM/.test(reply) || /unknown (sub)?command|can't run this command/i.test(reply)
}

function refused(error: unknown): boolean {
  if (!(error instanceof RedisExpertError) || error.code !== 'COMMAND_ERROR') return false
  return refusedReply(String(error.details.reply ?? ''))
}

/** What a batch of inspection commands came back as. */
export interface Settled {
  /** One reply per command; null where the command failed (the key changed, a refusal). */
  readonly replies: (Reply | null)[]
  /** Commands the server refused by name (ACL, unknown command), e.g. `MEMORY USAGE`. */
  readonly refusedNames: Set<string>
}

/**
 * How one master is scanned: its SCAN pages, and pipelines of per-key reads. Two exist: the
 * client's executor (guard, shared connection) and the audit's own connection (connection.ts),
 * several times faster; tests wrap either to slip writes in between.
 */
export interface ScanPort {
  scan(cursor: string, count: number): Promise<{ cursor: string; keys: ScannedKey[] }>
  run(commands: readonly Command[]): Promise<Settled>
  /**
   * Optional: inspects a whole batch at once (the audit-inspect script), filling every state;
   * null when it cannot (the script is refused or unsupported), and the rounds run instead.
   */
  inspect?(states: readonly KeyState[], caps: Capabilities, samples: string): Promise<Inspected | null>
}

export interface Inspected {
  readonly refusedNames: Set<string>
  /** Commands the server ran, the script's own included. */
  readonly commands: number
}

/**
 * Keys per script call. The server runs nothing else while a script runs: 4–8 µs a key, so a
 * call of 100 keys holds other clients up for 0.5–1 ms. Measured (docs/audit.md): 25 keys per
 * call halves the p50 another client sees but costs a third of the throughput; --rate is the
 * tool for a latency-sensitive server.
 */
export const SCRIPT_KEYS = 100

/** The client's path: every command through the executor (and so the guard). */
export function executorPort(node: Executor): ScanPort {
  return {
    async scan(cursor, count) {
      const reply = (await node.call(['SCAN', cursor, 'COUNT', String(count)], {
        buffers: true,
      })) as unknown as [Buffer, Buffer[]]
      return { cursor: reply[0].toString(), keys: reply[1].map(scannedKey) }
    },
    run: (commands) => settle(node, commands),
  }
}

/**
 * The audit connection's path: a batch is one write and its replies are decoded in bulk; an
 * error reply costs its own command only, so no batch is ever retried command by command.
 * Keys travel as latin1 strings (their bytes: the codec's latin1 mode), see scannedLatin1.
 */
export function connectionPort(connection: AuditConnection, options: { script?: boolean } = {}): ScanPort {
  // null: not tried yet (the first call sends the source); false: off or refused, the rounds run.
  let script: boolean | null = options.script === true ? null : false
  const executor = throwingExecutor(connection)
  const call = async (keys: readonly KeyState[], caps: Capabilities, samples: string) => {
    // The first call sends the source; later ones its SHA, and the source again on NOSCRIPT
    // (SCRIPT FLUSH, a restart or a failover since), through the toolkit's one fallback.
    const head = script === null ? ['EVAL_RO', INSPECT_SOURCE] : ['EVALSHA_RO', INSPECT_SCRIPT.sha]
    const args: string[] = [...head, '0', samples, caps.memory ? '1' : '0', caps.encoding ? '1' : '0']
    for (const state of keys) args.push(state.key.wire as string)
    return evalScript(executor, INSPECT_WIRE_SCRIPT, args).catch(() => null)
  }
  return {
    async scan(cursor, count) {
      const [reply] = await connection.pipeline([['SCAN', cursor, 'COUNT', String(count)]])
      if (reply instanceof ReplyError) throw scanError(reply, connection.address)
      const [next, keys] = reply as [string, string[]]
      const scanned: ScannedKey[] = new Array(keys.length)
      for (let i = 0; i < keys.length; i++) scanned[i] = scannedLatin1(keys[i] as string)
      return { cursor: next, keys: scanned }
    },
    async run(commands) {
      const replies = (await connection.pipeline(commands as (readonly string[])[])) as (Reply | ReplyError)[]
      const refusedNames = new Set<string>()
      for (let i = 0; i < replies.length; i++) {
        const reply = replies[i]
        if (reply instanceof ReplyError) {
          if (refusedReply(reply.message)) refusedNames.add(commandName(commands[i] as Command))
          replies[i] = null
        }
      }
      return { replies: replies as (Reply | null)[], refusedNames }
    },
    async inspect(states, caps, samples) {
      if (script === false) return null
      const refusedNames = new Set<string>()
      let commands = 0
      for (let from = 0; from < states.length; from += SCRIPT_KEYS) {
        const chunk = states.slice(from, from + SCRIPT_KEYS)
        const reply = await call(chunk, caps, samples)
        if (!Array.isArray(reply) || reply.length !== chunk.length * 5) {
          // Refused (no EVAL_RO in the ACL, Redis < 7) or failed (PTTL or TYPE refused): the
          // rounds take over, for this batch and the rest, and say what is wrong if anything.
          if (from > 0) for (const state of states) Object.assign(state, initialState(state.key))
          script = false
          return null
        }
        script = true
        commands += 1 + applyScript(chunk, reply, caps, refusedNames)
      }
      return { refusedNames, commands }
    },
  }
}

/** Fills states from the script's five values per key; returns the commands it ran. */
function applyScript(
  states: readonly KeyState[],
  reply: readonly ParsedReply[],
  caps: Capabilities,
  refusedNames: Set<string>,
): number {
  let commands = 0
  for (let i = 0, at = 0; i < states.length; i++, at += 5) {
    const state = states[i] as KeyState
    commands++
    const type = reply[at]
    if (type === 'none' || typeof type !== 'string') {
      state.vanished = true
      continue
    }
    state.type = type
    state.ttlMs = typeof reply[at + 1] === 'number' ? (reply[at + 1] as number) : -1
    const bytes = reply[at + 2]
    if (caps.memory) {
      commands++
      if (typeof bytes === 'number') state.bytes = bytes
      else if (bytes instanceof ReplyError && refusedReply(bytes.message)) refusedNames.add('MEMORY USAGE')
    }
    const encoding = reply[at + 3]
    if (caps.encoding) {
      commands++
      if (typeof encoding === 'string') state.encoding = encoding
      else if (encoding instanceof ReplyError && refusedReply(encoding.message))
        refusedNames.add('OBJECT ENCODING')
    }
    if (state.encoding === null || TYPE_OF_ENCODING[state.encoding] !== type) commands++
    const size = reply[at + 4]
    if (sizeCommand(type)) commands++
    if (typeof size === 'number') state.size = size
  }
  return commands
}

function scanError(reply: ReplyError, address: string): RedisExpertError {
  return new RedisExpertError('COMMAND_ERROR', `SCAN on ${address}: ${reply.message}`, {
    details: { command: 'SCAN', reply: reply.message },
  })
}

/**
 * Runs a batch; when it fails as a whole (a key changed type between rounds, a slot moved,
 * a command refused), runs its commands one by one so one bad reply costs one value, not the
 * batch. Returns the replies (null for failures) and the commands refused by name.
 */
async function settle(node: Executor, commands: readonly Command[]): Promise<Settled> {
  try {
    return { replies: await node.batch(commands), refusedNames: new Set() }
  } catch (error) {
    if (error instanceof RedisExpertError && error.code !== 'COMMAND_ERROR') throw error
  }
  const refusedNames = new Set<string>()
  const replies = await Promise.all(
    commands.map((command) =>
      node.call(command).catch((error: unknown) => {
        if (refused(error)) refusedNames.add(commandName(command))
        return null
      }),
    ),
  )
  return { replies, refusedNames }
}

/** Batches inspected at once per master: the next batch is encoded while the server answers the last. */
const DEPTH = 2

/**
 * SCANs one master and inspects every key with pipelined rounds per batch (PTTL, MEMORY USAGE
 * and OBJECT ENCODING; then the size command, or TYPE where the encoding leaves the type open).
 * The next SCAN and up to DEPTH batches are in flight at once, so the client encodes and parses
 * while the server executes.
 */
export async function scanNode(
  target: Executor | ScanPort,
  index: number,
  options: NodeScanOptions,
): Promise<NodeScanResult> {
  const port = 'run' in target ? target : executorPort(target)
  const caps: Capabilities = { memory: true, encoding: true }
  const unavailable = new Set<string>()
  const samples = String(options.samples)
  let dispatched = 0
  let vanished = 0
  let commands = 0

  type Page = { cursor: string; keys: ScannedKey[] }
  const scan = async (cursor: string): Promise<Page> => {
    await options.bucket?.take(1)
    commands++
    return port.scan(cursor, options.count)
  }

  const noteRefused = (names: Iterable<string>) => {
    for (const name of names) {
      if (name === 'MEMORY USAGE') caps.memory = false
      else if (name === 'OBJECT ENCODING') caps.encoding = false
      else
        throw new RedisExpertError('COMMAND_ERROR', `audit: the server refused ${name}, which the scan needs`)
      unavailable.add(name)
    }
  }

  const inspect = async (batch: readonly ScannedKey[]): Promise<void> => {
    const states = batch.map(initialState)
    await options.bucket?.take(states.length * perKey(caps))
    const used = { ...caps }
    const inspected = port.inspect ? await port.inspect(states, used, samples) : null
    if (inspected) {
      // The script ran more than the tokens paid up front (TYPE, sizes, the call itself): the
      // debt is waited out before the next batch, so --rate still caps commands per second.
      await options.bucket?.take(Math.max(0, inspected.commands - states.length * perKey(caps)))
      commands += inspected.commands
      noteRefused(inspected.refusedNames)
      const built = records(states, index)
      vanished += built.vanished
      options.onRecords(built.records, built.vanished)
      return
    }
    const round1 = firstRound(states, used, samples)
    commands += round1.length
    const first = await port.run(round1)
    applyFirst(states, first.replies, used)
    noteRefused(first.refusedNames)
    // Sizes of keys whose type the encoding told, TYPE for the rest, then their sizes: 1-3 rounds.
    for (let round = nextRound(states); round; round = nextRound(states)) {
      await options.bucket?.take(round.commands.length)
      commands += round.commands.length
      round.apply((await port.run(round.commands)).replies)
    }
    const built = records(states, index)
    vanished += built.vanished
    options.onRecords(built.records, built.vanished)
  }

  // Under a rate cap one batch at a time: the point is a steady, light load.
  const depth = options.bucket ? 1 : DEPTH
  const inFlight = new Set<Promise<void>>()
  let failure: { error: unknown } | null = null
  let pending: Promise<Page> | null = scan('0')
  let complete = true
  while (pending) {
    const page: Page = await pending
    if (failure) break
    const cursor = page.cursor
    const batch = page.keys
    const room = options.limit === null ? batch.length : Math.max(0, options.limit - dispatched)
    const chosen = room < batch.length ? batch.slice(0, room) : batch
    dispatched += chosen.length
    const reachedLimit = options.limit !== null && dispatched >= options.limit
    if (reachedLimit && (cursor !== '0' || chosen.length < batch.length)) complete = false
    pending = cursor !== '0' && !reachedLimit ? scan(cursor) : null
    if (chosen.length === 0) continue
    // A failed batch stops the scan; the batches already in flight finish first, so no
    // rejection is left unobserved.
    const job: Promise<void> = inspect(chosen)
      .catch((error: unknown) => {
        failure ??= { error }
      })
      .finally(() => inFlight.delete(job))
    inFlight.add(job)
    if (inFlight.size >= depth) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  if (failure) throw (failure as { error: unknown }).error
  return { keys: dispatched - vanished, vanished, commands, complete, unavailable: [...unavailable] }
}

/** The inspect script as the audit connection sends it: its source in latin1 (see INSPECT_SOURCE). */
const INSPECT_WIRE_SCRIPT = { sha: INSPECT_SCRIPT.sha, source: INSPECT_SOURCE }

/**
 * The audit connection as an Executor whose error replies throw (as the client's do), for the
 * script runner; the audit's own rounds keep error replies as values.
 */
function throwingExecutor(connection: AuditConnection): Executor {
  const call = async <T extends Reply = Reply>(command: Command): Promise<T> => {
    const [reply] = await connection.pipeline([command as readonly string[]])
    if (reply instanceof ReplyError) throw commandError(reply.message, command)
    return reply as T
  }
  return {
    call,
    async batch(commands) {
      const replies = await connection.pipeline(commands as readonly (readonly string[])[])
      const failed = replies.findIndex((reply) => reply instanceof ReplyError)
      if (failed >= 0)
        throw commandError((replies[failed] as ReplyError).message, commands[failed] as Command)
      return replies as Reply[]
    },
  }
}
