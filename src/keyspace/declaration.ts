import { type Codec, type CodecName, decimal, isCodec, resolveCodec } from '../codec/index.js'
import { parseTtl, type TtlSpec } from '../common/ttl.js'
import { positiveInt, unknownOption } from '../common/validate.js'
import { RedisExpertError } from '../errors.js'
import { type ParsedPattern, parsePattern } from './pattern.js'
import { CODEC_KINDS, COLLECTION_KINDS, isTypeDescriptor, type TypeKind, type TypeSpec } from './types.js'

/**
 * What an entry's keys are for (cache, session, state, reference, counter, analytics, queue, lock, index):
 * it sets the checks that apply (a cache entry must expire) and appears in the reports.
 */
export type Role =
  | 'cache'
  | 'session'
  | 'state'
  | 'reference'
  | 'counter'
  | 'analytics'
  | 'queue'
  | 'lock'
  | 'index'
/**
 * Whether losing an entry's keys on restart or failover is acceptable (`ephemeral`) or not
 * (`source-of-truth`, which requires AOF with fsync).
 */
export type Durability = 'ephemeral' | 'source-of-truth'

/** Every role an entry may declare. */
export const ROLES: readonly Role[] = [
  'cache',
  'session',
  'state',
  'reference',
  'counter',
  'analytics',
  'queue',
  'lock',
  'index',
]

/** What a team writes for one entry of `defineKeyspace`. */
export interface EntryDeclaration {
  /** `user:<id>`; `<name>` is a parameter, `{...}` a Redis hash tag. Prefixed with the namespace. */
  readonly pattern: string
  readonly type: TypeSpec
  readonly role: Role
  /** `'10m'`, milliseconds, or `'persistent'` (only where losing the TTL is the intent). */
  readonly ttl: TtlSpec
  /** 0–0.5: each write's TTL is uniform in ttl·(1 ± jitter). Default 0. */
  readonly jitter?: number
  /**
   * A cache entry only: how long past its TTL a value is kept to be served stale
   * (stale-while-revalidate, stale-if-error). The key's Redis TTL is ttl·(1 ± jitter) + grace;
   * createCache takes it as its default `grace`, the audit and the decision log read it. Default 0.
   */
  readonly grace?: TtlSpec | 0
  /** Reads extend the TTL (sessions). Default false. */
  readonly sliding?: boolean
  /**
   * A persistent entry only: its keys carry no TTL while in use and get one once their work is
   * done (a finished job keeps its result for a while). The audit then accepts either. Default
   * false.
   */
  readonly expiresWhenDone?: boolean
  /** Default `ephemeral`; `source-of-truth` requires AOF + fsync on the server. */
  readonly durability?: Durability
  /** Declared bound on fields / members / elements / stream entries. */
  readonly maxItems?: number
  /**
   * Declared bound, in bytes, on each stored value (string value, field value, member, element).
   * Used to predict the encoding; without it collection values are assumed to fit the listpack
   * value limit (64 bytes by default) and string values to exceed the embstr limit (44 bytes).
   */
  readonly maxValueBytes?: number
  /** Default `raw` for `t.string`, `json` otherwise. */
  readonly codec?: CodecName | Codec<never>
  readonly description?: string
  /**
   * Every typed write to this entry waits until this many replicas have it (`WAIT` in the
   * same round trip) and fails with NOT_REPLICATED when fewer acknowledge in time. With every
   * replica counted (n = the number of replicas) an acknowledged write survives any failover;
   * with fewer, the replica that acknowledged may not be the one promoted (docs/sentinel.md).
   * Pair it with `min-replicas-to-write` on the servers. Default: writes do not wait.
   */
  readonly replicas?: number
  /** How long a write waits for `replicas`, in ms, default 1000. */
  readonly replicaTimeoutMs?: number
}

const OPTION_NAMES = [
  'pattern',
  'type',
  'role',
  'ttl',
  'jitter',
  'grace',
  'sliding',
  'expiresWhenDone',
  'durability',
  'maxItems',
  'maxValueBytes',
  'codec',
  'description',
  'replicas',
  'replicaTimeoutMs',
] as const

