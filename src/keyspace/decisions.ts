import { formatTtl } from '../common/ttl.js'
import type { EntryPolicy } from './declaration.js'
import {
  DEFAULT_LISTPACK_LIMITS,
  EMBSTR_MAX_BYTES,
  type ListpackLimits,
  predictEncoding,
  type ServerTraits,
} from './encoding.js'
import { type OperationPlan, operationsFor } from './operations.js'

/**
 * The decision log: for each entry, the architect's five questions (DESIGN.md) answered from
 * its declaration, plus warnings where the declaration is questionable. Pure data; render.ts
 * turns it into text or markdown.
 */
export interface DecisionRecord {
  readonly entry: string
  readonly pattern: string
  /** 1. Why this data structure, and the encoding it gets. */
  readonly structure: string
  /** 2. Every operation: commands per round trip, Big-O, bounded or refused. */
  readonly operations: readonly OperationPlan[]
  /** 3. Can it be lost, and what the server must guarantee. */
  readonly persistence: string
  /** 4. What is atomic and how. */
  readonly atomicity: string
  /** 5. Codec and why. */
  readonly serialization: string
  readonly warnings: readonly string[]
}

const FIT: Readonly<Record<EntryPolicy['kind'], string>> = {
  string: 'string: one value read and written whole in O(1)',
  json: 'string holding one encoded document: read and written whole in O(1); no partial reads or updates',
  counter: 'string holding an integer: INCRBY changes it atomically on the server, no read-modify-write',
  hash: 'hash: O(1) access to single fields, partial updates with HSET, counters per field with HINCRBY',
  list: 'list: O(1) push and pop at both ends (queues, recent-items feeds); indexed access is O(N)',
  set: 'set: O(1) add, remove and membership of unique members',
  zset: 'sorted set: members ordered by score; O(log N) updates, rank and range queries (leaderboards, time indexes)',
  stream: 'stream: an append-only log with ids, range reads and consumer groups',
  hll: 'HyperLogLog: distinct counts with ~0.81% standard error in at most 12 KB, whatever the cardinality',
  bitmap: 'bitmap: one bit per integer id; a day of activity for 10M users in 1.25 MB, BITCOUNT for totals',
}

/**
 * The five decisions of the architect for one entry — structure, complexity, persistence, atomicity,
 * serialization — as the decision log prints them.
 */
export function decideEntry(
  entry: EntryPolicy,
  all: readonly EntryPolicy[] = [entry],
  traits: ServerTraits = {},
): DecisionRecord {
  const limits = traits.limits ?? DEFAULT_LISTPACK_LIMITS
  const prediction = predictEncoding(
    { kind: entry.kind, integers: entry.integers, items: entry.maxItems, valueBytes: entry.maxValueBytes },
    traits,
  )
  return {
    entry: entry.name,
    pattern: entry.pattern.full,
    structure: `${FIT[entry.kind]}. Encoding: ${prediction.encoding} (${prediction.note}).${boundText(entry)}`,
    operations: operationsFor(entry),
    persistence: persistence(entry),
    atomicity: atomicity(entry, all),
    serialization: serialization(entry),
    warnings: warnings(entry, limits),
  }
}

function boundText(entry: EntryPolicy): string {
  if (!['hash', 'list', 'set', 'zset', 'stream'].includes(entry.kind)) return ''
  if (entry.maxItems === null) {
    return ' Unbounded: whole-collection reads are refused; read with a cursor (scan) or a bounded range.'
  }
  const enforced =
    entry.kind === 'list'
      ? ' (enforced: pushes trim with LTRIM)'
      : entry.kind === 'stream'
        ? ' (enforced: XADD MAXLEN ~)'
        : ' (declared, not trimmed: a whole read that returns more is a GUARD_UNBOUNDED violation, and the audit checks it)'
  return ` Bounded by maxItems ${entry.maxItems}${enforced}, so whole reads are allowed.`
}

