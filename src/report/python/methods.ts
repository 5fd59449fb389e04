import type { OperationPlan } from '../../keyspace/index.js'
import type { PyEntry } from './model.js'
import { annotation, optional, type PyType, pyString, union } from './py-types.js'

/**
 * The typed operations of each entry type, as Python method specs: the same operations as
 * TypeScript's bound handles (src/ops), in snake_case, each building a plan of the
 * runtime (runtime/plans.py) that the sync, asyncio and pipeline handles send their own way.
 */
export interface MethodSpec {
  readonly name: string
  /** Parameters after `self`, as Python. */
  readonly params: string
  /** What the sync method returns; async awaits it, the pipeline returns Pending[...] of it. */
  readonly returns: string
  /** The Python expression that builds the plan (E: the entry, K: the key). */
  readonly plan: string
  readonly doc: string
  /** A cursor: no pipeline variant; Iterator / AsyncIterator of `item`. */
  readonly scan?: { readonly command: string; readonly item: string; readonly match: boolean }
  /** Typed overloads (one per field value type); the implementation returns Any. */
  readonly overloads?: readonly { readonly params: string; readonly returns: string }[]
}

const E = 'self.ENTRY'
const K = 'self.key'

/** The TypeScript name of each Python method, to find its row in operations.ts. */
const TS_NAME: Readonly<Record<string, string>> = {
  incr_by: 'incrBy',
  hincr_by: 'hincrBy',
  is_member: 'isMember',
  range_by_score: 'rangeByScore',
  set_bit: 'setBit',
  get_bit: 'getBit',
}

