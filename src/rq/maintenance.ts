import type { Executor } from '../common/types.js'
import { compressText, DEFAULT_FAILURE_TTL_S, timestampS, utcformat } from './format.js'
import type { RqKeys } from './keyspace.js'
import { CLEANUP, PROMOTE, RQ_CALL } from './scripts.js'

/**
 * What RQ's workers do besides running jobs, for one queue, each as one script: registry cleanup
 * (abandoned jobs) and the scheduler (due scheduled jobs). Both take RQ's own locks, so Python
 * workers and TypeScript workers of the same queue take turns instead of doing the work twice.
 */

/**
 * rq/worker.py clean_registries → rq/registry.py StartedJobRegistry.cleanup, then the Finished
 * and Failed registries' expired entries. Null when another worker holds the cleaning lock.
 */
export async function cleanRegistries(
  db: Executor,
  keys: RqKeys,
  force: boolean,
): Promise<{ failed: number; retried: number } | null> {
  const now = Date.now()
  // rq/registry.py writes "Moved to FailedJobRegistry at %s" % datetime.now(): local time,
  // 'YYYY-MM-DD HH:MM:SS.ffffff', zlib-compressed like any exc_info.
  const local = new Date(now - new Date(now).getTimezoneOffset() * 60_000).toISOString()
  const excInfo = compressText(
    `Moved to FailedJobRegistry at ${local.slice(0, 10)} ${local.slice(11, 23)}000`,
  )
  const reply = (await CLEANUP.run(
    db,
    {
      started: keys.started,
      failed: keys.failed,
      finished: keys.finished,
      queue: keys.queue,
      scheduled: keys.scheduled,
      queues: keys.queues,
      cleaning: keys.cleaning,
    },
    {
      now: timestampS(now),
      jobPrefix: keys.jobPrefix,
      excInfo,
      failureTtl: DEFAULT_FAILURE_TTL_S,
      nowText: utcformat(now),
      force: force ? '1' : '0',
    },
    RQ_CALL,
  )) as number[]
  const failed = Number(reply[0])
  return failed < 0 ? null : { failed, retried: Number(reply[1]) }
}

/**
 * rq/scheduler.py enqueue_scheduled_jobs for one queue under its scheduler lock (held with
 * `token`, `lockTtlS`); with `release`, only gives the lock up. The number of jobs enqueued.
 */
export async function enqueueDueJobs(
  db: Executor,
  keys: RqKeys,
  token: string,
  lockTtlS: number,
  release: boolean,
): Promise<number> {
  const now = Date.now()
  const moved = Number(
    await PROMOTE.run(
      db,
      { scheduled: keys.scheduled, queue: keys.queue, queues: keys.queues, lock: keys.schedulerLock },
      {
        now: timestampS(now),
        nowText: utcformat(now),
        jobPrefix: keys.jobPrefix,
        token,
        lockTtl: lockTtlS,
        release: release ? '1' : '0',
      },
      RQ_CALL,
    ),
  )
  return Math.max(0, moved)
}
