import { deflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { decompressText, failureEntry, jsonProblem, pyRepr, successEntry } from '../../src/rq/format.js'
import {
  callString,
  decodeJobData,
  decodeResultEntry,
  encodeJobData,
  parseUtc,
  utcformat,
} from '../../src/rq/index.js'
import { taskFailed } from '../../src/rq/job.js'
import { excString } from '../../src/rq/worker.js'
import { codeOf } from '../support/errors.js'

/** The wire format as pure functions (the Python side of each fact is pinned in producer/worker tests). */

describe('RQ 1.13 job format', () => {
  it('utcformat writes six fraction digits and a Z; parseUtc reads it and the old format back', () => {
    const ms = Date.UTC(2026, 10, 26, 12, 3, 4, 56)
    expect(utcformat(ms)).toBe('2026-11-26T12:03:04.056000Z')
    expect(parseUtc('2026-11-26T12:03:04.056789Z')?.getTime()).toBe(ms)
    expect(parseUtc('2026-11-26T12:03:04Z')?.getTime()).toBe(ms - 56)
    expect(parseUtc('')).toBeNull()
    expect(parseUtc('yesterday')).toBeNull()
  })

  it('data is zlib(JSON [func, null, args, kwargs]) and decodes back; raw JSON without zlib is accepted too', () => {
    const call = { func: 'tasks.add', args: [1, 'Grüße 🚀', { n: [null] }], kwargs: { k: true } }
    const data = encodeJobData(call)
    expect(data[0]).toBe(0x78) // zlib header, as zlib.compress writes
    expect(decodeJobData(data)).toEqual(call)
    expect(decodeJobData(Buffer.from('["m.f", null, [], {}]'))).toEqual({ func: 'm.f', args: [], kwargs: {} })
  })

  it('anything else is MESSAGE_INVALID, naming pickle when it is pickle', async () => {
    const bad = [
      null,
      Buffer.alloc(0),
      Buffer.from('not json'),
      Buffer.from('{"func": "x"}'),
      Buffer.from('["f", null, []]'),
      Buffer.from('[1, null, [], {}]'),
      Buffer.from('["", null, [], {}]'),
      Buffer.from('["f", {"self": 1}, [], {}]'),
      Buffer.from('["f", null, {}, {}]'),
      Buffer.from('["f", null, [], []]'),
      deflateSync(Buffer.from([0x80, 0x05, 0x95, 0x01])),
    ]
    for (const raw of bad) expect(await codeOf(() => decodeJobData(raw))).toBe('MESSAGE_INVALID')
    expect(() => decodeJobData(deflateSync(Buffer.from([0x80, 0x05, 0x95])))).toThrow(/pickled/)
  })

  it('results stream entries: type, base64 JSON return_value (absent for None), base64 zlib exc_string', () => {
    expect(successEntry(undefined)).toEqual(['type', '1'])
    expect(successEntry(null)).toEqual(['type', '1'])
    const ok = successEntry({ a: 'ß' })
    expect(Buffer.from(ok[3]!, 'base64').toString('utf8')).toBe('{"a":"ß"}')
    const fields = (entry: string[]) =>
      Object.fromEntries([
        [entry[0], entry[1]],
        [entry[2], entry[3]],
      ])
    expect(decodeResultEntry('1700000000000-0', fields(ok))).toEqual({
      type: 'successful',
      returnValue: { a: 'ß' },
      excString: null,
      createdAt: new Date(1_700_000_000_000),
    })
    const failed = decodeResultEntry('1-0', fields(failureEntry('Traceback\nValueError: x')))
    expect(failed).toMatchObject({ type: 'failed', excString: 'Traceback\nValueError: x', returnValue: null })
    expect(decodeResultEntry('1-0', { type: '3' }).type).toBe('stopped')
    expect(() => decodeResultEntry('1-0', { type: '9' })).toThrow(/unknown type/)
    expect(() => decodeResultEntry('1-0', { type: '1', return_value: 'gASVAAAA' })).toThrow(/pickle/)
    expect(decompressText(Buffer.from('plain text'))).toBe('plain text')
  })

  it('the default description is the call as Python prints it (get_call_string)', () => {
    expect(callString({ func: 'tasks.add', args: [1, 2], kwargs: {} })).toBe('tasks.add(1, 2)')
    expect(
      callString({ func: 'f', args: ["it's", 'a\nb', null, true, [1.5]], kwargs: { z: 1, a: { k: 'v' } } }),
    ).toBe(`f("it's", 'a\\nb', None, True, [1.5], a={'k': 'v'}, z=1)`)
    // Outputs of rq.utils.get_call_string(..., max_length=75) under Python 3.
    expect(callString({ func: 'f', args: ['x'.repeat(100)], kwargs: {} })).toBe(`f('${'x'.repeat(74)}...)`)
    expect(callString({ func: 'f', args: ['Grüße 🚀', '\x01\x7f', `a"b'c`], kwargs: {} })).toBe(
      `f('Grüße 🚀', '\\x01\\x7f', 'a"b\\'c')`,
    )
    expect(pyRepr('\\')).toBe("'\\\\'")
  })

  it('jsonProblem names what JSON would silently change', () => {
    expect(jsonProblem({ a: [1, 'x', null, true, { b: 2 }] })).toBeNull()
    expect(jsonProblem([Number.POSITIVE_INFINITY])).toMatch(/\$\[0\] is Infinity/)
    expect(jsonProblem({ d: new Date() })).toMatch(/\$\.d is a Date/)
    expect(jsonProblem({ u: undefined })).toMatch(/undefined/)
    expect(jsonProblem(Object.create(null))).toBeNull()
    const shared = { x: 1 }
    expect(jsonProblem([shared, shared])).toBeNull() // repeated, not circular
  })

  it('TASK_FAILED splits the last traceback line into type and message; excString ends with such a line', () => {
    const e = taskFailed(
      'j1',
      'failed',
      'Traceback (most recent call last):\n  File "t.py"\nValueError: bad: really\n',
    )
    expect(e.code).toBe('TASK_FAILED')
    expect(e.details).toMatchObject({ excType: 'ValueError', excMessage: 'bad: really' })
    expect(taskFailed('j1', 'stopped', null).details).toMatchObject({ excType: null, excInfo: null })
    const text = excString(new RangeError('out of range'))
    expect(text).toMatch(/^Traceback \(most recent call last, TypeScript\):\n\s+at /)
    expect(text.split('\n').pop()).toBe('RangeError: out of range')
    expect(excString('plain')).toBe('Error: plain')
  })
})