export function methodsFor(entry: PyEntry): MethodSpec[] {
  const plans = entry.decisions.operations
  const doc = (name: string, lead: string) => describe(plans, TS_NAME[name] ?? name, lead)
  const m = (name: string, params: string, returns: string, plan: string, lead: string): MethodSpec => ({
    name,
    params,
    returns,
    plan,
    doc: doc(name, lead),
  })
  const V = annotation(entry.value)
  const bounded = entry.policy.maxItems !== null
  const scan = (command: string, item: string, match: boolean, lead: string): MethodSpec => ({
    name: 'scan',
    params: `${match ? 'match: Optional[str] = None, ' : ''}count: int = 100`,
    returns: item,
    plan: '',
    doc: doc('scan', lead),
    scan: { command, item, match },
  })
  switch (entry.policy.kind) {
    case 'string':
    case 'json':
      return [
        m('get', '', optional(entry.value), `p_get(${E}, ${K})`, 'The value, or None without a key.'),
        m(
          'set',
          `value: ${V}, mode: Optional[Literal["if_absent", "if_present"]] = None`,
          'bool',
          `p_set(${E}, ${K}, value, mode)`,
          'Writes the value with its TTL; False when mode (NX / XX) prevented the write.',
        ),
      ]
    case 'counter':
      return [
        m('get', '', 'Optional[int]', `p_get(${E}, ${K})`, 'The count, or None without a key.'),
        m('incr', '', 'int', `p_incr_by(${E}, ${K}, 1)`, '+1; the new value.'),
        m(
          'incr_by',
          'by: int',
          'int',
          `p_incr_by(${E}, ${K}, by)`,
          '+by (negative to decrement); the new value.',
        ),
        m('set', 'value: int', 'None', `p_counter_set(${E}, ${K}, value)`, 'Sets the count with its TTL.'),
      ]
    case 'hash':
      return hashMethods(entry, m, scan, bounded)
    case 'list':
      return [
        m(
          'push',
          `*values: ${V}`,
          'int',
          `p_push(${E}, ${K}, "RPUSH", values)`,
          'Appends at the tail; the new length.',
        ),
        m(
          'unshift',
          `*values: ${V}`,
          'int',
          `p_push(${E}, ${K}, "LPUSH", values)`,
          'Prepends at the head; the new length.',
        ),
        m(
          'pop',
          '',
          optional(entry.value),
          `p_pop(${E}, ${K}, "RPOP")`,
          'Takes from the tail; None when empty.',
        ),
        m(
          'shift',
          '',
          optional(entry.value),
          `p_pop(${E}, ${K}, "LPOP")`,
          'Takes from the head; None when empty.',
        ),
        m(
          'range',
          'start: int, stop: int',
          `List[${V}]`,
          `p_lrange(${E}, ${K}, start, stop)`,
          'Elements start..stop, inclusive, negative from the tail.',
        ),
        m('len', '', 'int', `p_len(${E}, ${K}, "LLEN")`, 'The length.'),
      ]
    case 'set':
      return [
        m(
          'add',
          `*members: ${V}`,
          'int',
          `p_members_write(${E}, ${K}, "SADD", members)`,
          'The number added.',
        ),
        m(
          'remove',
          `*members: ${V}`,
          'int',
          `p_members_write(${E}, ${K}, "SREM", members)`,
          'The number removed.',
        ),
        m('is_member', `member: ${V}`, 'bool', `p_is_member(${E}, ${K}, member)`, 'Membership.'),
        m('card', '', 'int', `p_len(${E}, ${K}, "SCARD")`, 'The number of members.'),
        ...(bounded ? [m('members', '', `List[${V}]`, `p_smembers(${E}, ${K})`, 'Every member.')] : []),
        scan('SSCAN', V, false, 'Members page by page (SSCAN).'),
      ]
    case 'zset': {
      const scored = `Tuple[${V}, float]`
      return [
        m(
          'add',
          `*entries: ${scored}`,
          'int',
          `p_zadd(${E}, ${K}, entries)`,
          '(member, score) pairs; the number added.',
        ),
        m('incr', `member: ${V}, by: float`, 'float', `p_zincr(${E}, ${K}, member, by)`, 'The new score.'),
        m('score', `member: ${V}`, 'Optional[float]', `p_zscore(${E}, ${K}, member)`, 'The score, or None.'),
        m(
          'rank',
          `member: ${V}, reverse: bool = False`,
          'Optional[int]',
          `p_zrank(${E}, ${K}, member, reverse)`,
          '0-based rank, lowest score first (highest with reverse); None when absent.',
        ),
        m(
          'range',
          'start: int, stop: int, reverse: bool = False',
          `List[${scored}]`,
          `p_zrange(${E}, ${K}, start, stop, reverse)`,
          'By rank, inclusive, negative from the end.',
        ),
        m(
          'range_by_score',
          `low: float, high: float, *, count: ${bounded ? 'Optional[int] = None' : 'int'}, offset: int = 0, reverse: bool = False`,
          `List[${scored}]`,
          `p_zrange_by_score(${E}, ${K}, low, high, offset, count, reverse)`,
          'By score, inclusive (±math.inf for open ends).',
        ),
        m(
          'remove',
          `*members: ${V}`,
          'int',
          `p_members_write(${E}, ${K}, "ZREM", members)`,
          'The number removed.',
        ),
        m('card', '', 'int', `p_len(${E}, ${K}, "ZCARD")`, 'The number of members.'),
        scan('ZSCAN', scored, false, '(member, score) pairs page by page (ZSCAN).'),
      ]
    }
    case 'stream': {
      const F = entry.fields ? `${entry.cls}Fields` : `Mapping[str, ${V}]`
      const read = entry.fields ? `${entry.cls}Fields` : `Dict[str, ${V}]`
      return [
        m(
          'add',
          `fields: ${F}, id: str = "*"`,
          'str',
          `p_xadd(${E}, ${K}, fields, id)`,
          'Appends an entry; its id.',
        ),
        m('len', '', 'int', `p_len(${E}, ${K}, "XLEN")`, 'The number of entries.'),
        m(
          'range',
          `*, count: ${bounded ? 'Optional[int] = None' : 'int'}, start: str = "-", end: str = "+", reverse: bool = False`,
          `List[Tuple[str, ${read}]]`,
          `p_xrange(${E}, ${K}, start, end, count, reverse)`,
          '(id, fields) entries, oldest first (newest with reverse).',
        ),
      ]
    }
    case 'hll':
      return [
        m(
          'add',
          '*elements: str',
          'bool',
          `p_pfadd(${E}, ${K}, elements)`,
          'True when the estimate changed.',
        ),
        m(
          'count',
          '*others: KeyRef',
          'int',
          `p_pfcount(${E}, ${K}, others)`,
          'The estimate, of the union with others (same slot).',
        ),
        m(
          'merge',
          '*sources: KeyRef',
          'None',
          `p_pfmerge(${E}, ${K}, sources)`,
          'Merges the sources into this key.',
        ),
      ]
    case 'bitmap':
      return [
        m(
          'set_bit',
          'offset: int, bit: Literal[0, 1]',
          'Literal[0, 1]',
          `p_setbit(${E}, ${K}, offset, bit)`,
          'The previous bit.',
        ),
        m('get_bit', 'offset: int', 'Literal[0, 1]', `p_getbit(${E}, ${K}, offset)`, 'The bit.'),
        m(
          'count',
          'start: Optional[int] = None, end: Optional[int] = None, unit: Literal["byte", "bit"] = "byte"',
          'int',
          `p_bitcount(${E}, ${K}, start, end, unit)`,
          'Set bits, of the whole bitmap or of a range.',
        ),
      ]
  }
}

