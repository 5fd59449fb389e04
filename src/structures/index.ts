/**
 * redis-expert/structures — the real-time structures every product needs, each declared in its
 * own keyspace, one round trip per operation, and Cluster-ready (keys used together share a
 * hash tag). See docs/structures.md.
 */

export type { Duration } from '../common/validate.js'
export {
  type Activity,
  type ActivityOptions,
  type Cohort,
  createActivity,
} from './activity/activity.js'
export { type StructureCode, structureError } from './common/errors.js'
export { dayId, monthId, type Period, weekId } from './common/periods.js'
export {
  type CompactMap,
  type CompactMapOptions,
  createCompactMap,
  type MemoryReport,
} from './compact/map.js'
export {
  type BoardEntry,
  type BoardSelector,
  createLeaderboard,
  type Leaderboard,
  type LeaderboardOptions,
  type Order,
  type Page,
  type SubmitMode,
  type Ties,
} from './leaderboard/leaderboard.js'
export type { AcquireOptions, Lease, WithLeaseOptions } from './lock/lease.js'
export { createLock, type Lock, type LockLease, type LockOptions, withLock } from './lock/lock.js'
export { createSemaphore, type Semaphore, type SemaphoreOptions } from './lock/semaphore.js'
export { rateLimitHeaders } from './ratelimit/headers.js'
export {
  type Algorithm,
  createRateLimiter,
  type Decision,
  type RateLimiter,
  type RateLimiterOptions,
} from './ratelimit/limiter.js'
export {
  type RateLimitMiddlewareOptions,
  rateLimitExpress,
  rateLimitFastify,
} from './ratelimit/middleware.js'
export {
  type ConnectRedisSource,
  createSessionStore,
  type MigrationReport,
  RedisSessionStore,
  type SessionPage,
  type SessionSerializer,
  type SessionStoreOptions,
  type SessionTtl,
} from './sessions/store.js'
export type { SessionCookie, SessionData } from './sessions/types.js'
export {
  type CountRange,
  createUniqueCounter,
  HLL_STANDARD_ERROR,
  type UniqueCounter,
  type UniqueCounterOptions,
} from './unique/counter.js'
