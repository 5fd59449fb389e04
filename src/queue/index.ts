/**
 * redis-expert/queue — a reliable job queue: at-least-once, leases with recovery of a crashed
 * worker's jobs, retries with backoff, dead jobs, per-job timeouts, priorities, delays and
 * idempotent adds, repeatable jobs (every / cron), pause/resume, progress and a capped events
 * stream; stalls (a crashed worker's jobs) are not failures; every time is the server's. Every key of a queue shares the hash tag `{<queue>}`. See docs/messaging.md.
 */
export { type QueueEvent, QueueEvents, type QueueEventsOptions } from './events.js'
export { type QueueKeys, type QueueKeyspace, queueKeys, queueKeyspace } from './keyspace.js'
export type { Backoff, JobOptions } from './options.js'
export {
  type AddedJob,
  type JobHistoryEntry,
  type JobInfo,
  type JobState,
  Queue,
  type QueueCounts,
  type QueueOptions,
} from './queue.js'
export type { RepeatInfo, RepeatSchedule } from './repeat.js'
export { type Job, type JobHandler, Worker, type WorkerOptions, type WorkerStats } from './worker.js'
