import { describe, expect, it } from 'vitest'
import { PatternAccumulator, type PatternSummary } from '../../src/audit/accumulate.js'
import { allows, parseAclLine, parseAclList } from '../../src/audit/acl.js'
import {
  type NodeFacts,
  parseClientDb,
  parseKeyspace,
  parseSlowlog,
  type SlowEntry,
} from '../../src/audit/facts.js'
import { RULES, type RuleContext } from '../../src/audit/rules/index.js'
import { DEFAULT_THRESHOLDS } from '../../src/audit/thresholds.js'
import type { Finding, KeyRecord, RuleId } from '../../src/audit/types.js'
import type { NodeProbe } from '../../src/client/probe-types.js'
import { DEFAULT_LISTPACK_LIMITS } from '../../src/keyspace/encoding.js'

/**
 * The server-level rules are pure functions of what the server said: these tests hand them
 * INFO, CONFIG, ACL LIST and SLOWLOG contents as a server would print them.
 */

interface NodeSpec {
  readonly address?: string
  readonly info?: Record<string, string>
  readonly config?: Record<string, string> | null
  readonly acl?: readonly string[] | null
  readonly slowlog?: readonly SlowEntry[] | null
  readonly probe?: Partial<NodeProbe>
  readonly declaredScripts?: number
  readonly declaredScriptsError?: string
}

function node(spec: NodeSpec = {}): NodeFacts {
  const info = new Map(Object.entries({ used_memory: '1000000', connected_clients: '3', ...spec.info }))
  const probe: NodeProbe = {
    address: spec.address ?? '10.0.0.1:6379',
    server: 'redis',
    version: '7.0.15',
    modules: [],
    persistence: { aof: true, appendfsync: 'everysec', rdbSaveRules: [], lastBgsaveOk: true },
    maxmemory: 1 << 30,
    maxmemoryPolicy: 'volatile-lru',
    listpack: DEFAULT_LISTPACK_LIMITS,
    configReadable: spec.config !== null,
    infoReadable: true,
    replication: {
      role: 'master',
      connectedReplicas: 0,
      minReplicasToWrite: 0,
      minReplicasMaxLag: 10,
      writesNeedReplicas: false,
    },
    ...spec.probe,
  }
  const config =
    spec.config === null
      ? null
      : new Map(Object.entries({ 'protected-mode': 'yes', bind: '127.0.0.1', ...spec.config }))
  const acl = spec.acl === null ? null : parseAclList(spec.acl ?? ['user default on #abc ~* &* +@all'])
  return {
    address: probe.address,
    probe,
    info,
    config,
    configError: spec.config === null ? 'NOPERM (the ACL user may not run it)' : null,
    acl,
    aclError: spec.acl === null ? 'NOPERM (the ACL user may not run it)' : null,
    slowlog: spec.slowlog === null ? null : (spec.slowlog ?? []),
    slowlogError: spec.slowlog === null ? 'NOPERM (the ACL user may not run it)' : null,
    keyspace: parseKeyspace(info),
    dbsize: 0,
    dbsizeError: null,
    infoError: null,
    database: 0,
    declaredScripts: spec.declaredScripts ?? 0,
    declaredScriptsError: spec.declaredScriptsError ?? null,
  }
}

function pattern(name: string, records: readonly Partial<KeyRecord>[]): PatternSummary {
  const acc = new PatternAccumulator()
  for (const r of records)
    acc.add(
      { key: name, node: 0, type: 'string', ttlMs: -1, bytes: 100, encoding: 'embstr', size: 10, ...r },
      undefined,
    )
  return acc.summary(name, 1)
}

function context(
  nodes: readonly NodeFacts[],
  patterns: readonly PatternSummary[] = [],
  mode: 'standalone' | 'cluster' = 'standalone',
): RuleContext {
  return {
    mode,
    nodes,
    patterns,
    thresholds: DEFAULT_THRESHOLDS,
    scan: { keys: 0, totalKeys: 0, scale: 1, sampled: false, unavailable: [] },
    schema: null,
  }
}

