import { describe, expect, it } from 'vitest'
import { coversAllSlots, parseRedirection, parseShards, parseSlots } from '../../src/client/cluster-map.js'

const node = (fields: Record<string, string | number>) => Object.entries(fields).flat()

describe('the slot map, pure', () => {
  it('CLUSTER SHARDS: masters, replicas (loading ones kept, failed ones not), endpoint before ip, tls-port under TLS', () => {
    const reply = [
      [
        'slots',
        [0, 100, 200, 300],
        'nodes',
        [
          node({
            id: 'a',
            port: 7000,
            'tls-port': 8000,
            ip: '10.0.0.1',
            endpoint: 'a.example',
            role: 'master',
            health: 'online',
          }),
          node({ id: 'b', port: 7001, ip: '10.0.0.2', endpoint: '?', role: 'replica', health: 'loading' }),
          node({
            id: 'c',
            port: 7002,
            ip: '10.0.0.3',
            endpoint: '10.0.0.3',
            role: 'replica',
            health: 'fail',
          }),
        ],
      ],
      [
        'slots',
        [],
        'nodes',
        [node({ id: 'd', port: 7003, ip: '10.0.0.4', role: 'master', health: 'online' })],
      ],
    ]
    expect(parseShards(reply, false)).toEqual([
      { start: 0, end: 100, master: 'a.example:7000', replicas: ['10.0.0.2:7001'] },
      { start: 200, end: 300, master: 'a.example:7000', replicas: ['10.0.0.2:7001'] },
    ])
    expect(parseShards(reply, true)[0]?.master).toBe('a.example:8000')
    expect(parseShards('nonsense', false)).toEqual([])
  })

  it('CLUSTER SLOTS, IPv6 in brackets, unknown hosts skipped', () => {
    const reply = [
      [0, 8191, ['::1', 7000, 'id1'], ['127.0.0.1', 7001, 'id2']],
      [8192, 16383, ['?', 7002, 'id3'], ['127.0.0.1', 7003, 'id4']],
    ]
    expect(parseSlots(reply)).toEqual([
      { start: 0, end: 8191, master: '[::1]:7000', replicas: ['127.0.0.1:7001'] },
    ])
    expect(coversAllSlots(parseSlots(reply))).toBe(false)
    expect(coversAllSlots(parseSlots([...reply.slice(0, 1), [8192, 16383, ['127.0.0.1', 7003]]]))).toBe(true)
  })

  it('MOVED and ASK name the slot and the node', () => {
    expect(parseRedirection('MOVED 3999 127.0.0.1:6381')).toEqual({ slot: 3999, address: '127.0.0.1:6381' })
    expect(parseRedirection('ASK 12 [::1]:7000')).toEqual({ slot: 12, address: '[::1]:7000' })
    expect(parseRedirection('MOVED')).toBeNull()
  })
})
