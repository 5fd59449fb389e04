import { describe, expect, it } from 'vitest'
import { defineScript } from '../../src/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/** `--@include <name>`: Lua snippets shared by several scripts, assembled when a script is defined. */

const fixture = (file: string) => new URL(`./fixtures/${file}`, import.meta.url)

const stamped = defineScript({
  name: 'stamped',
  file: fixture('stamped.lua'),
  keys: ['key'],
  args: ['n', 'now'],
})

const { db } = await startRedisForFile()

describe('--@include', () => {
  it('assembles the source at definition: a local snippet and a shared one, each once', () => {
    expect(stamped.source).toContain('local function double(n)')
    expect(stamped.source).toContain('local function now_ms(given, fraction)')
    expect(stamped.source.match(/local function double/g)).toHaveLength(1)
    expect(stamped.source).not.toMatch(/^--@include/m)
    expect(stamped.source.startsWith('--[[')).toBe(true)
  })

  it('runs the assembled script: the injected clock, or the server TIME', async () => {
    expect(await stamped.run(db, { key: 'inc:a' }, { n: 21, now: 1000 })).toBe('42 1000')
    const [, ms] = String(await stamped.run(db, { key: 'inc:b' }, { n: 1, now: '' })).split(' ')
    expect(Math.abs(Number(ms) - Date.now())).toBeLessThan(60_000)
  })

  it('checks the contract header on the assembled source, and refuses unknown snippets', () => {
    expect(() =>
      defineScript({ name: 'reaching', file: fixture('reaching.lua'), keys: ['key'], args: ['value'] }),
    ).toThrow(
      expect.objectContaining({ code: 'SCRIPT_INVALID', message: expect.stringContaining('ARGV[3]') }),
    )
    expect(() =>
      defineScript({
        name: 'missing-include',
        file: fixture('missing-include.lua'),
        keys: ['key'],
        args: [],
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'SCRIPT_INVALID',
        message: expect.stringContaining('no-such-snippet'),
      }),
    )
  })
})