function run(rule: RuleId, ctx: RuleContext): Finding[] {
  const found = RULES.find((r) => r.id === rule)
  if (!found) throw new Error(rule)
  return found.evaluate(ctx)
}

const data = pattern('user:<id>', [{ ttlMs: -1 }])
const cache = pattern('cache:<id>', [{ ttlMs: 60_000 }])

describe('persistence', () => {
  it('AOF off is medium with data, low for a pure cache', () => {
    const off = node({
      probe: {
        persistence: { aof: false, appendfsync: 'everysec', rdbSaveRules: [[3600, 1]], lastBgsaveOk: true },
      },
    })
    expect(run('persistence', context([off], [data]))).toMatchObject([
      { severity: 'medium', data: { rdbSaveRules: '3600s/1' } },
    ])
    expect(run('persistence', context([off], [cache]))).toMatchObject([{ severity: 'low' }])
  })

  it('appendfsync no, and failing saves', () => {
    const noFsync = node({
      probe: { persistence: { aof: true, appendfsync: 'no', rdbSaveRules: [], lastBgsaveOk: true } },
    })
    expect(run('persistence', context([noFsync]))).toMatchObject([
      { severity: 'medium', data: { appendfsync: 'no' } },
    ])
    const failing = node({
      info: { aof_last_write_status: 'err' },
      probe: { persistence: { aof: true, appendfsync: 'everysec', rdbSaveRules: [], lastBgsaveOk: false } },
    })
    const [finding] = run('persistence', context([failing]))
    expect(finding).toMatchObject({ severity: 'high' })
    expect(finding?.message).toContain('the last RDB background save failed; the last AOF write failed')
  })

  it('says nothing about AOF with fsync every second', () => {
    expect(run('persistence', context([node()], [data]))).toEqual([])
  })
})

describe('eviction-policy', () => {
  it('maxmemory unset', () => {
    expect(
      run(
        'eviction-policy',
        context([node({ probe: { maxmemory: 0, maxmemoryPolicy: 'noeviction' } })], [cache]),
      ),
    ).toMatchObject([{ severity: 'medium', data: { maxmemory: 0 } }])
  })

  it('noeviction in front of cache data, allkeys-* over data', () => {
    expect(
      run('eviction-policy', context([node({ probe: { maxmemoryPolicy: 'noeviction' } })], [cache])),
    ).toMatchObject([{ severity: 'medium', data: { policy: 'noeviction', keysWithTtl: 1 } }])
    expect(
      run('eviction-policy', context([node({ probe: { maxmemoryPolicy: 'noeviction' } })], [data])),
    ).toEqual([])
    expect(
      run('eviction-policy', context([node({ probe: { maxmemoryPolicy: 'allkeys-lru' } })], [data])),
    ).toMatchObject([{ severity: 'high', data: { policy: 'allkeys-lru', keysWithoutTtl: 1 } }])
    expect(
      run('eviction-policy', context([node({ probe: { maxmemoryPolicy: 'allkeys-lru' } })], [cache])),
    ).toEqual([])
  })
})

