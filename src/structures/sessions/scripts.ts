import { defineScript } from '../../atomic/script.js'

const here = (file: string) => new URL(`./${file}`, import.meta.url)

export const SET = defineScript({
  name: 'session-set',
  file: here('set.lua'),
  keys: ['data', 'gone'],
  args: ['value', 'ttlMs'],
})
export const DESTROY = defineScript({
  name: 'session-destroy',
  file: here('destroy.lua'),
  keys: ['data', 'gone'],
  args: ['graceMs'],
})
export const INDEX = defineScript({
  name: 'session-index',
  file: here('index.lua'),
  keys: ['user'],
  args: ['sid', 'ttlMs', 'max'],
})
export const MOVE = defineScript({
  name: 'session-move',
  file: here('move.lua'),
  keys: ['data', 'gone'],
  args: ['value', 'ttlMs'],
})
