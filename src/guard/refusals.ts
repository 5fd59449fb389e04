import type { KeySel, ReadRule, Refusal } from './profile.js'

/**
 * The sentences of the refusals, shared by the families: `READ`, what an unbounded read does and
 * how to bound it (GUARD_UNBOUNDED; "the limit" becomes the context's maxRange in the message), and
 * `REFUSE`, the commands refused whatever the declarations say (GUARD_KEYS, GUARD_BLOCKING).
 */

function rule(what: string, fix: string, keys: KeySel | 'none' = 1, extra: Partial<ReadRule> = {}): ReadRule {
  return Object.freeze({ keys, combine: 'each', declarationBounds: true, what, fix, ...extra })
}

const SCAN_FIX = (cmd: string) => `iterate with ${cmd} and COUNT ≤ the limit, or declare maxItems on the key`
export const READ = {
  smembers: rule('reads every member of the set', SCAN_FIX('SSCAN (db.sscan)')),
  hgetall: rule('reads every field of the hash', SCAN_FIX('HSCAN (db.hscan)')),
  dump: rule('serializes the whole key', 'declare maxItems on the key, or copy it with SCAN-based reads'),
  window: rule(
    'reads a range whose width depends on the size of the key',
    'read a window of one sign, e.g. 0 999 or -1000 -1, within the limit',
  ),
  byScore: rule(
    'reads every member in the score/lex range (no LIMIT)',
    'add LIMIT offset count with count ≤ the limit',
  ),
  stream: rule('reads every entry in the range (no COUNT)', 'add COUNT ≤ the limit and page by the last ID'),
  xread: rule('reads every new entry of the streams (no COUNT)', 'add COUNT ≤ the limit', 'all'),
  sort: rule(
    'sorts the whole collection (SORT is O(N + M log M); LIMIT bounds the reply, not the work)',
    'keep the data in a sorted set and read a window, or declare maxItems on the key',
  ),
  inter: rule(
    'intersects whole sets (O(N·K), N the smallest)',
    'declare maxItems on at least one source key, or intersect incrementally with SSCAN + SMISMEMBER',
    'all',
    { combine: 'min' },
  ),
  union: rule(
    'combines whole sets (O(total size))',
    'declare maxItems on the source keys, or merge incrementally with SSCAN',
    'all',
    { combine: 'sum' },
  ),
  scan: rule('does COUNT units of work in one call', 'use COUNT ≤ the limit (db.scan pages for you)', 'none'),
  keyScan: rule('does COUNT units of work in one call', 'use COUNT ≤ the limit'),
  random: rule('returns count random items', 'ask for a count ≤ the limit, or declare maxItems on the key'),
  randomRepeat: rule(
    'returns |count| items whatever the key holds (negative count)',
    'ask for a count ≤ the limit',
    1,
    { declarationBounds: false },
  ),
  pop: rule(
    'pops count items in one call',
    'pop a count ≤ the limit per call, or declare maxItems on the key',
  ),
  mpop: rule(
    'pops count items in one call',
    'pop a count ≤ the limit per call, or declare maxItems on the keys',
    'all',
  ),
  lpos: rule('scans the whole list (no MAXLEN)', 'add MAXLEN ≤ the limit, or declare maxItems on the key'),
  lindex: rule(
    'walks the list to a far index',
    'keep the index within the limit from either end, or declare maxItems on the key',
  ),
  geo: rule(
    'returns every member in the area (no COUNT)',
    'add COUNT ≤ the limit (and ANY to stop early), or declare maxItems on the key',
  ),
  xinfo: rule(
    'reads every entry and PEL of the stream (FULL COUNT 0)',
    'use XINFO STREAM key FULL COUNT n with n ≤ the limit',
    2,
  ),
  xpending: rule('lists count pending entries in one call', 'page XPENDING with count ≤ the limit'),
  xautoclaim: rule('claims COUNT entries in one call', 'use COUNT ≤ the limit (the default is 100)'),
  memory: rule(
    'walks every element (SAMPLES 0)',
    'use the default SAMPLES 5, or declare maxItems on the key',
    2,
  ),
} as const

/** Refusals that do not depend on declarations: the command itself is the problem. */
export const REFUSE = {
  keys: Object.freeze({
    rule: 'keys',
    message: 'KEYS walks the whole keyspace in one call and blocks the server meanwhile',
    fix: 'use db.scan({ match, count }), an iterator over SCAN on every master',
  }),
  flush: (name: string): Refusal =>
    Object.freeze({
      rule: 'blocking',
      message: `${name} without ASYNC frees every key on the main thread, blocking every client`,
      fix: `use ${name} ASYNC`,
    }),
  debug: Object.freeze({
    rule: 'blocking',
    message: 'DEBUG can block, crash or reload the server',
    fix: 'run it from redis-cli in a maintenance window, not from application code',
  }),
  pfdebug: Object.freeze({
    rule: 'blocking',
    message: 'PFDEBUG and PFSELFTEST are internal testing commands that can run for long on the main thread',
    fix: 'use PFCOUNT/PFADD/PFMERGE',
  }),
  monitor: Object.freeze({
    rule: 'blocking',
    message: 'MONITOR streams every command the server runs and can halve its throughput',
    fix: 'use SLOWLOG GET, LATENCY DOCTOR or INFO commandstats; run MONITOR only briefly from redis-cli',
  }),
  save: Object.freeze({
    rule: 'blocking',
    message: 'SAVE writes the RDB snapshot on the main thread, blocking every client until it is done',
    fix: 'use BGSAVE',
  }),
  shutdown: Object.freeze({
    rule: 'blocking',
    message: 'SHUTDOWN stops the server for every client',
    fix: 'stop the server from its process manager or redis-cli',
  }),
  pause: Object.freeze({
    rule: 'blocking',
    message: 'CLIENT PAUSE stalls every client of the server',
    fix: 'use FAILOVER for a planned switchover, or run it from redis-cli',
  }),
} as const satisfies Record<string, Refusal | ((name: string) => Refusal)>
