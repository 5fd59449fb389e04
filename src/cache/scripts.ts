import { defineScript, type Script } from '../atomic/script.js'

const lua = (name: string) => new URL(`./lua/${name}.lua`, import.meta.url)

export const leaseScript = defineScript({
  name: 'cache-lease',
  file: lua('lease'),
  keys: ['value', 'lease', 'generation'],
  args: ['token', 'leaseMs', 'now', 'stamp'],
})

export const commitScript = defineScript({
  name: 'cache-commit',
  file: lua('commit'),
  keys: ['value', 'lease', 'generation'],
  args: ['token', 'generation', 'envelope', 'px', 'channel', 'message'],
})

export const releaseScript = defineScript({
  name: 'cache-release',
  file: lua('release'),
  keys: ['lease'],
  args: ['token', 'channel', 'message'],
})

export const deleteScript = defineScript({
  name: 'cache-delete',
  file: lua('delete'),
  keys: ['value', 'lease', 'generation'],
  args: ['generationMs', 'channel', 'message'],
})

export const writeScript = defineScript({
  name: 'cache-write',
  file: lua('write'),
  keys: ['value', 'generation'],
  args: ['envelope', 'px', 'generationMs', 'channel', 'message', 'keepTags'],
})

export const tagsScript = defineScript({
  name: 'cache-tags',
  file: lua('tags'),
  keys: ['tags'],
  args: ['tags', 'retentionMs', 'channel', 'message'],
})

export const CACHE_SCRIPTS: readonly Script[] = [
  leaseScript,
  commitScript,
  releaseScript,
  deleteScript,
  writeScript,
  tagsScript,
] as readonly Script[]