describe('security', () => {
  it('the default user without a password: medium on loopback, high when reachable', () => {
    const acl = ['user default on nopass ~* &* +@all']
    expect(run('security', context([node({ acl })]))).toMatchObject([
      { severity: 'medium', data: { user: 'default' } },
    ])
    expect(run('security', context([node({ acl, config: { bind: '0.0.0.0' } })]))).toMatchObject([
      { severity: 'high' },
    ])
  })

  it('protected mode off on a reachable address', () => {
    const findings = run('security', context([node({ config: { 'protected-mode': 'no', bind: '* -::*' } })]))
    expect(findings).toMatchObject([{ severity: 'medium', data: { protectedMode: false, bind: '* -::*' } }])
  })

  it('application users with +@all, +@dangerous, or allowed KEYS / FLUSHALL; disabled users are ignored', () => {
    const acl = [
      'user default on #abc ~* &* +@all',
      'user admin on #abc ~* &* +@all',
      'user ops on #abc ~* -@all +@dangerous',
      'user worker on #abc ~jobs:* -@all +@read +@write +@keyspace',
      'user reader on #abc ~* -@all +@read -keys',
      'user old off #abc ~* +@all',
      'user safe on #abc ~* +@all -@dangerous',
    ]
    const findings = run('security', context([node({ acl })]))
    expect(findings.map((f) => [f.data?.user, f.data?.grant])).toEqual([
      ['admin', '+@all'],
      ['ops', '+@dangerous'],
      ['worker', null],
    ])
    expect(findings[2]?.message).toBe(
      'ACL user "worker" may run KEYS and FLUSHALL: one stray call blocks the server or wipes it',
    )
  })

  it('notes what it could not check', () => {
    const findings = run('security', context([node({ acl: null, config: null })]))
    expect(findings.map((f) => f.severity)).toEqual(['info', 'info'])
    expect(findings[0]?.message).toMatch(/^ACL LIST was refused/)
  })

  it('folds identical findings of a Cluster into one, naming the masters', () => {
    const acl = ['user default on nopass ~* &* +@all']
    const nodes = ['a:1', 'b:2', 'c:3'].map((address) => node({ address, acl }))
    expect(run('security', context(nodes, [], 'cluster'))).toMatchObject([{ nodes: ['a:1', 'b:2', 'c:3'] }])
    expect(
      run('security', context([nodes[0] as NodeFacts, node({ address: 'd:4' })], [], 'cluster')),
    ).toMatchObject([{ nodes: ['a:1'] }])
  })
})

describe('ACL rules', () => {
  it('parses ACL LIST lines without keeping password hashes', () => {
    expect(parseAclLine('user app on #5e884898da28 ~app:* &* -@all +@read')).toMatchObject({
      name: 'app',
      enabled: true,
      nopass: false,
      rules: 'on ~app:* &* -@all +@read',
      allCommands: false,
      keys: true,
      flushall: false,
    })
    expect(parseAclLine('not a user')).toBeNull()
  })

  it('evaluates rules in order, and selectors as alternatives', () => {
    expect(allows(['+@all', '-keys'], 'keys')).toBe(false)
    expect(allows(['-@all', '+keys'], 'keys')).toBe(true)
    expect(allows(['+@all', '-@dangerous'], 'flushall')).toBe(false)
    expect(allows(['-@all', '+@read', '(~tmp:*', '+@write', '+@keyspace)'], 'flushall')).toBe(true)
    expect(allows(['-@all', '+@read', '(~tmp:*', '+@string)'], 'flushall')).toBe(false)
  })
})

describe('slowlog', () => {
  const entries = parseSlowlog([
    [1, 1700000000, 25_000, ['KEYS', '*'], '10.0.0.5:4000', ''],
    [2, 1700000001, 12_000, ['KEYS', 'user:*'], '10.0.0.5:4000', ''],
    [3, 1700000002, 15_000, ['HGETALL', 'catalog'], '10.0.0.6:4000', 'api'],
    [4, 1700000003, 11_000, ['GET', 'x'], '10.0.0.6:4000', ''],
    [5, 1700000004, 11_000, ['CONFIG', 'SET', 'save', ''], '', ''],
  ])

  it('parses entries, keeping subcommands of container commands', () => {
    expect(entries.map((e) => e.command)).toEqual(['KEYS', 'KEYS', 'HGETALL', 'GET', 'CONFIG SET'])
  })

  it('groups O(N) and dangerous commands, most time first; other slow commands are not its business', () => {
    const findings = run('slowlog', context([node({ slowlog: entries })]))
    expect(findings).toMatchObject([
      { severity: 'high', data: { command: 'KEYS', count: 2, maxMicros: 25_000, totalMicros: 37_000 } },
      { severity: 'medium', data: { command: 'HGETALL', count: 1 } },
    ])
    expect(findings[0]?.fix).toContain('SCAN')
  })

  it('notes a refused SLOWLOG', () => {
    expect(run('slowlog', context([node({ slowlog: null })]))).toMatchObject([{ severity: 'info' }])
  })
})

