import { parseTtl } from '../common/ttl.js'
import { optionNames, positiveInt, strictOptions } from '../common/validate.js'
import { invalidArgument } from '../errors.js'
import type { EntryPolicy } from '../keyspace/declaration.js'
import { encodeParam } from '../keyspace/escape.js'
import type { CacheOptions, GetOrSetOptions, LoadOptions, WriteOptions } from './types.js'

/** The cache's options with every default applied, resolved once at createCache. */
export interface ResolvedCacheOptions {
  readonly ttlMs: number
  readonly jitter: number
  readonly graceMs: number
  /** 0: "not found" is not cached. */
  readonly negativeTtlMs: number
  readonly staleIfError: boolean
  readonly softTimeoutMs: number | null
  readonly hardTimeoutMs: number | null
  readonly earlyRefresh: { readonly beta: number; readonly ratio: number | null } | null
  readonly lease: { readonly ttlMs: number; readonly waitMs: number; readonly onTimeout: 'load' | 'error' }
  readonly l1: { readonly maxItems: number; readonly ttlMs: number } | null
  readonly timeoutMs: number
  readonly onRedisError: 'load' | 'throw'
  readonly circuitBreaker: { readonly failures: number; readonly coolDownMs: number } | null
  readonly tagRetentionMs: number
  /**
   * How long a generation counter outlives the invalidation that bumped it. A load that runs
   * longer than this is not written (it could no longer prove nothing invalidated it).
   */
  readonly generationTtlMs: number
  readonly random: () => number
}

/** What one call runs with: the cache's defaults unless the call overrides them. */
export interface CallPolicy {
  readonly ttlMs: number
  readonly graceMs: number
  readonly staleIfError: boolean
  readonly softTimeoutMs: number | null
  readonly hardTimeoutMs: number | null
  /** Escaped, sorted, unique: the form stored in the envelope and the tag-version hash. */
  readonly tags: readonly string[]
}

const MAX_TAGS = 64
const MAX_TAG_LENGTH = 256
const DAY_MS = 86_400_000

const CACHE_OPTIONS = [
  'ttl',
  'jitter',
  'grace',
  'negativeTtl',
  'staleIfError',
  'softTimeoutMs',
  'hardTimeoutMs',
  'earlyRefresh',
  'lease',
  'l1',
  'timeoutMs',
  'onRedisError',
  'circuitBreaker',
  'tagRetention',
  'random',
] as const

export function resolveCacheOptions(policy: EntryPolicy, options: CacheOptions = {}): ResolvedCacheOptions {
  strictOptions('createCache options', options, CACHE_OPTIONS)
  const ttlMs = options.ttl === undefined ? (policy.ttlMs as number) : ttl(options.ttl, 'ttl')
  const jitter = options.jitter === undefined ? policy.jitter : fraction(options.jitter, 'jitter', 0, 0.5)
  // The entry's declared grace by default: the audit and the decision log read it from there.
  const graceMs = optionalTtl(options.grace, 'grace') ?? policy.graceMs
  const negativeTtlMs = optionalTtl(options.negativeTtl, 'negativeTtl') ?? Math.max(1, Math.round(ttlMs / 10))
  const lease = strictOptions('createCache lease', options.lease, [
    'ttlMs',
    'waitMs',
    'onTimeout',
  ]) as NonNullable<CacheOptions['lease']>
  const leaseTtlMs = positiveInt('lease.ttlMs', lease.ttlMs ?? 10_000, undefined, Number.MAX_SAFE_INTEGER)
  const hardTimeoutMs = optionalPositive(options.hardTimeoutMs, 'hardTimeoutMs')
  const onTimeout = lease.onTimeout ?? 'load'
  if (onTimeout !== 'load' && onTimeout !== 'error')
    throw invalidArgument("createCache: lease.onTimeout must be 'load' or 'error'")
  const onRedisError = options.onRedisError ?? 'load'
  if (onRedisError !== 'load' && onRedisError !== 'throw')
    throw invalidArgument("createCache: onRedisError must be 'load' or 'throw'")
  const lifetime = Math.ceil(ttlMs * (1 + jitter)) + graceMs
  return {
    ttlMs,
    jitter,
    graceMs,
    negativeTtlMs,
    staleIfError: bool(options.staleIfError ?? true, 'staleIfError'),
    softTimeoutMs: optionalPositive(options.softTimeoutMs, 'softTimeoutMs', true),
    hardTimeoutMs,
    earlyRefresh: resolveEarlyRefresh(options.earlyRefresh),
    lease: {
      ttlMs: leaseTtlMs,
      waitMs: positiveInt('lease.waitMs', lease.waitMs ?? 5000, undefined, Number.MAX_SAFE_INTEGER),
      onTimeout,
    },
    l1: resolveL1(options.l1),
    timeoutMs: positiveInt('timeoutMs', options.timeoutMs ?? 1000, undefined, Number.MAX_SAFE_INTEGER),
    onRedisError,
    circuitBreaker: resolveBreaker(options.circuitBreaker),
    tagRetentionMs:
      options.tagRetention === undefined
        ? Math.max(7 * DAY_MS, 2 * lifetime)
        : ttl(options.tagRetention, 'tagRetention'),
    generationTtlMs: Math.max(60_000, 10 * leaseTtlMs, 2 * (hardTimeoutMs ?? 0)),
    random: resolveRandom(options.random),
  }
}

