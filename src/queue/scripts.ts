import { defineScript } from '../atomic/script.js'

const here = (file: string) => new URL(`./lua/${file}`, import.meta.url)

export const ADD = defineScript({
  name: 'queue-add',
  file: here('add.lua'),
  keys: ['job', 'wait', 'delayed', 'seq'],
  args: [
    'id',
    'name',
    'data',
    'priority',
    'delayMs',
    'attempts',
    'backoffType',
    'backoffMs',
    'timeoutMs',
    'now',
  ],
})
export const TAKE = defineScript({
  name: 'queue-take',
  file: here('take.lua'),
  keys: ['wait', 'delayed', 'active', 'dead', 'seq', 'paused'],
  args: ['now', 'leaseMs', 'token', 'jobPrefix', 'count'],
})
export const FINISH = defineScript({
  name: 'queue-finish',
  file: here('finish.lua'),
  keys: ['job', 'active', 'wait', 'delayed', 'dead', 'seq', 'completed', 'events'],
  args: ['id', 'token', 'outcome', 'value', 'now', 'resultTtlMs', 'retryDelayMs', 'eventsMaxLen'],
})
export const EXTEND = defineScript({
  name: 'queue-extend',
  file: here('extend.lua'),
  keys: ['job', 'active'],
  args: ['id', 'token', 'deadline'],
})
export const PROGRESS = defineScript({
  name: 'queue-progress',
  file: here('progress.lua'),
  keys: ['job', 'events'],
  args: ['id', 'token', 'progress', 'eventsMaxLen'],
})