describe('memory-doctor, lua-scripts, clients, logical-databases', () => {
  const MB = 1024 * 1024

  it('ignores instances under 5 MB, as MEMORY DOCTOR does', () => {
    const tiny = node({
      info: { used_memory: String(MB), allocator_frag_bytes: String(50 * MB), allocator_rss_bytes: '0' },
    })
    expect(run('memory-doctor', context([tiny]))).toEqual([])
  })

  it('reports fragmentation of the allocator over 1.4 and 10 MB, not the process baseline', () => {
    const base = { used_memory: String(20 * MB), used_memory_peak: String(20 * MB) }
    const fragmented = node({
      info: { ...base, allocator_frag_bytes: String(9 * MB), allocator_rss_bytes: String(3 * MB) },
    })
    expect(run('memory-doctor', context([fragmented]))).toMatchObject([
      { severity: 'medium', data: { wastedBytes: 12 * MB } },
    ])
    // A 3.0 mem_fragmentation_ratio made of the process's own RSS is no fragmentation.
    const baseline = node({
      info: {
        ...base,
        mem_fragmentation_ratio: '3.0',
        mem_fragmentation_bytes: String(40 * MB),
        allocator_frag_bytes: String(MB),
        allocator_rss_bytes: '0',
      },
    })
    expect(run('memory-doctor', context([baseline]))).toEqual([])
  })

  it('reports a peak above 150 % of the memory used now', () => {
    const peaked = node({ info: { used_memory: String(10 * MB), used_memory_peak: String(16 * MB) } })
    expect(run('memory-doctor', context([peaked]))).toMatchObject([
      { severity: 'low', data: { peakBytes: 16 * MB } },
    ])
  })

  it('more than 10 cached scripts, more than 100 clients', () => {
    expect(run('lua-scripts', context([node({ info: { number_of_cached_scripts: '10' } })]))).toEqual([])
    expect(run('lua-scripts', context([node({ info: { number_of_cached_scripts: '250' } })]))).toMatchObject([
      { severity: 'medium', data: { scripts: 250 } },
    ])
    // Without SCRIPT EXISTS the declared scripts cannot be told apart: the report says so.
    expect(
      run('audit-access', context([node({ declaredScriptsError: 'NOPERM (the ACL user may not run it)' })])),
    ).toMatchObject([
      {
        severity: 'info',
        data: { command: 'SCRIPT EXISTS' },
        fix: expect.stringMatching(/\+script\|exists/),
      },
    ])
    // The scripts declared with defineScript in this process are not counted.
    const declared = (cached: string) =>
      node({ info: { number_of_cached_scripts: cached }, declaredScripts: 30 })
    expect(run('lua-scripts', context([declared('40')]))).toEqual([])
    expect(run('lua-scripts', context([declared('41')]))).toMatchObject([
      {
        data: { scripts: 11, declared: 30 },
        message: expect.stringMatching(/^11 Lua scripts .* besides 30 declared/),
      },
    ])
    expect(run('clients', context([node({ info: { connected_clients: '100' } })]))).toEqual([])
    expect(
      run(
        'clients',
        context([node({ info: { connected_clients: '420' }, config: { maxclients: '10000' } })]),
      ),
    ).toMatchObject([{ severity: 'medium', data: { connected: 420, maxclients: '10000' } }])
  })

  it('keys in a database other than the audited one', () => {
    const one = node({ info: { db0: 'keys=10,expires=0,avg_ttl=0' } })
    expect(run('logical-databases', context([one]))).toEqual([])
    const two = node({ info: { db0: 'keys=10,expires=0,avg_ttl=0', db3: 'keys=4,expires=1,avg_ttl=9' } })
    expect(run('logical-databases', context([two]))).toMatchObject([{ data: { db0: 10, db3: 4 } }])
  })

  it('reads the connection database from CLIENT INFO', () => {
    expect(
      parseClientDb(
        'id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name= age=0 idle=0 flags=N db=2 sub=0',
      ),
    ).toBe(2)
    expect(parseClientDb('garbage')).toBe(0)
  })
})