function persistence(entry: EntryPolicy): string {
  const expiry =
    entry.ttlMs === null
      ? entry.expiresWhenDone
        ? 'Never expires while in use; a key gets a TTL once its work is done.'
        : 'Never expires.'
      : `Expires ${formatTtl(entry.ttlMs)}${entry.jitter > 0 ? ` ± ${Math.round(entry.jitter * 100)}%` : ''} after the last write${entry.sliding ? ' or read (sliding)' : ''}${entry.graceMs > 0 ? `, then kept ${formatTtl(entry.graceMs)} more (grace) to be served stale while it is refreshed` : ''}.`
  const waits =
    entry.replicas === null
      ? ''
      : ` Every write waits for ${entry.replicas} replica${entry.replicas === 1 ? '' : 's'} (WAIT in the same round trip; NOT_REPLICATED after ${entry.replicaTimeoutMs} ms): an acknowledged write survives a failover when that is every replica.`
  if (entry.durability === 'source-of-truth') {
    const failover =
      entry.replicas === null
        ? ' With replicas (Sentinel, Cluster) AOF alone does not survive a failover — the old master keeps acknowledging writes and drops them when it resyncs — so masters with replicas also need min-replicas-to-write 1 (and min-replicas-max-lag), and replicas: n here (n = every replica) makes each write wait until no failover can lose it.'
        : ' With replicas the masters also need min-replicas-to-write 1 (and min-replicas-max-lag), so a cut-off old master refuses writes.'
    return `${expiry} Source of truth: must survive a restart, so every master needs appendonly yes with appendfsync everysec (≤ 1 s of writes at risk) or always, and a maxmemory-policy that cannot evict it (noeviction, or volatile-* ${entry.ttlMs === null ? 'since it has no TTL' : 'only if losing it early is acceptable'}); checked at connect and after failover.${failover}${waits}`
  }
  const loss: Record<EntryPolicy['role'], string> = {
    cache: 'a miss recomputes it from the source',
    session: 'users sign in again',
    state: 'the application must be able to rebuild or do without it',
    reference: 'it is reloaded from where it is maintained',
    counter: 'the count restarts',
    analytics: 'the statistics for the period are lost',
    queue: 'jobs not yet processed are lost unless producers can resend them',
    lock: 'the lock is released early; fencing tokens protect the resource',
    index: 'it is rebuilt from the data it indexes',
  }
  return `${expiry} Ephemeral: may be lost on restart, failover or eviction; then ${loss[entry.role]}.${waits}`
}

function atomicity(entry: EntryPolicy, all: readonly EntryPolicy[]): string {
  const parts: string[] = []
  parts.push(
    entry.ttlMs === null
      ? 'Every operation is one command.'
      : entry.kind === 'string' || entry.kind === 'json'
        ? 'set is one SET ... PX: value and TTL are written together.'
        : 'Every write is one script that runs it, then its PEXPIRE: the key never exists without its TTL, and a write that fails leaves the key as it was.',
  )
  const checkThenAct: Partial<Record<EntryPolicy['kind'], string>> = {
    string:
      "Set-if-absent is SET NX (set(v, { mode: 'ifAbsent' })); read-modify-write needs WATCH/MULTI or a script.",
    json: 'Set-if-absent is SET NX; updating part of the document is read-modify-write: use WATCH/MULTI or a Lua script, or a hash.',
    counter: 'Increments are atomic on the server (INCRBY); no check-then-act.',
    hash: 'Field increments are atomic (HINCRBY); conditional updates across fields need a Lua script.',
    list: 'Push and pop are atomic; moving between lists reliably needs LMOVE (the queue module).',
    zset: 'Score increments are atomic (ZINCRBY); "only if higher" updates use ZADD GT in a script.',
    set: 'Membership changes are atomic; check-then-add is just SADD (it returns whether it added).',
  }
  const note = checkThenAct[entry.kind]
  if (note) parts.push(note)
  if (entry.pattern.tag !== null) {
    const tag = entry.pattern.tag
    const siblings = all
      .filter((other) => other !== entry && other.pattern.tag === tag)
      .map((other) => other.name)
    parts.push(
      `Hash tag {${tag}}: keys with the same tag value share one Cluster slot${siblings.length > 0 ? ` with ${siblings.join(', ')}` : ''}, so multi-key commands, MULTI and scripts across them work on a Cluster.`,
    )
  }
  return parts.join(' ')
}

