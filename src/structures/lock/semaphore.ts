import { randomBytes } from 'node:crypto'
import type { Client } from '../../client/client.js'
import {
  type Duration,
  durationMs,
  identifier,
  namespaceName,
  optionNames,
  positiveInt,
  strictOptions,
} from '../../common/validate.js'
import { invalidArgument } from '../../errors.js'
import type { Keyspace } from '../../keyspace/define.js'
import { t } from '../../keyspace/types.js'
import { declareOn, structureKeyspace } from '../../kit/keyspace.js'
import { structureError } from '../common/errors.js'
import { int } from '../common/round-trip.js'
import {
  ACQUIRE_OPTIONS,
  type AcquireOptions,
  acquireCall,
  LEASE_HINTS,
  type Lease,
  LeaseValidity,
  retryUntil,
  takeAndRun,
  WITH_LEASE_OPTIONS,
  type WithLeaseOptions,
} from './lease.js'
import { SEMAPHORE_ACQUIRE, SEMAPHORE_EXTEND, SEMAPHORE_HOLDERS } from './scripts.js'

/** A semaphore's options: permits per name, namespace, default lease, retry delay. */
export interface SemaphoreOptions {
  /** Permits per semaphore name. */
  readonly limit: number
  /** Keyspace namespace, default `sem`. */
  readonly namespace?: string
  /** Default lease, default 10 s: a holder that dies frees its permit when its lease ends. */
  readonly leaseMs?: Duration
  readonly retryDelayMs?: number
  /** Milliseconds since the epoch, for tests; the server's TIME otherwise. */
  readonly clock?: () => number
}

/**
 * A counting semaphore: at most `limit` holders per name, each on a lease, so a dead holder's permit frees
 * up.
 */
export interface Semaphore {
  readonly limit: number
  readonly keyspace: Keyspace
  /** One round trip per attempt; null when no permit freed up within `waitMs`. */
  acquire(name: string, options?: AcquireOptions): Promise<Lease | null>
  /**
   * Runs `fn` holding a permit of semaphore `name`, renewing its lease meanwhile, and releases it after;
   * LOCK_NOT_ACQUIRED when no permit frees up within `waitMs`.
   */
  withPermit<T>(name: string, fn: (lease: Lease) => Promise<T> | T, options?: WithLeaseOptions): Promise<T>
  /** Holders right now (expired leases not counted). */
  holders(name: string): Promise<number>
}

/** Every option of SemaphoreOptions: anything else is refused, naming the closest. */
const SEMAPHORE_OPTIONS = optionNames<SemaphoreOptions>({
  limit: true,
  namespace: true,
  leaseMs: true,
  retryDelayMs: true,
  clock: true,
})

/** Semaphores whose holders live in a sorted set scored by lease expiry. */
export function createSemaphore(db: Client, options: SemaphoreOptions): Semaphore {
  const o = strictOptions('createSemaphore options', options, SEMAPHORE_OPTIONS)
  const limit = positiveInt('limit', o.limit, undefined, 1000)
  const namespace = namespaceName('namespace', o.namespace, 'sem')
  const defaultLeaseMs = durationMs('leaseMs', o.leaseMs, 10_000)
  const retryDelayMs = durationMs('retryDelayMs', o.retryDelayMs, 50)
  const clock = o.clock as (() => number) | undefined
  if (clock !== undefined && typeof clock !== 'function') throw invalidArgument('clock must be a function')
  const now = () => (clock ? clock() : '')
  const keyspace = structureKeyspace(namespace, {
    holders: {
      pattern: '{<name>}',
      type: t.zset(),
      role: 'lock',
      ttl: defaultLeaseMs,
      maxItems: limit,
      description: 'holder id → lease expiry (ms); expired holders are dropped on every acquisition',
    },
  })
  declareOn(db, keyspace)

  const take = async (rawName: string, options?: AcquireOptions): Promise<Lease | null> => {
    const name = identifier('name', rawName)
    const call = acquireCall(options, defaultLeaseMs)
    const holders = keyspace.holders.key({ name })
    const token = randomBytes(16).toString('base64url')
    return retryUntil<Lease>(call, retryDelayMs, async () => {
      const sentAt = performance.now()
      const [ok, value] = (await SEMAPHORE_ACQUIRE.run(
        db,
        { holders },
        { holder: token, limit, leaseMs: call.leaseMs, now: now() },
      )) as number[]
      if (ok !== 1) return { retryInMs: value ?? retryDelayMs }
      const validity = new LeaseValidity(`a permit of '${name}'`, sentAt, call.leaseMs)
      const lease: Lease = {
        name,
        token,
        leaseMs: call.leaseMs,
        signal: validity.signal,
        async extend(leaseMs?: number) {
          const ms = durationMs('leaseMs', leaseMs, call.leaseMs)
          const run = async () =>
            int(await SEMAPHORE_EXTEND.run(db, { holders }, { holder: token, leaseMs: ms, now: now() })) === 1
          if (!(await validity.extend(ms, run)))
            throw structureError('LOCK_NOT_HELD', `this holder no longer holds a permit of '${name}'`, {
              name,
            })
        },
        async release() {
          validity.end()
          if (int(await db.call(['ZREM', holders, token])) !== 1)
            throw structureError('LOCK_NOT_HELD', `this holder's permit of '${name}' had expired`, { name })
        },
      }
      return { value: lease }
    })
  }

  return Object.freeze({
    limit,
    keyspace,
    acquire: async (name: string, options?: AcquireOptions) =>
      take(name, strictOptions('acquire options', options, ACQUIRE_OPTIONS, LEASE_HINTS) as AcquireOptions),
    withPermit<T>(name: string, fn: (lease: Lease) => Promise<T> | T, options?: WithLeaseOptions) {
      strictOptions('withPermit options', options, WITH_LEASE_OPTIONS, LEASE_HINTS)
      return takeAndRun(take, name, fn, options, {
        call: 'withPermit',
        refusal: (waitMs) => `no permit of '${name}' freed up within ${waitMs} ms`,
      })
    },
    async holders(name: string) {
      const key = keyspace.holders.key({ name: identifier('name', name) })
      return int(await SEMAPHORE_HOLDERS.run(db, { holders: key }, { now: now() }))
    },
  })
}
