import { describe, expect, it } from 'vitest'
import { classify } from '../../src/guard/classify.js'
import { knownCommands, windowItems } from '../../src/guard/index.js'
import { LATER_COMMANDS, REDIS_7_COMMANDS } from './keys.js'

describe('the command table', () => {
  it('classifies every Redis 7.0 command and the later ones it names', () => {
    const known = new Set(knownCommands())
    const missing = [...Object.keys(REDIS_7_COMMANDS), ...LATER_COMMANDS].filter((name) => !known.has(name))
    expect(missing).toEqual([])
  })

  it('knows the single key position of every single-key command it claims', () => {
    // A profile with a fixed key position must agree with the server's (firstKey = lastKey = position).
    for (const name of knownCommands()) {
      const spec = REDIS_7_COMMANDS[name]
      if (!spec) continue
      const profile = classify([name, 'k', 'a', 'b', 'c', 'd', 'e', 'f'], 1000)
      if (typeof profile.keys !== 'number' || profile.keys !== 1) continue
      expect([spec[0], spec[1]], name).toEqual([1, 1])
    }
  })

  it('returns the same frozen profile for the hot allowed commands', () => {
    for (const command of [
      ['GET', 'k'],
      ['get', 'k'],
      ['SET', 'k', 'v', 'PX', '1000'],
      ['HGET', 'h', 'f'],
      ['LRANGE', 'l', '0', '99'],
      ['ZRANGE', 'z', '0', '9'],
    ]) {
      const a = classify(command, 1000)
      expect(a, command.join(' ')).toBe(classify(command, 1000))
      expect(Object.isFrozen(a)).toBe(true)
    }
    expect(classify(['GET', 'k'], 1000).quiet).toBe(true)
    expect(classify(['SET', 'k', 'v', 'PX', 1], 1000).quiet).toBe(true)
    expect(classify(['SET', 'k', 'v'], 1000).quiet).toBe(false)
  })

  it('uses the mixed-case name too', () => {
    expect(classify(['Keys', '*'], 1000).refusal?.rule).toBe('keys')
    expect(classify(['mOdUlE.cMd', 'k'], 1000)).toMatchObject({ name: 'MODULE.CMD', unknown: true })
  })

  it('does not take a value that looks like an option for one', () => {
    // The field named MAXLEN and the value NOMKSTREAM come after the ID: XADD may still create the stream.
    expect(classify(['XADD', 's', '*', 'NOMKSTREAM', 'x'], 1000).ttlRisk).toBe(true)
    expect(classify(['XADD', 's', 'MAXLEN', '~', '10', '*', 'f', 'v'], 1000).ttlRisk).toBe(true)
    expect(classify(['XADD', 's', 'MINID', '5', 'NOMKSTREAM', '*', 'f', 'v'], 1000).ttlRisk).toBe(false)
    // A GEOSEARCH member called COUNT is not the COUNT option.
    expect(classify(['GEOSEARCH', 'g', 'FROMMEMBER', 'COUNT', 'BYRADIUS', '1', 'km'], 1000).items).toBe(
      Number.POSITIVE_INFINITY,
    )
    // ZADD members named XX do not make it XX.
    expect(classify(['ZADD', 'z', '1', 'XX'], 1000).ttlRisk).toBe(true)
    // A SCAN pattern called COUNT is not the COUNT option.
    expect(classify(['SCAN', '0', 'MATCH', 'COUNT', 'COUNT', '100000'], 1000).items).toBe(100000)
    expect(classify(['HSCAN', 'h', '0', 'MATCH', 'COUNT'], 1000).items).toBe(0)
    // SET's value is never read as an option.
    expect(classify(['SET', 'k', 'PX'], 1000).writes[0]?.ttl).toBe('clears')
  })

  it('reads TTL effects of the expiry commands', () => {
    const ttl = (command: (string | number)[]) => classify(command, 1000).writes[0]?.ttl
    expect(ttl(['EXPIRE', 'k', 10])).toBe('expires')
    expect(ttl(['EXPIRE', 'k', 10, 'NX'])).toBe('expires')
    expect(ttl(['EXPIRE', 'k', 10, 'LT'])).toBe('expires')
    expect(ttl(['EXPIRE', 'k', 10, 'XX'])).toBe('keeps')
    expect(ttl(['PEXPIRE', 'k', 10, 'gt'])).toBe('keeps')
    expect(ttl(['EXPIRE', 'k', 0])).toBe('deletes')
    expect(ttl(['PEXPIRE', 'k', -5])).toBe('deletes')
    expect(ttl(['EXPIREAT', 'k', 1])).toBe('expires')
    expect(ttl(['RESTORE', 'k', 100, 'x'])).toBe('with-ttl')
    expect(ttl(['GETEX', 'k'])).toBeUndefined()
    expect(ttl(['SET', 'k', 'v', 'GET', 'PXAT', 1])).toBe('with-ttl')
  })
})

describe('windowItems', () => {
  it.each([
    [0, 99, 100],
    [0, -1, Number.POSITIVE_INFINITY],
    [5, -3, Number.POSITIVE_INFINITY],
    [-100, -1, 100],
    [-1, -100, 0],
    [10, 5, 0],
    [-5, 100, 5],
    [-500, 3, 4],
    [undefined, 3, 0],
  ])('[%s, %s] → %s', (start, stop, items) => {
    expect(windowItems(start, stop)).toBe(items)
  })
})
