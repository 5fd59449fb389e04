import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { bytes, codecs, decimal, isCodec, json, msgpack, raw, resolveCodec } from '../../src/codec/index.js'
import { RedisExpertError } from '../../src/errors.js'

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return error instanceof RedisExpertError ? error.code : 'not a RedisExpertError'
  }
  return undefined
}

// JSON values that survive a round trip unchanged (no -0, no undefined inside objects).
const jsonValue = fc
  .jsonValue({ noUnicodeString: false })
  .map((v) => JSON.parse(JSON.stringify(v)) as unknown)

describe('json codec', () => {
  it('round-trips any JSON value, from text and from a Buffer', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const encoded = json.encode(value)
        expect(json.decode(encoded)).toEqual(value)
        expect(json.decode(Buffer.from(encoded as string, 'utf8'))).toEqual(value)
      }),
    )
  })

  it('refuses what JSON cannot represent faithfully', () => {
    expect(code(() => json.encode(undefined))).toBe('ENCODE_FAILED')
    expect(code(() => json.encode(() => 1))).toBe('ENCODE_FAILED')
    expect(code(() => json.encode(10n))).toBe('ENCODE_FAILED')
    expect(code(() => json.encode(Number.NaN))).toBe('ENCODE_FAILED')
    expect(code(() => json.encode(Number.POSITIVE_INFINITY))).toBe('ENCODE_FAILED')
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(code(() => json.encode(cycle))).toBe('ENCODE_FAILED')
  })

  it('reports text that is not JSON as DECODE_FAILED', () => {
    expect(code(() => json.decode('not json'))).toBe('DECODE_FAILED')
    expect(code(() => json.decode(''))).toBe('DECODE_FAILED')
    expect(code(() => json.decode(Buffer.from([0x7b])))).toBe('DECODE_FAILED')
  })
})

describe('msgpack codec', () => {
  it('round-trips JSON-like values through Buffers', () => {
    fc.assert(
      fc.property(jsonValue, (value) => {
        const encoded = msgpack.encode(value)
        expect(Buffer.isBuffer(encoded)).toBe(true)
        expect(msgpack.decode(encoded)).toEqual(value)
      }),
    )
  })

  it('keeps a "__proto__" key as a field, never as the prototype', () => {
    const hostile = JSON.parse('{"__proto__":{"polluted":true},"a":[{"__proto__":1}]}') as Record<
      string,
      unknown
    >
    const decoded = msgpack.decode(msgpack.encode(hostile) as Buffer) as Record<string, unknown>
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype)
    expect(Object.hasOwn(decoded, '__proto__')).toBe(true)
    expect(decoded).toEqual(hostile)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('writes plain MessagePack (no msgpackr records), readable by other languages', () => {
    // {"a":1} as a fixmap with one fixstr key and a positive fixint.
    expect([...(msgpack.encode({ a: 1 }) as Buffer)]).toEqual([0x81, 0xa1, 0x61, 0x01])
    expect(msgpack.decode(Buffer.from([0x81, 0xa1, 0x61, 0x01]))).toEqual({ a: 1 })
  })

  it('writes integers beyond 32 bits as 64-bit integers, exactly, and reads them back as numbers', () => {
    // msgpackr alone writes 2^40 as a float64 (0xcb); another language would read 1099511627776.0.
    expect((msgpack.encode(2 ** 40) as Buffer).toString('hex')).toBe('d30000010000000000')
    expect((msgpack.encode(-(2 ** 40)) as Buffer).toString('hex')).toBe('d3ffffff0000000000')
    expect((msgpack.encode({ n: [Number.MAX_SAFE_INTEGER] }) as Buffer).toString('hex')).toBe(
      '81a16e91d3001fffffffffffff',
    )
    // 32-bit integers keep their smallest form; floats stay float64; a safe BigInt is an integer.
    expect((msgpack.encode(2 ** 32 - 1) as Buffer).toString('hex')).toBe('ceffffffff')
    expect((msgpack.encode(1.5) as Buffer).toString('hex')).toBe('cb3ff8000000000000')
    expect((msgpack.encode(5n) as Buffer).toString('hex')).toBe('05')
    // What Python's msgpack writes for a positive int above 2^32 (uint64) reads back exact.
    expect(msgpack.decode(Buffer.from('cf0000010000000000', 'hex'))).toBe(2 ** 40)
    expect(msgpack.decode(Buffer.from('d3ffe0000000000001', 'hex'))).toBe(-Number.MAX_SAFE_INTEGER)
    expect(msgpack.decode(Buffer.from('d30000000000000001', 'hex'))).toBe(1)
    expect(Object.is(msgpack.decode(msgpack.encode(-0) as Buffer), 0)).toBe(true)
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        const decoded = msgpack.decode(msgpack.encode({ n, list: [n, -n] }) as Buffer)
        // -0 is an integer here, and MessagePack's integers (like JSON's numbers) have no -0.
        expect(decoded).toEqual({ n, list: [n, n === 0 ? 0 : -n] })
      }),
    )
  })

  it('refuses integers beyond ±(2^53 − 1) both ways instead of rounding them or returning a BigInt', () => {
    // Python's 2**63 - 1 (int64) and 2**64 - 1 (uint64).
    expect(code(() => msgpack.decode(Buffer.from('d37fffffffffffffff', 'hex')))).toBe('DECODE_FAILED')
    expect(code(() => msgpack.decode(Buffer.from('cfffffffffffffffff', 'hex')))).toBe('DECODE_FAILED')
    expect(code(() => msgpack.decode(Buffer.from('81a178cf0020000000000000', 'hex')))).toBe('DECODE_FAILED')
    expect(code(() => msgpack.encode({ a: [2n ** 63n - 1n] }))).toBe('ENCODE_FAILED')
    // Beyond the safe range a number is a float that happens to be integral: float64, read back equal.
    expect((msgpack.encode(2 ** 53) as Buffer).toString('hex')).toBe('cb4340000000000000')
    expect(msgpack.decode(msgpack.encode(1e300) as Buffer)).toBe(1e300)
  })

  it('refuses undefined, text replies, truncated, trailing and reserved bytes', () => {
    expect(code(() => msgpack.encode(undefined))).toBe('ENCODE_FAILED')
    expect(code(() => msgpack.decode('text'))).toBe('DECODE_FAILED')
    expect(code(() => msgpack.decode(Buffer.from([0x82])))).toBe('DECODE_FAILED')
    expect(code(() => msgpack.decode(Buffer.from([0x01, 0x02])))).toBe('DECODE_FAILED')
    expect(code(() => msgpack.decode(Buffer.from([0xc1])))).toBe('DECODE_FAILED')
    expect(code(() => msgpack.decode(Buffer.from('{"a":1}')))).toBe('DECODE_FAILED')
  })
})