/** An entry after validation: every option resolved to a concrete value. */
export interface EntryPolicy {
  readonly name: string
  readonly pattern: ParsedPattern
  readonly kind: TypeKind
  /** Set of integers (`t.set({ integers: true })`). */
  readonly integers: boolean
  readonly role: Role
  readonly durability: Durability
  /** null: persistent. */
  readonly ttlMs: number | null
  readonly jitter: number
  /** A cache entry's grace period, ms (0: none): the key lives ttl·(1 + jitter) + grace at most. */
  readonly graceMs: number
  readonly sliding: boolean
  /** A persistent entry whose keys get a TTL once their work is done. */
  readonly expiresWhenDone: boolean
  readonly maxItems: number | null
  readonly maxValueBytes: number | null
  /**
   * How values are stored. `decimal` for counters and integer sets (the form INCRBY and intset
   * need); null for HyperLogLogs and bitmaps, whose bytes Redis defines.
   */
  readonly codec: Codec<unknown> | null
  readonly description: string | null
  /** Replicas each typed write waits for (WAIT); null: writes do not wait. */
  readonly replicas: number | null
  /** How long a write waits for them, ms. */
  readonly replicaTimeoutMs: number
}

/** Roles whose keys must expire: a cache or session without TTL grows forever, a lock without one deadlocks. */
const TTL_REQUIRED_ROLES: readonly Role[] = ['cache', 'session', 'lock']

function invalid(entry: string, message: string, details: Record<string, unknown> = {}): RedisExpertError {
  return new RedisExpertError('KEYSPACE_INVALID', `entry '${entry}': ${message}`, {
    details: { entry, ...details },
  })
}

/** Validates one declaration; throws KEYSPACE_INVALID or KEYSPACE_TTL_REQUIRED. */
export function resolveEntry(namespace: string, name: string, declaration: unknown): EntryPolicy {
  if (typeof declaration !== 'object' || declaration === null || Array.isArray(declaration)) {
    throw invalid(name, 'the declaration must be an object with pattern, type, role and ttl')
  }
  const d = declaration as Record<string, unknown>
  for (const option in d) {
    if ((OPTION_NAMES as readonly string[]).includes(option)) continue
    // The shared rule (common/validate.ts) names the closest option; a declaration's error keeps
    // the keyspace's own code.
    const refusal = unknownOption(`entry '${name}'`, option, OPTION_NAMES)
    throw new RedisExpertError('KEYSPACE_INVALID', refusal.message, {
      details: { entry: name, ...refusal.details, options: [option] },
    })
  }
  const type = d.type
  if (!isTypeDescriptor(type)) {
    throw invalid(
      name,
      typeof type === 'function'
        ? 'type must be called: write t.hash(), not t.hash'
        : 'type must be one of t.string(), t.hash<T>(), ...',
    )
  }
  const kind = type.kind
  const role = d.role as Role
  if (!ROLES.includes(role)) throw invalid(name, `role must be one of ${ROLES.join(', ')}`, { role: d.role })
  const pattern = parsePattern(namespace, d.pattern, name)

  const durability = (d.durability ?? 'ephemeral') as Durability
  if (durability !== 'ephemeral' && durability !== 'source-of-truth') {
    throw invalid(name, "durability must be 'ephemeral' or 'source-of-truth'", { durability })
  }
  if (durability === 'source-of-truth' && (role === 'cache' || role === 'lock')) {
    throw invalid(
      name,
      `a ${role} is by definition reproducible or transient; it cannot be the source of truth`,
    )
  }

  const ttlMs = resolveTtl(name, d.ttl, role)
  const jitter = resolveJitter(name, d.jitter, ttlMs)
  const graceMs = resolveGrace(name, d.grace, role, ttlMs)
  const sliding = d.sliding ?? false
  if (typeof sliding !== 'boolean') throw invalid(name, 'sliding must be a boolean', { sliding })
  if (sliding && ttlMs === null) throw invalid(name, 'sliding needs a finite ttl to extend')
  if (sliding && role === 'lock') throw invalid(name, "a lock's TTL is its lease; reads must not extend it")
  const expiresWhenDone = d.expiresWhenDone ?? false
  if (typeof expiresWhenDone !== 'boolean')
    throw invalid(name, 'expiresWhenDone must be a boolean', { expiresWhenDone })
  if (expiresWhenDone && ttlMs !== null)
    throw invalid(name, "expiresWhenDone is for ttl: 'persistent' entries; a finite ttl expires anyway")

  const maxItems = positiveOption(name, 'maxItems', d.maxItems)
  if (maxItems !== null && !COLLECTION_KINDS.includes(kind)) {
    throw invalid(name, `maxItems bounds collections (${COLLECTION_KINDS.join(', ')}), not a ${kind}`)
  }
  const maxValueBytes = positiveOption(name, 'maxValueBytes', d.maxValueBytes)
  if (maxValueBytes !== null && (!CODEC_KINDS.includes(kind) || kind === 'stream')) {
    throw invalid(name, `maxValueBytes does not apply to a ${kind}`)
  }

  const codec = resolveEntryCodec(name, kind, type.integers === true, d.codec)
  const description = d.description ?? null
  if (description !== null && typeof description !== 'string')
    throw invalid(name, 'description must be a string')

  const replicas = positiveOption(name, 'replicas', d.replicas)
  const replicaTimeoutMs = positiveOption(name, 'replicaTimeoutMs', d.replicaTimeoutMs)
  if (replicaTimeoutMs !== null && replicas === null)
    throw invalid(name, 'replicaTimeoutMs needs replicas: how many replicas each write waits for')

  return {
    name,
    pattern,
    kind,
    integers: type.integers === true,
    role,
    durability,
    ttlMs,
    jitter,
    graceMs,
    sliding,
    expiresWhenDone,
    maxItems,
    maxValueBytes,
    codec,
    description,
    replicas,
    replicaTimeoutMs: replicaTimeoutMs ?? DEFAULT_REPLICA_TIMEOUT_MS,
  }
}

