import { defineScript } from '../../atomic/script.js'

const here = (file: string) => new URL(`./${file}`, import.meta.url)

export const ACQUIRE = defineScript({
  name: 'lock-acquire',
  file: here('acquire.lua'),
  keys: ['lock', 'fence'],
  args: ['token', 'leaseMs'],
})
export const RELEASE = defineScript({
  name: 'lock-release',
  file: here('release.lua'),
  keys: ['lock'],
  args: ['token'],
})
export const EXTEND = defineScript({
  name: 'lock-extend',
  file: here('extend.lua'),
  keys: ['lock'],
  args: ['token', 'leaseMs'],
})
export const SEMAPHORE_ACQUIRE = defineScript({
  name: 'semaphore-acquire',
  file: here('semaphore-acquire.lua'),
  keys: ['holders'],
  args: ['holder', 'limit', 'leaseMs', 'now'],
})
export const SEMAPHORE_EXTEND = defineScript({
  name: 'semaphore-extend',
  file: here('semaphore-extend.lua'),
  keys: ['holders'],
  args: ['holder', 'leaseMs', 'now'],
})
export const SEMAPHORE_HOLDERS = defineScript({
  name: 'semaphore-holders',
  file: here('semaphore-holders.lua'),
  keys: ['holders'],
  args: ['now'],
})