/** The policy of one call; `undefined` options reuse a policy built once. */
/** The options of one getOrSet; set / writeThrough take WRITE_OPTIONS. */
export const GET_OR_SET_OPTIONS = optionNames<GetOrSetOptions>({
  ttl: true,
  grace: true,
  staleIfError: true,
  softTimeoutMs: true,
  hardTimeoutMs: true,
  tags: true,
  meta: true,
})
export const WRITE_OPTIONS = optionNames<WriteOptions>({ ttl: true, tags: true })

export function callPolicy(
  defaults: ResolvedCacheOptions,
  options: LoadOptions | undefined,
  what = 'getOrSet options',
  known: readonly string[] = GET_OR_SET_OPTIONS,
): CallPolicy {
  if (options === undefined) return defaultPolicy(defaults)
  strictOptions(what, options, known)
  const policy: CallPolicy = {
    ttlMs: options.ttl === undefined ? defaults.ttlMs : ttl(options.ttl, 'ttl'),
    graceMs: options.grace === undefined ? defaults.graceMs : (optionalTtl(options.grace, 'grace') ?? 0),
    staleIfError:
      options.staleIfError === undefined ? defaults.staleIfError : bool(options.staleIfError, 'staleIfError'),
    softTimeoutMs:
      options.softTimeoutMs === undefined
        ? defaults.softTimeoutMs
        : optionalPositive(options.softTimeoutMs, 'softTimeoutMs', true),
    hardTimeoutMs:
      options.hardTimeoutMs === undefined
        ? defaults.hardTimeoutMs
        : optionalPositive(options.hardTimeoutMs, 'hardTimeoutMs'),
    tags: normalizeTags(options.tags),
  }
  if (
    policy.tags.length > 0 &&
    Math.ceil(policy.ttlMs * (1 + defaults.jitter)) + policy.graceMs > defaults.tagRetentionMs
  )
    throw invalidArgument(
      `a tagged entry may not outlive the tag retention (${defaults.tagRetentionMs} ms): lower ttl + grace or raise tagRetention`,
    )
  return policy
}

const defaults = new WeakMap<ResolvedCacheOptions, CallPolicy>()
function defaultPolicy(options: ResolvedCacheOptions): CallPolicy {
  let policy = defaults.get(options)
  if (!policy) {
    policy = {
      ttlMs: options.ttlMs,
      graceMs: options.graceMs,
      staleIfError: options.staleIfError,
      softTimeoutMs: options.softTimeoutMs,
      hardTimeoutMs: options.hardTimeoutMs,
      tags: [],
    }
    defaults.set(options, policy)
  }
  return policy
}