describe('raw and bytes codecs', () => {
  it('raw stores text as given and refuses non-strings', () => {
    expect(raw.encode('héllo')).toBe('héllo')
    expect(raw.decode('héllo')).toBe('héllo')
    expect(raw.decode(Buffer.from('\uFEFFbom', 'utf8'))).toBe('\uFEFFbom')
    expect(code(() => raw.encode(42 as unknown as string))).toBe('ENCODE_FAILED')
    expect(code(() => raw.decode(Buffer.from([0xff, 0xfe])))).toBe('DECODE_FAILED')
  })

  it('bytes passes Buffers through', () => {
    const buffer = Buffer.from([0, 255, 10])
    expect(bytes.encode(buffer)).toBe(buffer)
    expect(bytes.encode(new Uint8Array([1, 2]) as Buffer)).toEqual(Buffer.from([1, 2]))
    expect(bytes.decode(buffer)).toBe(buffer)
    expect(code(() => bytes.encode('text' as unknown as Buffer))).toBe('ENCODE_FAILED')
    expect(code(() => bytes.decode('text'))).toBe('DECODE_FAILED')
  })
})

describe('decimal codec', () => {
  it('round-trips safe integers and refuses everything else', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(decimal.decode(decimal.encode(n))).toBe(n === 0 ? 0 : n)
      }),
    )
    expect(decimal.encode(-0)).toBe('0')
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY, '1', 2 ** 53]) {
      expect(code(() => decimal.encode(bad as number))).toBe('ENCODE_FAILED')
    }
    for (const bad of ['', '01', '1.0', ' 1', '-0', '9007199254740993', 'abc']) {
      expect(code(() => decimal.decode(bad))).toBe('DECODE_FAILED')
    }
  })
})

describe('codec resolution', () => {
  it('resolves names and Codec objects, refuses the rest', () => {
    expect(resolveCodec('json')).toBe(json)
    expect(resolveCodec('msgpack')).toBe(msgpack)
    expect(resolveCodec(raw as never)).toBe(raw)
    expect(Object.keys(codecs).sort()).toEqual(['bytes', 'json', 'msgpack', 'raw'])
    expect(code(() => resolveCodec('yaml' as never))).toBe('INVALID_ARGUMENT')
    expect(code(() => resolveCodec('toString' as never))).toBe('INVALID_ARGUMENT')
    expect(code(() => resolveCodec({} as never))).toBe('INVALID_ARGUMENT')
    expect(isCodec({ name: 'x', binary: false, encode: String, decode: String })).toBe(true)
  })
})