function serialization(entry: EntryPolicy): string {
  const codec = entry.codec?.name ?? null
  switch (codec) {
    case null:
      return `No codec: Redis defines the bytes of a ${entry.kind === 'hll' ? 'HyperLogLog' : 'bitmap'}.`
    case 'decimal':
      return 'Decimal integers: the representation INCRBY and intset work on; readable by every client.'
    case 'json':
      return `JSON: interoperable with every language (redis-py reads it with json.loads) and readable in redis-cli; ${entry.kind === 'hash' || entry.kind === 'stream' ? 'each field value is encoded separately' : entry.kind === 'json' || entry.kind === 'string' ? 'the value is one document' : 'each element is encoded separately'}.`
    case 'msgpack':
      return 'MessagePack: interoperable (redis-py + msgpack) and more compact than JSON; binary, so not readable in redis-cli.'
    case 'raw':
      return 'Raw UTF-8 text, stored as given: no encoding cost, readable everywhere.'
    case 'bytes':
      return 'Raw bytes, stored as given (already serialized by the application).'
    default:
      return `Custom codec ${codec}: make sure every reader (other services, other languages) can decode it.`
  }
}

function warnings(entry: EntryPolicy, limits: ListpackLimits): string[] {
  const out: string[] = []
  if (entry.ttlMs === null && entry.durability !== 'source-of-truth' && entry.role === 'state') {
    out.push(
      "state with no TTL that is not the source of truth: if Redis loses it there is nowhere to rebuild it from, and if it is never deleted it grows forever. Declare durability: 'source-of-truth' (and run AOF) or give it a TTL.",
    )
  }
  if (entry.role === 'cache' && entry.ttlMs !== null && entry.jitter === 0) {
    out.push(
      'cache without jitter: keys written together expire together and miss together; add jitter: 0.1.',
    )
  }
  const limitFor: Partial<Record<EntryPolicy['kind'], [number | null, number | null, string]>> = {
    hash: [limits.hashEntries, limits.hashValue, 'hash-max-listpack'],
    zset: [limits.zsetEntries, limits.zsetValue, 'zset-max-listpack'],
    set: entry.integers
      ? [limits.setIntsetEntries, null, 'set-max-intset']
      : [limits.setEntries, limits.setValue, 'set-max-listpack'],
  }
  const limit = limitFor[entry.kind]
  if (limit && entry.maxItems !== null && limit[0] !== null && entry.maxItems > limit[0]) {
    out.push(
      `maxItems ${entry.maxItems} exceeds ${limit[2]}-entries ${limit[0]}: at its bound the ${entry.kind} leaves the compact encoding and takes several times the memory; bucket it (many small keys) or raise the limit.`,
    )
  }
  if (limit && entry.maxValueBytes !== null && limit[1] !== null && entry.maxValueBytes > limit[1]) {
    out.push(
      `maxValueBytes ${entry.maxValueBytes} exceeds ${limit[2]}-value ${limit[1]}: one large value converts the ${entry.kind} to its large encoding.`,
    )
  }
  if (entry.kind === 'json' && (entry.role === 'state' || entry.role === 'session')) {
    out.push(
      `a ${entry.role} object in one JSON string is rewritten whole on every change and read whole for one field; if it is a flat object of small fields, t.hash<T>() stores it as a listpack and updates single fields with HSET.`,
    )
  }
  if (
    entry.kind === 'string' &&
    entry.codec !== null &&
    entry.codec.name !== 'raw' &&
    entry.codec.name !== 'bytes'
  ) {
    out.push(
      `t.string() with the ${entry.codec.name} codec holds structured data: use t.json<T>() for a document, or t.hash<T>() for a small flat object (cheaper, partial updates).`,
    )
  }
  if (entry.kind === 'json' && entry.maxValueBytes !== null && entry.maxValueBytes <= EMBSTR_MAX_BYTES) {
    out.push(
      `values of at most ${entry.maxValueBytes} bytes: fine as a string; group many such small objects into bucketed hashes if there are millions of them (per-key overhead ~50 bytes).`,
    )
  }
  if (entry.kind === 'list' && entry.maxItems === null && entry.role !== 'queue') {
    out.push('unbounded list: it grows until something trims it; declare maxItems to keep only the newest.')
  }
  if (entry.kind === 'stream' && entry.maxItems === null) {
    out.push(
      'stream without maxItems: XADD never trims; it grows until deleted. Declare maxItems (MAXLEN ~).',
    )
  }
  if (entry.codec?.name === 'msgpack' && entry.kind === 'hash') {
    out.push('msgpack field values are binary: HINCRBY cannot increment them; use json for numeric fields.')
  }
  if (entry.kind === 'bitmap') {
    out.push(
      'a bitmap allocates up to its highest offset: offsets must be dense ids (offset 2^32-1 costs 512 MB).',
    )
  }
  return out
}
