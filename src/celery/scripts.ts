import { defineScript } from '../atomic/script.js'

const here = (file: string) => new URL(`./lua/${file}`, import.meta.url)

export const TAKE = defineScript({
  name: 'celery-take',
  file: here('take.lua'),
  keys: ['unacked', 'unackedIndex', 'list0', 'list3', 'list6', 'list9', 'dead'],
  args: ['now', 'queue', 'count'],
})

export const FINISH = defineScript({
  name: 'celery-finish',
  file: here('finish.lua'),
  keys: ['result', 'unacked', 'unackedIndex'],
  args: ['meta', 'ttlSeconds', 'tag', 'store'],
})

export const RESTORE = defineScript({
  name: 'celery-restore',
  file: here('restore.lua'),
  keys: ['unacked', 'unackedIndex', 'list'],
  args: ['tag', 'expected', 'message'],
})
