import { describe, expect, it } from 'vitest'
import { type ParsedReply, ReplyError, ReplyMode, ReplyParser } from '../../src/client/resp-parser.js'
import { CommandWriter, encodeCommand } from '../../src/client/resp-writer.js'

/** Collects what a parser delivers; `modes[i]` is reply i's mode (`true`: Buffers), text when unset. */
function collector(modes: readonly (boolean | ReplyMode)[] = []) {
  const out: (ParsedReply | { error: string })[] = []
  const parser = new ReplyParser({
    replyMode: () => {
      const mode = modes[out.length]
      return mode === true ? ReplyMode.buffers : mode === undefined || mode === false ? ReplyMode.text : mode
    },
    reply: (value) => out.push(value),
    error: (error) => out.push({ error: error.message }),
  })
  return { out, parser }
}

const SAMPLES: readonly [string, ParsedReply | { error: string }][] = [
  ['+OK\r\n', 'OK'],
  ['+QUEUED\r\n', 'QUEUED'],
  ['+\r\n', ''],
  ['-ERR unknown command\r\n', { error: 'ERR unknown command' }],
  ['-WRONGTYPE Operation against a key\r\n', { error: 'WRONGTYPE Operation against a key' }],
  [':0\r\n', 0],
  [':-12\r\n', -12],
  [':1234567890123\r\n', 1234567890123],
  ['$-1\r\n', null],
  ['$0\r\n\r\n', ''],
  ['$5\r\nhello\r\n', 'hello'],
  ['$4\r\na\r\nb\r\n', 'a\r\nb'],
  [`$${Buffer.byteLength('ü€😀')}\r\nü€😀\r\n`, 'ü€😀'],
  ['*-1\r\n', null],
  ['*0\r\n', []],
  ['*3\r\n$1\r\na\r\n$-1\r\n:7\r\n', ['a', null, 7]],
  ['*2\r\n*2\r\n:1\r\n$1\r\nb\r\n*0\r\n', [[1, 'b'], []]],
  ['*2\r\n*1\r\n*1\r\n*-1\r\n+x\r\n', [[[null]], 'x']],
  ['*3\r\n+OK\r\n-ERR inside\r\n$2\r\nok\r\n', ['OK', new ReplyError('ERR inside'), 'ok']],
]

const ALL = Buffer.from(SAMPLES.map(([wire]) => wire).join(''))
const EXPECTED = SAMPLES.map(([, value]) => value)

describe('ReplyParser', () => {
  it('parses every reply type', () => {
    const { out, parser } = collector()
    parser.push(ALL)
    expect(out).toEqual(EXPECTED)
    const nested = out[18] as ParsedReply[]
    expect(nested[1]).toBeInstanceOf(ReplyError)
  })

  it('reassembles replies split at every byte boundary', () => {
    for (let cut = 1; cut < ALL.length; cut++) {
      const { out, parser } = collector()
      parser.push(ALL.subarray(0, cut))
      parser.push(ALL.subarray(cut))
      expect(out, `cut at ${cut}`).toEqual(EXPECTED)
    }
  })

  it('reassembles replies split in three at every pair of boundaries', () => {
    const wire = Buffer.from('*2\r\n*2\r\n:1\r\n$3\r\nabc\r\n$-1\r\n-ERR x\r\n+OK\r\n')
    for (let a = 1; a < wire.length; a++)
      for (let b = a + 1; b < wire.length; b++) {
        const { out, parser } = collector()
        parser.push(wire.subarray(0, a))
        parser.push(wire.subarray(a, b))
        parser.push(wire.subarray(b))
        expect(out).toEqual([[[1, 'abc'], null], { error: 'ERR x' }, 'OK'])
      }
  })

  it('parses a byte at a time', () => {
    const { out, parser } = collector()
    for (let i = 0; i < ALL.length; i++) parser.push(ALL.subarray(i, i + 1))
    expect(out).toEqual(EXPECTED)
  })

  it('assembles a big bulk string from many chunks, without losing what follows', () => {
    const big = `${'x'.repeat(300_000)}ü`
    const wire = Buffer.concat([
      Buffer.from(
        `$${Buffer.byteLength(big)}\r\n${big}\r\n*2\r\n$${Buffer.byteLength(big)}\r\n${big}\r\n:5\r\n`,
      ),
      Buffer.from('+OK\r\n'),
    ])
    for (const size of [1, 7, 1000, 65_536, 299_999]) {
      const { out, parser } = collector()
      for (let i = 0; i < wire.length; i += size) parser.push(wire.subarray(i, i + size))
      expect(out.length).toBe(3)
      expect(out[0] === big).toBe(true)
      const [inner, five] = out[1] as [string, number]
      expect(inner === big && five === 5).toBe(true)
      expect(out[2]).toBe('OK')
    }
  })

  it('gives Buffers for the replies that ask for them, nested ones included', () => {
    const wire = Buffer.from('$3\r\n\x00\xff\x01\r\n*2\r\n$1\r\na\r\n+OK\r\n$1\r\nc\r\n', 'latin1')
    for (let cut = 1; cut < wire.length; cut++) {
      const { out, parser } = collector([true, true, false])
      parser.push(wire.subarray(0, cut))
      parser.push(wire.subarray(cut))
      expect(Buffer.isBuffer(out[0]) && [...(out[0] as Buffer)]).toEqual([0, 255, 1])
      const [a, ok] = out[1] as [Buffer, string]
      expect(Buffer.isBuffer(a) && a.toString()).toBe('a')
      // Simple strings stay strings, as with node-redis's BLOB_STRING → Buffer mapping.
      expect(ok).toBe('OK')
      expect(out[2]).toBe('c')
    }
  })

  it('latin1 mode: strings are their bytes, one char per byte, whatever the chunking', () => {
    const wire = Buffer.concat([
      Buffer.from(':-2\r\n$6\r\nembstr\r\n$-1\r\n+hash\r\n-NOPERM no\r\n'),
      Buffer.from('*2\r\n$1\r\n0\r\n*3\r\n$3\r\na:1\r\n$0\r\n\r\n$4\r\n'),
      Buffer.from([0xff, 0x00, 0xc3, 0xbc]),
      Buffer.from('\r\n$2\r\n'),
      Buffer.from([0xc3, 0xbc]),
      Buffer.from('\r\n'),
    ])
    const L = ReplyMode.latin1
    for (let size = 1; size <= wire.length; size++) {
      const { out, parser } = collector([L, L, L, L, L, L, ReplyMode.text])
      for (let at = 0; at < wire.length; at += size) parser.push(wire.subarray(at, at + size))
      expect(out).toEqual([
        -2,
        'embstr',
        null,
        'hash',
        { error: 'NOPERM no' },
        ['0', ['a:1', '', '\u00ff\u0000\u00c3\u00bc']],
        // The next reply asked for text: the same two bytes are one UTF-8 char.
        'ü',
      ])
    }
  })

  it('a Buffer reply does not share memory with the chunk it came in', () => {
    const chunk = Buffer.from('$2\r\nab\r\n')
    const { out, parser } = collector([true])
    parser.push(chunk)
    chunk.fill(0)
    expect((out[0] as Buffer).toString()).toBe('ab')
  })

  it('throws on a byte that starts no RESP2 value', () => {
    const { parser } = collector()
    expect(() => parser.push(Buffer.from('%1\r\n'))).toThrow(/protocol error/)
  })
})