type Make = (name: string, params: string, returns: string, plan: string, lead: string) => MethodSpec
type Scan = (command: string, item: string, match: boolean, lead: string) => MethodSpec

function hashMethods(entry: PyEntry, m: Make, scan: Scan, bounded: boolean): MethodSpec[] {
  const fields = entry.fields
  const values: PyType = fields ? union(fields.map((f) => f.type)) : entry.value
  const VU = annotation(values)
  const names = fields ? `Literal[${fields.map((f) => pyString(f.name)).join(', ')}]` : 'str'
  const td = fields ? `${entry.cls}Fields` : null
  const binary = entry.codec === 'msgpack' || entry.codec === 'bytes'
  const numeric = (type: PyType) => /^(Optional\[)?(int|float)\]?$/.test(annotation(type))
  const numericNames = fields
    ? fields.filter((f) => numeric(f.type)).map((f) => pyString(f.name))
    : numeric(entry.value)
      ? ['str']
      : []
  const hget: MethodSpec = {
    ...m('hget', `field: ${names}`, optional(values), `p_hget(${E}, ${K}, field)`, 'One field, or None.'),
  }
  // One overload per distinct field type, so that hget("name") is typed as that field.
  const byType = new Map<string, string[]>()
  for (const f of fields ?? [])
    byType.set(optional(f.type), [...(byType.get(optional(f.type)) ?? []), pyString(f.name)])
  const overloads =
    byType.size > 1
      ? [...byType].map(([returns, fieldNames]) => ({
          params: `field: Literal[${fieldNames.join(', ')}]`,
          returns,
        }))
      : undefined
  return [
    overloads ? { ...hget, overloads } : hget,
    m(
      'hmget',
      `*fields: ${names}`,
      `Dict[str, ${optional(values)}]`,
      `p_hmget(${E}, ${K}, fields)`,
      'Several fields; None for each missing one.',
    ),
    m(
      'hset',
      `values: ${td ?? `Mapping[str, ${VU}]`}`,
      'int',
      `p_hset(${E}, ${K}, values)`,
      'Writes the given fields (None values are skipped); the number created.',
    ),
    m('hdel', `*fields: ${names}`, 'int', `p_hdel(${E}, ${K}, fields)`, 'The number of fields removed.'),
    ...(numericNames.length > 0 && !binary
      ? [
          m(
            'hincr_by',
            `field: ${fields ? `Literal[${numericNames.join(', ')}]` : 'str'}, by: int`,
            'int',
            `p_hincr_by(${E}, ${K}, field, by)`,
            'Atomic increment of an integer field; the new value.',
          ),
        ]
      : []),
    m('hexists', `field: ${names}`, 'bool', `p_hexists(${E}, ${K}, field)`, 'Whether the field exists.'),
    m('len', '', 'int', `p_len(${E}, ${K}, "HLEN")`, 'The number of fields.'),
    ...(bounded
      ? [
          m(
            'get',
            '',
            `Optional[${td ?? `Dict[str, ${VU}]`}]`,
            `p_hgetall(${E}, ${K})`,
            'The whole hash, or None.',
          ),
        ]
      : []),
    scan('HSCAN', `Tuple[str, ${VU}]`, true, '(field, value) pairs page by page (HSCAN).'),
  ]
}

function describe(plans: readonly OperationPlan[], tsName: string, lead: string): string {
  const plan = plans.find((p) => p.op === tsName)
  if (!plan) return lead
  const note = plan.note ? ` ${plan.note}.` : ''
  return `${lead}\n\n${plan.commands.join(' ')} — ${plan.complexity}.${note}`
}
