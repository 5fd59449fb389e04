import type { Command, Executor, Reply } from '../client/types.js'
import { RedisExpertError } from '../errors.js'
import {
  applyFirst,
  type Capabilities,
  firstRound,
  initialState,
  nextRound,
  perKey,
  records,
  scannedKey,
} from './inspect.js'
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

type ScanReply = [Buffer, Buffer[]]

/** `MEMORY USAGE`, `OBJECT ENCODING`, `PTTL`: the name ACL errors are about. */
function commandName(command: Command): string {
  const name = String(command[0]).toUpperCase()
  return name === 'MEMORY' || name === 'OBJECT' ? `${name} ${String(command[1]).toUpperCase()}` : name
}

/** A refusal that is about the command, not the key: the command is dropped for the rest of the scan. */
function refused(error: unknown): boolean {
  if (!(error instanceof RedisExpertError) || error.code !== 'COMMAND_ERROR') return false
  const reply = String(error.details.reply ?? '')
  return /^NOPERM/.test(reply) || /unknown (sub)?command/i.test(reply)
}

/**
 * Runs a batch; when it fails as a whole (a key changed type between rounds, a slot moved,
 * a command refused), runs its commands one by one so one bad reply costs one value, not the
 * batch. Returns the replies (null for failures) and the commands refused by name.
 */
async function settle(
  node: Executor,
  commands: readonly Command[],
): Promise<{ replies: Reply[]; refusedNames: Set<string> }> {
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
  node: Executor,
  index: number,
  options: NodeScanOptions,
): Promise<NodeScanResult> {
  const caps: Capabilities = { memory: true, encoding: true }
  const unavailable = new Set<string>()
  const samples = String(options.samples)
  let dispatched = 0
  let vanished = 0
  let commands = 0

  const scan = async (cursor: string): Promise<ScanReply> => {
    await options.bucket?.take(1)
    commands++
    const reply = await node.call(['SCAN', cursor, 'COUNT', String(options.count)], { buffers: true })
    return reply as unknown as ScanReply
  }

  const inspect = async (batch: readonly Buffer[]): Promise<void> => {
    const states = batch.map((key) => initialState(scannedKey(key)))
    await options.bucket?.take(states.length * perKey(caps))
    const used = { ...caps }
    const round1 = firstRound(states, used, samples)
    commands += round1.length
    const first = await settle(node, round1)
    applyFirst(states, first.replies, used)
    for (const name of first.refusedNames) {
      if (name === 'MEMORY USAGE') caps.memory = false
      else if (name === 'OBJECT ENCODING') caps.encoding = false
      else
        throw new RedisExpertError('COMMAND_ERROR', `audit: the server refused ${name}, which the scan needs`)
      unavailable.add(name)
    }
    // Sizes of keys whose type the encoding told, TYPE for the rest, then their sizes: 1-3 rounds.
    for (let round = nextRound(states); round; round = nextRound(states)) {
      await options.bucket?.take(round.commands.length)
      commands += round.commands.length
      round.apply((await settle(node, round.commands)).replies)
    }
    const built = records(states, index)
    vanished += built.vanished
    options.onRecords(built.records, built.vanished)
  }

  // Under a rate cap one batch at a time: the point is a steady, light load.
  const depth = options.bucket ? 1 : DEPTH
  const inFlight = new Set<Promise<void>>()
  let failure: { error: unknown } | null = null
  let pending: Promise<ScanReply> | null = scan('0')
  let complete = true
  while (pending) {
    const reply: ScanReply = await pending
    if (failure) break
    const cursor = reply[0].toString()
    const batch: Buffer[] = reply[1]
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