function resolveGrace(name: string, spec: unknown, role: Role, ttlMs: number | null): number {
  if (spec === undefined || spec === 0) return 0
  if (role !== 'cache')
    throw invalid(name, `grace is for cache entries (a stale value served while refreshed), not a ${role}`)
  if (ttlMs === null) throw invalid(name, 'grace needs a finite ttl to extend')
  let ms: number | null
  try {
    ms = parseTtl(spec, name)
  } catch {
    ms = null
  }
  if (ms === null)
    throw invalid(name, `grace ${JSON.stringify(spec)} is not a duration; use e.g. '10m', '1h' or 0`, {
      grace: spec,
    })
  return ms
}

/** How long a write to an entry declared with `replicas` waits for them, unless it says otherwise. */
export const DEFAULT_REPLICA_TIMEOUT_MS = 1000

function resolveTtl(name: string, spec: unknown, role: Role): number | null {
  if (spec === undefined) {
    throw new RedisExpertError(
      'KEYSPACE_TTL_REQUIRED',
      `entry '${name}': declare a ttl ('10m', '30d', ...) or, for long-lived data that must not expire, ttl: 'persistent'`,
      { details: { entry: name, role } },
    )
  }
  const ttlMs = parseTtl(spec, name)
  if (ttlMs === null && TTL_REQUIRED_ROLES.includes(role)) {
    throw new RedisExpertError(
      'KEYSPACE_TTL_REQUIRED',
      `entry '${name}': a ${role} needs a finite ttl; 'persistent' is for reference data, source-of-truth state and similar long-lived data`,
      { details: { entry: name, role } },
    )
  }
  return ttlMs
}

function resolveJitter(name: string, value: unknown, ttlMs: number | null): number {
  if (value === undefined) return 0
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 0.5) {
    throw invalid(name, 'jitter must be a number from 0 to 0.5', { jitter: value })
  }
  if (ttlMs === null && value > 0) throw invalid(name, 'jitter needs a finite ttl to spread')
  return value
}

/** An optional positive integer of an entry (common/validate.ts's check); KEYSPACE_INVALID naming the entry. */
function positiveOption(name: string, option: string, value: unknown): number | null {
  if (value === undefined) return null
  try {
    return positiveInt(option, value, undefined, Number.MAX_SAFE_INTEGER)
  } catch (error) {
    throw invalid(name, (error as Error).message, { [option]: value })
  }
}

function resolveEntryCodec(
  name: string,
  kind: TypeKind,
  integers: boolean,
  spec: unknown,
): Codec<unknown> | null {
  if (!CODEC_KINDS.includes(kind)) {
    if (spec !== undefined) throw invalid(name, `a ${kind} stores bytes Redis defines; it takes no codec`)
    return kind === 'counter' ? (decimal as Codec<unknown>) : null
  }
  if (integers) {
    if (spec !== undefined)
      throw invalid(name, 'a set of integers is stored in decimal (intset); it takes no codec')
    return decimal as Codec<unknown>
  }
  if (spec === undefined) return resolveCodec(kind === 'string' ? 'raw' : 'json')
  if (typeof spec !== 'string' && !isCodec(spec))
    throw invalid(name, 'codec must be a codec name or a Codec object')
  let codec: Codec<unknown>
  try {
    codec = resolveCodec(spec as CodecName | Codec<unknown>)
  } catch (error) {
    throw invalid(name, (error as Error).message, { codec: spec })
  }
  if (kind === 'json' && (codec.name === 'raw' || codec.name === 'bytes')) {
    throw invalid(name, `t.json() holds structured values: use the json or msgpack codec, not ${codec.name}`)
  }
  return codec
}
