import { describe, expect, it } from 'vitest'
import { parseReadGroup } from '../../src/kit/stream-entries.js'
import { Slots } from '../../src/kit/worker-core.js'
import { Inbox } from '../../src/messaging/pubsub/inbox.js'
import { AckBatcher } from '../../src/messaging/streams/acks.js'

describe('Inbox (pure)', () => {
  it('drop-oldest keeps the newest `limit` waiting, in order, and counts drops', async () => {
    const handled: number[] = []
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const inbox = new Inbox<number>(
      3,
      'drop-oldest',
      async (n) => {
        handled.push(n)
        await gate
      },
      () => {},
      () => {},
    )
    for (let n = 0; n < 10; n++) inbox.push(n)
    expect(inbox.waiting).toBe(3)
    expect(inbox.dropped).toBe(6)
    release()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(handled).toEqual([0, 7, 8, 9])
  })

  it('disconnect calls onOverflow once and then ignores pushes', () => {
    let overflows = 0
    const inbox = new Inbox<number>(
      1,
      'disconnect',
      () => new Promise(() => {}),
      () => {},
      () => overflows++,
    )
    for (let n = 0; n < 5; n++) inbox.push(n)
    expect(overflows).toBe(1)
    expect(inbox.waiting).toBe(0)
  })
})

describe('Slots (pure)', () => {
  it('waitFree resolves when a slot frees; drained when none is used', async () => {
    const slots = new Slots(1)
    slots.take()
    let free = false
    void slots.waitFree().then(() => {
      free = true
    })
    await Promise.resolve()
    expect(free).toBe(false)
    slots.release()
    await slots.drained()
    await Promise.resolve()
    expect(free).toBe(true)
  })
})

describe('stream replies (pure)', () => {
  it('parses XREADGROUP replies, nil and deleted entries', () => {
    expect(parseReadGroup(null)).toEqual([])
    expect(
      parseReadGroup([
        [
          'k',
          [
            ['1-0', ['d', '1']],
            ['2-0', null],
          ],
        ],
      ]),
    ).toEqual([
      { id: '1-0', fields: ['d', '1'] },
      { id: '2-0', fields: [] },
    ])
  })
})

describe('AckBatcher (pure)', () => {
  it('acks of one tick share one send; a later tick gets its own; a failed send rejects its callers only', async () => {
    const sent: string[][] = []
    let fail = false
    const acks = new AckBatcher(async (ids) => {
      sent.push([...ids])
      if (fail) throw new Error('connection lost')
    })
    await Promise.all([acks.ack('1-0'), acks.ack('2-0'), acks.ack('3-0')])
    await acks.ack('4-0')
    expect(sent).toEqual([['1-0', '2-0', '3-0'], ['4-0']])
    fail = true
    const failed = await Promise.allSettled([acks.ack('5-0'), acks.ack('6-0')])
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    fail = false
    await expect(acks.ack('7-0')).resolves.toBeUndefined()
    expect(sent.at(-1)).toEqual(['7-0'])
  })
})
