import type { Script } from '../../atomic/script.js'
import { RedisExpertError } from '../../errors.js'
import type { DecisionRecord, EntryPolicy, Keyspace } from '../../keyspace/index.js'
import { type PyField, type PyType, pascal, py, pyIdentifier } from './py-types.js'
import { ANY_NAMESPACE, type EntryTypeInfo, type SourceTypes } from './ts-types.js'

/** One entry as the generator sees it: its policy, Python names and Python types. */
export interface PyEntry {
  readonly namespace: string
  readonly name: string
  readonly policy: EntryPolicy
  /** `ShopUser`: the class with PATTERN, key(), parse(); handles are `ShopUserOps` & co. */
  readonly cls: string
  /** The facade's method for it: `user` (a Python keyword gets a trailing `_`). */
  readonly attr: string
  /** Key parameters: the name in the pattern and the Python keyword argument. */
  readonly params: readonly { readonly name: string; readonly py: string }[]
  /** The value, element or member type; for a hash or stream without a shape, every field's value. */
  readonly value: PyType
  /** A hash's or stream's declared fields (an object type argument), else null. */
  readonly fields: readonly PyField[] | null
  /** The type argument as written in TypeScript, for the docstring. */
  readonly written: string | null
  readonly decisions: DecisionRecord
  readonly codec: string | null
}

export interface PyKeyspace {
  readonly namespace: string
  /** `Shop`: the facade over redis.Redis; `AsyncShop`, `ShopPipeline`, `AsyncShopPipeline`. */
  readonly cls: string
  readonly entries: readonly PyEntry[]
}

export interface PyScript {
  readonly name: string
  /** `TransferScript` / `AsyncTransferScript`. */
  readonly cls: string
  readonly source: string
  readonly keys: readonly { readonly name: string; readonly py: string }[]
  readonly args: readonly { readonly name: string; readonly py: string }[]
  readonly readonly: boolean
}

const FACADE_MEMBERS = new Set(['pipeline', 'client', 'self'])
const PARAM_RESERVED = new Set(['self', 'cls'])
const KNOWN_CODECS = new Set(['json', 'msgpack', 'raw', 'bytes', 'decimal'])

/** The model of the generated module; `taken` collects the Python class names in use. */
export function buildModel(
  keyspaces: readonly Keyspace[],
  types: SourceTypes,
  taken: Set<string>,
): PyKeyspace[] {
  const custom: string[] = []
  const model = keyspaces.map((ks) => {
    const cls = uniqueName(pascal(ks.namespace) || 'Keyspace', taken)
    for (const related of [`Async${cls}`, `${cls}Pipeline`, `Async${cls}Pipeline`]) taken.add(related)
    const decisions = ks.decisions()
    const entries = ks.entries.map((entry, i): PyEntry => {
      const policy = entry.policy
      const codec = policy.codec?.name ?? null
      if (codec !== null && !KNOWN_CODECS.has(codec))
        custom.push(`${ks.namespace}.${entry.name} (codec ${codec})`)
      const info = (types.entries.get(ks.namespace) ?? types.entries.get(ANY_NAMESPACE))?.get(entry.name) ?? {
        value: null,
        fields: null,
        written: null,
      }
      const entryCls = uniqueName(pascal(ks.namespace, entry.name), taken)
      for (const suffix of ['Ops', 'Pipe', 'Params', 'Fields']) taken.add(`${entryCls}${suffix}`)
      taken.add(`Async${entryCls}Ops`)
      return {
        namespace: ks.namespace,
        name: entry.name,
        policy,
        cls: entryCls,
        attr: pyIdentifier(entry.name, FACADE_MEMBERS),
        params: policy.pattern.params.map((name) => ({ name, py: pyIdentifier(name, PARAM_RESERVED) })),
        value: valueType(policy, info),
        fields: policy.kind === 'hash' || policy.kind === 'stream' ? info.fields : null,
        written: info.written,
        decisions: decisions[i]!,
        codec,
      }
    })
    return { namespace: ks.namespace, cls, entries }
  })
  if (custom.length > 0) {
    throw new RedisExpertError(
      'NOT_SUPPORTED',
      `codegen python cannot reproduce custom codecs in Python: ${custom.join(', ')}; use json, msgpack, raw or bytes`,
      { details: { entries: custom } },
    )
  }
  return model
}

function valueType(policy: EntryPolicy, info: EntryTypeInfo): PyType {
  const codec = policy.codec?.name
  switch (policy.kind) {
    case 'counter':
      return py.int
    case 'hll':
      return py.str
    case 'bitmap':
      return py.bit
    case 'string':
      return codec === 'bytes' ? py.bytes : py.str
    default:
      if (policy.integers) return py.int
      if (codec === 'bytes') return py.bytes
      if (codec === 'raw') return py.str
      // Defaults of the builders: t.json<T>() has none (unknown); the others hold strings.
      return info.value ?? (policy.kind === 'json' ? py.any : py.str)
  }
}

/** A `defineScript` script (duck-typed: the CLI may load the module through another copy of it). */
export function isScript(value: unknown): value is Script {
  if (typeof value !== 'object' || value === null) return false
  const s = value as Partial<Script>
  return (
    typeof s.name === 'string' &&
    typeof s.sha === 'string' &&
    typeof s.source === 'string' &&
    Array.isArray(s.keys) &&
    Array.isArray(s.args) &&
    typeof s.run === 'function' &&
    typeof s.command === 'function'
  )
}

export function scriptModel(script: Script, taken: Set<string>): PyScript {
  // The spec's `readonly` shows in the command it builds: EVALSHA_RO.
  const sample = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, '0']))
  const readonly = script.command(sample(script.keys), sample(script.args))[0] === 'EVALSHA_RO'
  const cls = uniqueName(`${pascal(script.name)}Script`, taken)
  taken.add(`Async${cls}`)
  const names = new Set<string>()
  const param = (name: string) => {
    const id = pyIdentifier(name, new Set([...PARAM_RESERVED, ...names]))
    names.add(id)
    return { name, py: id }
  }
  return {
    name: script.name,
    cls,
    source: script.source,
    keys: script.keys.map(param),
    args: script.args.map(param),
    readonly,
  }
}

function uniqueName(name: string, taken: Set<string>): string {
  let out = name
  for (let i = 2; taken.has(out); i++) out = `${name}${i}`
  taken.add(out)
  return out
}
