import { defineScript } from '../../atomic/script.js'

const here = (file: string) => new URL(`./${file}`, import.meta.url)

export const MARK = defineScript({
  name: 'activity-mark',
  file: here('mark.lua'),
  keys: ['ids', 'next', 'day'],
  args: ['user', 'maxId', 'expireAt'],
})
export const CHECK = defineScript({
  name: 'activity-check',
  file: here('check.lua'),
  keys: ['ids', 'bitmap'],
  args: ['user'],
})
