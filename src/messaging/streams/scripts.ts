import { defineScript } from '../../atomic/script.js'

const here = (file: string) => new URL(`./${file}`, import.meta.url)

export const RECLAIM = defineScript({
  name: 'stream-reclaim',
  file: here('reclaim.lua'),
  keys: ['stream', 'dead', 'failures'],
  args: ['group', 'consumer', 'minIdleMs', 'cursor', 'count', 'maxDeliveries', 'deadMaxLen', 'maxStalls'],
})
export const DEAD_LETTER = defineScript({
  name: 'stream-dead-letter',
  file: here('dead-letter.lua'),
  keys: ['stream', 'dead', 'failures'],
  args: ['group', 'consumer', 'id', 'error', 'deadMaxLen'],
})
export const FAIL = defineScript({
  name: 'stream-fail',
  file: here('fail.lua'),
  keys: ['stream', 'failures'],
  args: ['group', 'consumer', 'id', 'idleMs', 'ttlMs'],
})
export const RENEW = defineScript({
  name: 'stream-renew',
  file: here('renew.lua'),
  keys: ['stream'],
  args: ['group', 'consumer', 'count'],
})
export const PRUNE = defineScript({
  name: 'stream-prune-consumers',
  file: here('prune.lua'),
  keys: ['stream'],
  args: ['group', 'idleMs', 'consumer'],
})
