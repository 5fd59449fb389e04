import { MAX_BULK_BYTES } from '../keyspace/encoding.js'
import { t } from '../keyspace/types.js'
import { structureKeyspace } from '../kit/keyspace.js'

/**
 * Every key of one queue carries the hash tag `{<queue>}`: each check-then-act is one script
 * over several of them, which a Cluster only runs when they share a slot. Everything is
 * `persistent`: a waiting job that expired would be a lost job. Completed jobs' hashes are the
 * exception — the finishing script gives them the result TTL (`expiresWhenDone`).
 */
export function queueKeyspace(namespace: string) {
  return structureKeyspace(namespace, {
    job: {
      pattern: '{<queue>}:job:<id>',
      type: t.hash(),
      role: 'queue',
      ttl: 'persistent',
      expiresWhenDone: true,
      maxItems: 32,
      // Data, result and history are the application's and the job's own: any size Redis takes
      // (proto-max-bulk-len), so the hash is predicted in its large encoding, as it is found.
      maxValueBytes: MAX_BULK_BYTES,
      description:
        'one job: name, data, options, attempts, stalls, state, lease token, history, result/error; completed ones expire',
    },
    wait: {
      pattern: '{<queue>}:wait',
      type: t.zset(),
      role: 'queue',
      ttl: 'persistent',
      description: 'waiting job ids, score priority·2^42 + sequence: lowest priority first, FIFO within one',
    },
    delayed: {
      pattern: '{<queue>}:delayed',
      type: t.zset(),
      role: 'queue',
      ttl: 'persistent',
      description: 'delayed and backing-off job ids, score = due time (ms)',
    },
    active: {
      pattern: '{<queue>}:active',
      type: t.zset(),
      role: 'queue',
      ttl: 'persistent',
      description: 'running job ids, score = lease deadline (ms): past it, the job is recovered',
    },
    dead: {
      pattern: '{<queue>}:dead',
      type: t.zset(),
      role: 'queue',
      ttl: 'persistent',
      description: 'job ids that failed their last attempt, score = time of death',
    },
    take: {
      pattern: '{<queue>}:take:<token>',
      type: t.string(),
      role: 'queue',
      // The longest of them: a lost call's marker, max(2 × leaseMs, 10 min) (take.lua).
      ttl: '10m',
      description:
        "the job ids one worker call took, kept for the lease's time (PX leaseMs), so that a call whose reply was lost can give them back; deleted once the reply arrived. A lost call's marker (empty) lives max(2 × leaseMs, 10 min), so that the call, if it still runs, hands out nothing",
    },
    signal: {
      pattern: '{<queue>}:signal',
      type: t.list(),
      role: 'queue',
      ttl: 'persistent',
      maxItems: 1,
      description:
        'wake-up signal: idle workers block on it (BLPOP); an add pushes one when it is empty, so an idle worker starts a new job at once',
    },
    wake: {
      pattern: '{<queue>}:idle:<waiter>',
      type: t.list(),
      role: 'queue',
      ttl: 60_000,
      maxItems: 2,
      description:
        "a waiting worker's own wake-up list (per registration as idle, `<waiter>` its token; else per worker), beside the signal in its BLPOP: an add pushes a job it hands to the worker, close() pushes to it to end the wait",
    },
    idle: {
      pattern: '{<queue>}:idle',
      type: t.zset(),
      role: 'queue',
      ttl: 'persistent',
      description:
        "workers waiting for a job (a registration's token, ending in '.<lease ms>~'; its wake-up list is this key + ':' + token), score = the end of the wait (ms): an add hands its job to the latest",
    },
    repeats: {
      pattern: '{<queue>}:repeat',
      type: t.hash(),
      role: 'queue',
      ttl: 'persistent',
      description:
        'repeatable jobs: `spec:<key>` the schedule (JSON: name, every or cron + tz, data, job options), `next:<key>` its pending occurrence; read with HSCAN',
    },
    seq: {
      pattern: '{<queue>}:seq',
      type: t.counter(),
      role: 'counter',
      ttl: 'persistent',
      description: 'FIFO sequence within a priority',
    },
    completed: {
      pattern: '{<queue>}:completed',
      type: t.counter(),
      role: 'counter',
      ttl: 'persistent',
      description: 'jobs completed, ever',
    },
    paused: {
      pattern: '{<queue>}:paused',
      type: t.string(),
      role: 'queue',
      ttl: 'persistent',
      description: 'present while the queue is paused: workers take no jobs',
    },
    events: {
      pattern: '{<queue>}:events',
      type: t.stream(),
      role: 'queue',
      ttl: 'persistent',
      description:
        'job events (completed, failed, progress; one entry per worker call), capped with MAXLEN ~ by the scripts that write them',
    },
  })
}

/** The keyspace queues live in (namespace `queue` unless configured). */
export type QueueKeyspace = ReturnType<typeof queueKeyspace>

/** The keys of one queue. */
export function queueKeys(keyspace: QueueKeyspace, queue: string) {
  const sample = keyspace.job.key({ queue, id: 'x' })
  return {
    jobPrefix: sample.slice(0, -1),
    takePrefix: keyspace.take.key({ queue, token: 'x' }).slice(0, -1),
    /** The hash of a job. */
    job: (id: string) => keyspace.job.key({ queue, id }),
    wait: keyspace.wait.key({ queue }),
    delayed: keyspace.delayed.key({ queue }),
    active: keyspace.active.key({ queue }),
    dead: keyspace.dead.key({ queue }),
    seq: keyspace.seq.key({ queue }),
    completed: keyspace.completed.key({ queue }),
    paused: keyspace.paused.key({ queue }),
    signal: keyspace.signal.key({ queue }),
    repeats: keyspace.repeats.key({ queue }),
    /** The list a worker blocks on, pushed when work arrives. */
    wake: (waiter: string) => keyspace.wake.key({ queue, waiter }),
    idle: keyspace.idle.key({ queue }),
    events: keyspace.events.key({ queue }),
  }
}

/** The keys of one queue: its lists, sorted sets and per-job hashes. */
export type QueueKeys = ReturnType<typeof queueKeys>
