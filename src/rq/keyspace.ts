import type { Client } from '../client/client.js'
import { RedisExpertError } from '../errors.js'
import { MAX_BULK_BYTES } from '../keyspace/encoding.js'
import { t } from '../keyspace/types.js'
import { declareOn, structureKeyspace } from '../kit/keyspace.js'

/**
 * Python RQ's keys, declared so that the guard, the Key Schema table and the audit know them.
 * The names are RQ 1.13's (rq/job.py `redis_job_namespace_prefix`, rq/queue.py
 * `redis_queue_namespace_prefix` and `redis_queues_keys`, rq/registry.py `key_template`s,
 * rq/results.py `get_key`, rq/queue.py `registry_cleaning_key`); they are not ours to change.
 *
 * They share no hash tag — RQ does not support Redis Cluster — so this module refuses a Cluster
 * client (see `openRq`). Everything is `persistent` because RQ decides the lifetimes itself: a
 * queued job has no TTL (unless enqueued with `ttl`), a finished or failed one gets EXPIRE
 * result_ttl / failure_ttl from the script that finishes it, in the same round trip.
 */
export const RQ_NAMESPACE = 'rq'

/**
 * Declares RQ's keys (jobs, queues, registries, workers) so that the guard, the schema and the audit know
 * them.
 */
export function rqKeyspace() {
  return structureKeyspace(RQ_NAMESPACE, {
    job: {
      pattern: 'job:<id>',
      type: t.hash(),
      role: 'queue',
      ttl: 'persistent',
      expiresWhenDone: true,
      maxItems: 32,
      // The job's data, result and exc_info: any size (the queue's job entry says why this matters).
      maxValueBytes: MAX_BULK_BYTES,
      description:
        'one RQ job (rq/job.py to_dict): data = zlib(JSON [func, null, args, kwargs]), status, timestamps; EXPIRE result_ttl/failure_ttl once it ends',
    },
    queue: {
      pattern: 'queue:<name>',
      type: t.list(),
      role: 'queue',
      ttl: 'persistent',
      description: 'waiting job ids: RPUSH (LPUSH at_front), workers BLPOP',
    },
    queues: {
      pattern: 'queues',
      type: t.set(),
      role: 'queue',
      ttl: 'persistent',
      description: 'the key of every queue that ever had a job (rq:queue:<name>)',
    },
    started: {
      pattern: 'wip:<queue>',
      type: t.zset(),
      role: 'queue',
      ttl: 'persistent',
      description:
        'StartedJobRegistry: running job ids, score = heartbeat expiry (s); past it the job is abandoned',
    },
    finished: {
      pattern: 'finished:<queue>',
      type: t.zset(),
      role: 'queue',
      ttl: 'persistent',
      description: 'FinishedJobRegistry: job ids, score = now + result_ttl (s)',
    },
    failed: {
      pattern: 'failed:<queue>',
      type: t.zset(),
      role: 'queue',
      ttl: 'persistent',
      description: 'FailedJobRegistry: job ids, score = now + failure_ttl (s)',
    },
    scheduled: {
      pattern: 'scheduled:<queue>',
      type: t.zset(),
      role: 'queue',
      ttl: 'persistent',
      description: 'ScheduledJobRegistry: job ids, score = when to enqueue (s)',
    },
    results: {
      pattern: 'results:<id>',
      type: t.stream(),
      role: 'queue',
      ttl: 'persistent',
      expiresWhenDone: true,
      description:
        'rq/results.py: one entry per execution (type 1 ok / 2 failed, b64 return_value or exc_string), MAXLEN ~ 10, EXPIRE result_ttl',
    },
    cleaning: {
      pattern: 'clean_registries:<queue>',
      type: t.string(),
      role: 'lock',
      ttl: '899s',
      description:
        'who cleans the registries of a queue this time: SET NX EX 899 (rq/queue.py acquire_cleaning_lock)',
    },
    schedulerLock: {
      pattern: 'scheduler-lock:<queue>',
      type: t.string(),
      role: 'lock',
      ttl: '61s',
      description:
        "who moves a queue's due scheduled jobs: SET NX EX interval + 60 (rq/scheduler.py acquire_locks), renewed while it runs",
    },
  })
}

/** The keyspace declaring RQ's keys (namespace `rq`, as Python RQ writes them). */
export type RqKeyspace = ReturnType<typeof rqKeyspace>

/** The characters an RQ job id or queue name may use here: those that a key parameter keeps as they are. */
export const RQ_NAME = /^[A-Za-z0-9._~-]{1,512}$/

/** The keys of one queue and its jobs, exactly as RQ names them. */
export function rqKeys(keyspace: RqKeyspace, queue: string) {
  return {
    queue: keyspace.queue.key({ name: queue }),
    queues: keyspace.queues.key(),
    started: keyspace.started.key({ queue }),
    finished: keyspace.finished.key({ queue }),
    failed: keyspace.failed.key({ queue }),
    scheduled: keyspace.scheduled.key({ queue }),
    cleaning: keyspace.cleaning.key({ queue }),
    schedulerLock: keyspace.schedulerLock.key({ queue }),
    jobPrefix: keyspace.job.key({ id: 'x' }).slice(0, -1),
    /** The hash of a job (`rq:job:<id>`). */
    job: (id: string) => keyspace.job.key({ id }),
    /** The stream of a job's results (`rq:results:<id>`). */
    results: (id: string) => keyspace.results.key({ id }),
  }
}

/** The keys of RQ's data for queues and jobs, as Python RQ names them. */
export type RqKeys = ReturnType<typeof rqKeys>

/**
 * Declares RQ's keys on the client. Refuses a Cluster: RQ's keys of one job and queue hash to
 * different slots, and RQ itself only speaks to one server (standalone or behind Sentinel).
 */
export function openRq(db: Client, what: string): RqKeyspace {
  if (db?.mode === 'cluster')
    throw new RedisExpertError(
      'NOT_SUPPORTED',
      `${what}: Python RQ does not support Redis Cluster (its keys share no hash tag); connect to a standalone server or a Sentinel-managed master`,
    )
  const keyspace = rqKeyspace()
  declareOn(db, keyspace)
  return keyspace
}