describe('CommandWriter', () => {
  /** The reference encoding, one argument at a time. */
  const reference = (args: readonly (string | Buffer)[]) =>
    Buffer.concat([
      Buffer.from(`*${args.length}\r\n`),
      ...args.flatMap((arg) => {
        const bytes = typeof arg === 'string' ? Buffer.from(arg) : arg
        return [Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n')]
      }),
    ])

  const commands: (string | Buffer)[][] = [
    ['GET', 'bench:value'],
    ['SET', 'k', ''],
    ['SET', 'ü€😀', `${'x'.repeat(63)}é`],
    ['SET', 'k', 'a'.repeat(64), 'PX', '100'],
    ['SET', 'k', 'y'.repeat(70_000)],
    ['SET', 'bin', Buffer.from([0, 255, 13, 10])],
    ['SET', 'big-bin', Buffer.alloc(20_000, 7), 'EX', '5'],
    Array.from({ length: 120 }, (_, i) => `arg${i}`),
    ['PING'],
  ]

  it('encodes exactly as RESP2, across slabs, in order', () => {
    const writer = new CommandWriter()
    expect(writer.take()).toBeNull()
    const expected: Buffer[] = []
    for (let round = 0; round < 40; round++)
      for (const args of commands) {
        writer.add(args)
        expected.push(reference(args))
      }
    expect(writer.take()?.equals(Buffer.concat(expected))).toBe(true)
    expect(writer.take()).toBeNull()
    for (const args of commands) {
      writer.add(args)
      expect(writer.take()?.equals(reference(args))).toBe(true)
    }
    expect(reference(['PING']).equals(encodeCommand(['PING']))).toBe(true)
  })

  it('never rewrites bytes it has handed out', () => {
    const writer = new CommandWriter()
    const taken: [Buffer, Buffer][] = []
    for (let i = 0; i < 5000; i++) {
      const args = ['SET', `key:${i}`, 'v'.repeat(i % 200)]
      writer.add(args)
      const out = writer.take() as Buffer
      taken.push([out, Buffer.from(out)])
    }
    expect(taken.every(([out, copy]) => out.equals(copy))).toBe(true)
  })

  it('latin1: string arguments are written as bytes, one per char; Buffers as they are', () => {
    const writer = new CommandWriter()
    const key = '\u00ff\u0000k\u00e9'
    const long = `${'\u00e9'.repeat(70)}x`
    writer.add(['PTTL', key], true)
    writer.add(['MEMORY', 'USAGE', long, Buffer.from([1, 2])], true)
    writer.add(['GET', 'é'])
    expect(writer.take()?.toString('latin1')).toBe(
      `*2\r\n$4\r\nPTTL\r\n$4\r\n${key}\r\n` +
        `*4\r\n$6\r\nMEMORY\r\n$5\r\nUSAGE\r\n$71\r\n${long}\r\n$2\r\n\u0001\u0002\r\n` +
        // Without latin1 the same char is its two UTF-8 bytes.
        '*2\r\n$3\r\nGET\r\n$2\r\n\u00c3\u00a9\r\n',
    )
    expect(() => writer.add(['PTTL', 'k€'], true)).toThrow(/latin1/)
    expect(() => writer.add(['PTTL', `${'k'.repeat(40)}€`], true)).toThrow(/latin1/)
    expect(writer.take()).toBeNull()
  })

  it('keeps nothing of a command whose argument cannot be encoded', () => {
    const writer = new CommandWriter()
    writer.add(['SET', 'a', '1'])
    expect(() => writer.add(['SET', 'b', 'x'.repeat(70_000), 42 as unknown as string])).toThrow(TypeError)
    writer.add(['GET', 'a'])
    expect(writer.take()?.toString()).toBe(
      '*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n',
    )
  })
})
