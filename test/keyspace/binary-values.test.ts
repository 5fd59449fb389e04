import { describe, expect, it } from 'vitest'
import { RedisExpertError } from '../../src/errors.js'
import { defineKeyspace, t } from '../../src/keyspace/index.js'
import { bindKeyspace } from '../../src/ops/index.js'
import { startRedisForFile } from '../support/redis-fixture.js'

/*
 * Issue 16: t.string() read non-UTF-8 values as U+FFFD replacement characters (the reply was
 * decoded lossily before the codec saw it). Bytes that are not text must fail loudly
 * (DECODE_FAILED naming the key, pointing at the bytes codec) or round-trip as Buffers.
 */

const ks = defineKeyspace('bin', {
  note: { pattern: 'note:<id>', type: t.string(), role: 'cache', ttl: '10m' },
  doc: { pattern: 'doc:<id>', type: t.json<{ name: string }>(), role: 'cache', ttl: '10m' },
  blob: { pattern: 'blob:<id>', type: t.string(), role: 'cache', ttl: '10m', codec: 'bytes' },
  fields: { pattern: 'fields:<id>', type: t.hash<string>(), role: 'state', ttl: '10m', codec: 'raw' },
  words: { pattern: 'words:<id>', type: t.list(), role: 'state', ttl: '10m', codec: 'raw' },
})

/** Bytes that are not UTF-8: a lone continuation byte and an invalid lead byte. */
const NOT_UTF8 = Buffer.from([0x41, 0xff, 0xfe, 0x80, 0x42])

const { db } = await startRedisForFile()

async function failure(promise: Promise<unknown>): Promise<RedisExpertError> {
  try {
    await promise
  } catch (error) {
    if (error instanceof RedisExpertError) return error
    throw error
  }
  throw new Error('expected a failure')
}

describe('values that are not UTF-8 text', () => {
  it('t.string(): DECODE_FAILED naming the key and the bytes codec, never U+FFFD', async () => {
    const note = bindKeyspace(db, ks).note({ id: 1 })
    await db.call(['SET', note.key, NOT_UTF8, 'PX', 60_000])
    const error = await failure(note.get())
    expect(error.code).toBe('DECODE_FAILED')
    expect(error.message).toContain(note.key)
    expect(error.message).toContain("codec: 'bytes'")
    expect(error.details).toMatchObject({ key: note.key, entry: 'note' })
  })

  it('t.json(): a JSON string holding invalid bytes is refused, not patched with U+FFFD', async () => {
    const doc = bindKeyspace(db, ks).doc({ id: 1 })
    const value = Buffer.concat([Buffer.from('{"name":"'), NOT_UTF8, Buffer.from('"}')])
    await db.call(['SET', doc.key, value, 'PX', 60_000])
    expect((await failure(doc.get())).code).toBe('DECODE_FAILED')
  })

  it('raw hash fields and list values: the same', async () => {
    const app = bindKeyspace(db, ks)
    const fields = app.fields({ id: 1 })
    await fields.hset({ ok: 'fine' })
    await db.unsafe({ reason: 'bytes written by another program' }, (raw) =>
      raw.call(['HSET', fields.key, 'bad', NOT_UTF8]),
    )
    expect(await fields.hget('ok')).toBe('fine')
    expect((await failure(fields.hget('bad'))).code).toBe('DECODE_FAILED')
    const words = app.words({ id: 1 })
    await words.push('a')
    await db.unsafe({ reason: 'bytes written by another program' }, (raw) =>
      raw.call(['RPUSH', words.key, NOT_UTF8]),
    )
    expect((await failure(words.range(0, 1))).code).toBe('DECODE_FAILED')
  })

  it('valid UTF-8 (multi-byte, a leading BOM, NUL) round-trips exactly', async () => {
    const app = bindKeyspace(db, ks)
    const note = app.note({ id: 2 })
    const text = '\uFEFFé 漢字 🎉 \u0000 end'
    await note.set(text)
    expect(await note.get()).toBe(text)
    const doc = app.doc({ id: 2 })
    await doc.set({ name: text })
    expect(await doc.get()).toEqual({ name: text })
  })

  it('the bytes codec round-trips any bytes as Buffers', async () => {
    const blob = bindKeyspace(db, ks).blob({ id: 1 })
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    await blob.set(all as unknown as string)
    const back = (await blob.get()) as unknown as Buffer
    expect(Buffer.isBuffer(back)).toBe(true)
    expect(back.equals(all)).toBe(true)
  })
})
