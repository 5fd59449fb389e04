import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildNodeProbe, parseSaveRules } from '../../src/client/probe.js'
import { type CommandTable, commandKeys, connect, parseCommandTable } from '../../src/index.js'
import { type RedisServer, startRedis } from '../../src/testing/index.js'

let server: RedisServer
let table: CommandTable

beforeAll(async () => {
  server = await startRedis()
  const db = await connect({ url: server.url })
  table = parseCommandTable(await db.call(['COMMAND']))
  await db.close()
})
afterAll(() => server?.stop())

describe('commandKeys, from the server’s own COMMAND table', () => {
  it.each([
    [['GET', 'a'], ['a']],
    [['set', 'a', '1', 'PX', '10'], ['a']],
    [
      ['MSET', 'a', '1', 'b', '2'],
      ['a', 'b'],
    ],
    [
      ['MGET', 'a', 'b', 'c'],
      ['a', 'b', 'c'],
    ],
    [
      ['DEL', 'a', 'b'],
      ['a', 'b'],
    ],
    [['OBJECT', 'ENCODING', 'k'], ['k']],
    [['XINFO', 'STREAM', 's'], ['s']],
    [
      ['EVAL', 'return 1', '2', 'k1', 'k2', 'arg'],
      ['k1', 'k2'],
    ],
    [['EVALSHA', 'abc', '0', 'arg'], []],
    [['FCALL', 'fn', '1', 'k', 'a'], ['k']],
    [
      ['XREAD', 'COUNT', '1', 'STREAMS', 's1', 's2', '0', '0'],
      ['s1', 's2'],
    ],
    [['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '>'], ['s']],
    [
      ['ZUNIONSTORE', 'dst', '2', 'a', 'b', 'WEIGHTS', '1', '2'],
      ['dst', 'a', 'b'],
    ],
    [
      ['ZINTER', '2', 'a', 'b'],
      ['a', 'b'],
    ],
    [
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '5'],
      ['a', 'b'],
    ],
    [
      ['BLMPOP', '1', '2', 'a', 'b', 'LEFT'],
      ['a', 'b'],
    ],
    [
      ['SORT', 'src', 'LIMIT', '0', '10', 'STORE', 'dst'],
      ['src', 'dst'],
    ],
    [['PING'], []],
    [['NOSUCHCOMMAND', 'x'], []],
  ])('%j → %j', (command, keys) => {
    expect(commandKeys(table, command)).toEqual(keys)
  })
})

describe('probe parsing', () => {
  it('reads save rules', () => {
    expect(parseSaveRules('3600 1 300 100')).toEqual([
      [3600, 1],
      [300, 100],
    ])
    expect(parseSaveRules('')).toEqual([])
  })

  it('reads Redis 6 ziplist names when listpack names are absent', () => {
    const probe = buildNodeProbe('h:1', {
      info: 'redis_version:6.2.14\r\naof_enabled:0\r\nmodule:name=search,ver=20804,api=1\r\n',
      config: [
        'hash-max-ziplist-entries',
        '256',
        'appendonly',
        'yes',
        'appendfsync',
        'always',
        'save',
        '900 1',
      ],
    })
    expect(probe.listpack.hashEntries).toBe(256)
    expect(probe.listpack.setEntries).toBeNull()
    expect(probe.persistence).toMatchObject({ aof: true, appendfsync: 'always', rdbSaveRules: [[900, 1]] })
    expect(probe.modules).toEqual([{ name: 'search', version: 20804 }])
    expect(probe.version).toBe('6.2.14')
  })
})
