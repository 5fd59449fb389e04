import { defineScript } from '../atomic/script.js'

const here = (file: string) => new URL(`./lua/${file}`, import.meta.url)

export const ENQUEUE = defineScript({
  name: 'rq-enqueue',
  file: here('enqueue.lua'),
  keys: ['job', 'queue', 'queues', 'scheduled'],
  args: [
    'id',
    'data',
    'createdAt',
    'origin',
    'description',
    'timeout',
    'resultTtl',
    'failureTtl',
    'ttl',
    'meta',
    'atFront',
    'runAt',
    'retriesLeft',
    'retryIntervals',
  ],
})
export const START = defineScript({
  name: 'rq-start',
  file: here('start.lua'),
  keys: ['job', 'started'],
  args: ['id', 'now', 'worker', 'expiry'],
})
export const HEARTBEAT = defineScript({
  name: 'rq-heartbeat',
  file: here('heartbeat.lua'),
  keys: ['job', 'started'],
  args: ['id', 'now', 'expiry'],
})
export const FINISH = defineScript({
  name: 'rq-finish',
  file: here('finish.lua'),
  keys: ['job', 'started', 'finished', 'results'],
  args: ['id', 'endedAt', 'resultTtl', 'now', 'returnValue'],
})
export const FAIL = defineScript({
  name: 'rq-fail',
  file: here('fail.lua'),
  keys: ['job', 'started', 'failed', 'results', 'queue', 'scheduled', 'queues'],
  args: ['id', 'endedAt', 'failureTtl', 'now', 'excString', 'retry'],
})
export const CLEANUP = defineScript({
  name: 'rq-cleanup',
  file: here('cleanup.lua'),
  keys: ['started', 'failed', 'finished', 'queue', 'scheduled', 'queues', 'cleaning'],
  args: ['now', 'jobPrefix', 'excInfo', 'failureTtl', 'nowText', 'force'],
})
export const PROMOTE = defineScript({
  name: 'rq-promote',
  file: here('promote.lua'),
  keys: ['scheduled', 'queue', 'queues', 'lock'],
  args: ['now', 'nowText', 'jobPrefix', 'token', 'lockTtl', 'release'],
})

/**
 * RQ's keys of one job and queue share no hash tag (RQ predates Cluster and does not support
 * it), so every script here addresses several slots. The guard refuses that even on one server;
 * this module refuses Cluster clients outright (openRq), so each of its calls accepts
 * GUARD_CROSSSLOT explicitly — and only that rule.
 */
export const RQ_ALLOW = ['GUARD_CROSSSLOT'] as const

/** The call options of every RQ script call: RQ_ALLOW (see above). */
export const RQ_CALL = { allow: RQ_ALLOW } as const
/** RQ_CALL with bulk strings as Buffers: the job's `data` is zlib bytes, which a UTF-8 decode would corrupt. */
export const RQ_BINARY_CALL = { allow: RQ_ALLOW, buffers: true } as const