/** Tags as stored: escaped like key parameters (no `,` `=` `|` or newline survives), sorted, unique. */
export function normalizeTags(tags: unknown): readonly string[] {
  if (tags === undefined) return []
  if (!Array.isArray(tags)) throw invalidArgument('tags must be an array of strings')
  if (tags.length > MAX_TAGS)
    throw invalidArgument(`at most ${MAX_TAGS} tags per entry`, { count: tags.length })
  const out = new Set<string>()
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag === '' || tag.length > MAX_TAG_LENGTH)
      throw invalidArgument(`a tag is a non-empty string of at most ${MAX_TAG_LENGTH} characters`, { tag })
    out.add(encodeParam(tag))
  }
  return [...out].sort()
}

function resolveEarlyRefresh(value: CacheOptions['earlyRefresh']): ResolvedCacheOptions['earlyRefresh'] {
  if (value === false) return null
  if (value === undefined) return { beta: 1, ratio: null }
  if (typeof value !== 'object' || value === null)
    throw invalidArgument('createCache: earlyRefresh must be false or { beta?, ratio? }')
  strictOptions('createCache earlyRefresh', value, ['beta', 'ratio'])
  const beta = value.beta === undefined ? 1 : fraction(value.beta, 'earlyRefresh.beta', 0, 100)
  const ratio = value.ratio === undefined ? null : fraction(value.ratio, 'earlyRefresh.ratio', 0, 1)
  if (ratio !== null && (ratio === 0 || ratio === 1))
    throw invalidArgument('createCache: earlyRefresh.ratio must be strictly between 0 and 1')
  return { beta, ratio }
}

function resolveBreaker(value: CacheOptions['circuitBreaker']): ResolvedCacheOptions['circuitBreaker'] {
  if (value === false) return null
  if (value === undefined) return { failures: 3, coolDownMs: 5000 }
  if (typeof value !== 'object' || value === null)
    throw invalidArgument('createCache: circuitBreaker must be false or { failures?, coolDown? }')
  strictOptions('createCache circuitBreaker', value, ['failures', 'coolDown'])
  return {
    failures:
      value.failures === undefined
        ? 3
        : positiveInt('circuitBreaker.failures', value.failures, undefined, Number.MAX_SAFE_INTEGER),
    coolDownMs: value.coolDown === undefined ? 5000 : ttl(value.coolDown, 'circuitBreaker.coolDown'),
  }
}

function resolveL1(value: CacheOptions['l1']): ResolvedCacheOptions['l1'] {
  if (value === undefined || value === false) return null
  if (typeof value !== 'object' || value === null)
    throw invalidArgument('createCache: l1 must be false or { maxItems, ttl? }')
  strictOptions('createCache l1', value, ['maxItems', 'ttl'])
  return {
    maxItems: positiveInt('l1.maxItems', value.maxItems, undefined, Number.MAX_SAFE_INTEGER),
    ttlMs: value.ttl === undefined ? 60_000 : ttl(value.ttl, 'l1.ttl'),
  }
}

function resolveRandom(value: unknown): () => number {
  if (value === undefined) return Math.random
  if (typeof value !== 'function') throw invalidArgument('createCache: random must be a function')
  return value as () => number
}

function ttl(spec: unknown, name: string): number {
  let ms: number | null
  try {
    ms = parseTtl(spec, name)
  } catch {
    throw invalidArgument(
      `${name}: ${JSON.stringify(spec)} is not a TTL ('10m', '30s' or whole milliseconds ≥ 1)`,
      {
        option: name,
        value: spec,
      },
    )
  }
  if (ms === null) throw invalidArgument(`${name}: a cache value needs a finite TTL`, { option: name })
  return ms
}

function optionalTtl(spec: unknown, name: string): number | null {
  if (spec === undefined) return null
  if (spec === 0) return 0
  return ttl(spec, name)
}

function optionalPositive(value: unknown, name: string, zeroAllowed = false): number | null {
  if (value === undefined) return null
  if (zeroAllowed && value === 0) return 0
  return positiveInt(name, value, undefined, Number.MAX_SAFE_INTEGER)
}

function fraction(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw invalidArgument(`${name} must be a number from ${min} to ${max}`, { option: name, value })
  return value
}

function bool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgument(`${name} must be a boolean`, { option: name, value })
  return value
}
