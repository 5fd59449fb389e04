import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { luaCalls } from '../../src/guard/lua-calls.js'

/** Static reading of the commands a Lua source calls: literals seen, comments and strings skipped, the rest reported. */

describe('luaCalls', () => {
  it('reads redis.call / redis.pcall with literal names, and their literal subcommands', () => {
    const { calls, dynamic } = luaCalls(`
      local v = redis.call('GET', KEYS[1])
      redis.pcall("hset", KEYS[1], 'f', v)
      if redis.call( 'CONFIG' , 'SET', 'maxmemory', '1') then end
      return server.call('OBJECT', "ENCODING", KEYS[1])
    `)
    expect(calls.map((c) => [c.command, c.subcommand, c.line])).toEqual([
      ['GET', null, 2],
      ['HSET', null, 3],
      ['CONFIG', 'SET', 4],
      ['OBJECT', 'ENCODING', 5],
    ])
    expect(dynamic).toEqual([])
  })

  it('reads each argument: literals, KEYS[i], ARGV[i], or unknown', () => {
    const [call] = luaCalls(
      "return redis.call('LRANGE', KEYS[2], -1, ARGV[1], local_var, KEYS[1] .. 'x', f(1, 2))",
    ).calls
    expect(call!.args).toEqual([
      { kind: 'key', index: 2 },
      { kind: 'literal', value: '-1' },
      { kind: 'argv', index: 1 },
      { kind: 'unknown' },
      { kind: 'unknown' },
      { kind: 'unknown' },
    ])
  })

  it('skips comments and strings that merely mention a call', () => {
    const { calls, dynamic } = luaCalls(`
      -- redis.call('KEYS', '*') in a comment
      --[[ redis.call('FLUSHALL') in a block comment ]]
      --[==[ and ]] redis.call('DEBUG') ]==]
      local s = "redis.call('SHUTDOWN')"
      local t = [[ redis.call('MONITOR') ]]
      local u = 'it\\'s redis.call("SAVE")'
      return redis.call('PING')
    `)
    expect(calls.map((c) => c.command)).toEqual(['PING'])
    expect(dynamic).toEqual([])
  })

  it('reports what it cannot read: computed names, concatenations, aliases, indexing', () => {
    const { calls, dynamic } = luaCalls(`
      local name = ARGV[1]
      redis.call(name, KEYS[1])
      redis.call('FLUSH' .. 'ALL')
      local c = redis.call
      redis['call']('KEYS', '*')
      redis.pcall(ARGV[2])
    `)
    expect(calls).toEqual([])
    expect(dynamic.map((d) => d.line)).toEqual([3, 4, 5, 6, 7])
  })

  it('reads the toolkit’s own typed-write script as dynamic (its commands come from ARGV)', () => {
    const source = readFileSync(new URL('../../src/ops/write.lua', import.meta.url), 'utf8')
    const { calls, dynamic } = luaCalls(source)
    expect(calls.map((c) => c.command)).toEqual(['PFMERGE', 'PEXPIRE'])
    expect(dynamic.length).toBeGreaterThan(0)
  })
})
