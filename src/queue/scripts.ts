import { defineScript } from '../atomic/script.js'

const here = (file: string) => new URL(`./lua/${file}`, import.meta.url)

/**
 * The queue's scripts take a batch: named KEYS and ARGV (checked by `defineScript`), then
 * repeated groups of arguments (n jobs), appended after the named ones.
 */
export const ADD = defineScript({
  name: 'queue-add',
  file: here('add.lua'),
  keys: ['wait', 'delayed', 'seq', 'signal', 'active', 'idle'],
  args: ['jobPrefix', 'count', 'givenIds', 'receiptMs'],
})
/** Per job after the named arguments: id, name, data, priority, delayMs, packed options. */
export const ADD_GROUP = 6

export const TAKE = defineScript({
  name: 'queue-take',
  file: here('take.lua'),
  keys: ['wait', 'delayed', 'active', 'dead', 'seq', 'paused', 'completed', 'events', 'signal', 'idle'],
  args: [
    'leaseMs',
    'token',
    'jobPrefix',
    'takePrefix',
    'count',
    'resultTtlMs',
    'eventsMaxLen',
    'jitter',
    'revoke',
    'confirm',
    'finished',
    'register',
    'unregister',
    'pollMs',
  ],
  reviewed:
    'inSlices(command, ...) is called with literal names only (ZREM, HDEL, ZADD, RPUSH, ...), never a name from ARGV',
})
/** Per finished attempt after the named arguments: id, token, outcome, value, jitter (0–1). */
export const FINISH_GROUP = 5

export const EXTEND = defineScript({
  name: 'queue-extend',
  file: here('extend.lua'),
  keys: ['active'],
  args: ['jobPrefix', 'leaseMs', 'count'],
})
export const REPEAT = defineScript({
  name: 'queue-repeat',
  file: here('repeat.lua'),
  keys: ['repeats', 'delayed', 'signal', 'wait'],
  args: ['jobPrefix', 'key', 'spec', 'mode', 'id', 'slot', 'fromId', 'name', 'data', 'opts'],
})
export const UNREPEAT = defineScript({
  name: 'queue-unrepeat',
  file: here('unrepeat.lua'),
  keys: ['repeats', 'delayed', 'wait'],
  args: ['jobPrefix', 'key'],
})
export const PROGRESS = defineScript({
  name: 'queue-progress',
  file: here('progress.lua'),
  keys: ['job', 'events'],
  args: ['id', 'token', 'progress', 'eventsMaxLen'],
})
