import { defineScript } from '../../atomic/script.js'

const here = (file: string) => new URL(`./${file}`, import.meta.url)

export const RANK = defineScript({
  name: 'leaderboard-rank',
  file: here('rank.lua'),
  keys: ['board'],
  args: ['order', 'ties', 'member'],
})
export const AROUND = defineScript({
  name: 'leaderboard-around',
  file: here('around.lua'),
  keys: ['board'],
  args: ['order', 'ties', 'member', 'n'],
})
export const PAGE = defineScript({
  name: 'leaderboard-page',
  file: here('page.lua'),
  keys: ['board'],
  args: ['order', 'ties', 'score', 'member', 'limit'],
})
