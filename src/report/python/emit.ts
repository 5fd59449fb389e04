import { formatTtl } from '../../common/index.js'
import type { DecisionRecord } from '../../keyspace/index.js'
import { type MethodSpec, methodsFor } from './methods.js'
import type { PyEntry, PyKeyspace, PyScript } from './model.js'
import { py, pyDocstring, pyString, renderTypedDict } from './py-types.js'

/**
 * Python source for one entry (its key class, Params/Fields TypedDicts and three handles), for a
 * keyspace's facades and for scripts. Pure text; module.ts assembles the file.
 */

const CODEC_CONSTANT: Readonly<Record<string, string>> = {
  json: 'JSON',
  msgpack: 'MSGPACK',
  raw: 'RAW',
  bytes: 'BYTES',
  decimal: 'DECIMAL',
}

/** The TypedDicts of an entry: its parameters (as parse() returns them) and its declared fields. */
export function entryTypes(entry: PyEntry): string {
  const params = renderTypedDict(
    {
      name: `${entry.cls}Params`,
      fields: entry.params.map((p) => ({ name: p.name, type: py.str, required: true })),
      origin: `The parameters of ${entry.policy.pattern.full}, as parse() returns them.`,
    },
    true,
  )
  if (!entry.fields) return params
  const fields = renderTypedDict(
    {
      name: `${entry.cls}Fields`,
      fields: entry.fields,
      origin: `The fields of ${entry.policy.pattern.full} (${entry.written ?? ''})${entry.policy.kind === 'hash' ? ': a hash may hold any subset of them' : ''}.`,
    },
    entry.policy.kind === 'hash' ? false : 'mixed',
  )
  return `${params}\n\n${fields}`
}

/** The key class: constants, key(), parse(), try_parse(), slot(), and the decision log. */
export function entryClass(entry: PyEntry): string {
  const p = entry.policy
  const segments = p.pattern.segments
    .map(
      (s) => `(${s.kind === 'param' ? 'True' : 'False'}, ${pyString(s.kind === 'param' ? s.name : s.text)})`,
    )
    .join(', ')
  const pattern = `Pattern(${pyString(entry.name)}, ${pyString(p.pattern.full)}, (${segments},), ${pyString(p.pattern.delimiters)})`
  const codec = entry.codec === null ? 'None' : CODEC_CONSTANT[entry.codec]
  const num = (n: number | null) => (n === null ? 'None' : String(n))
  const args = entry.params.map((x) => `${x.py}: Param`).join(', ')
  const kwargs = entry.params.map((x) => `${x.py}=${x.py}`).join(', ')
  const mapping = `{${entry.params.map((x) => `${pyString(x.name)}: ${x.py}`).join(', ')}}`
  const signature = entry.params.length === 0 ? '' : `*, ${args}`
  const params = `${entry.cls}Params`
  return `class ${entry.cls}:
    ${pyDocstring(entryDoc(entry), 4)}

    NAME: Final = ${pyString(entry.name)}
    PATTERN: Final = ${pyString(p.pattern.full)}
    MATCH: Final = ${pyString(p.pattern.match)}
    TTL_MS: Final[Optional[int]] = ${num(p.ttlMs)}
    JITTER: Final[float] = ${pyFloat(p.jitter)}
    SLIDING: Final = ${p.sliding ? 'True' : 'False'}
    MAX_ITEMS: Final[Optional[int]] = ${num(p.maxItems)}
    ENTRY: Final = Entry(
        ${pyString(entry.name)}, ${pattern}, ${pyString(p.kind)}, ${codec},
        ${num(p.ttlMs)}, ${pyFloat(p.jitter)}, ${p.sliding ? 'True' : 'False'}, ${num(p.maxItems)}, ${num(p.replicas)}, ${p.replicaTimeoutMs},
    )

    @staticmethod
    def key(${signature}) -> str:
        """${p.pattern.full}, every parameter escaped as TypeScript escapes it (str, or int in decimal)."""
        return ${entry.cls}.ENTRY.pattern.build(${mapping})

    @staticmethod
    def parse(key: Union[str, bytes]) -> ${params}:
        """The parameters a key was built from; KeyMismatch when it is not a key of this entry."""
        return cast(${pyString(params)}, ${entry.cls}.ENTRY.pattern.parse(key))

    @staticmethod
    def try_parse(key: Union[str, bytes]) -> Optional[${params}]:
        """Like parse, but None instead of KeyMismatch."""
        return cast(${pyString(`Optional[${params}]`)}, ${entry.cls}.ENTRY.pattern.match(key))

    @staticmethod
    def slot(${signature}) -> int:
        """The Redis Cluster slot of the key these parameters build."""
        return key_slot(${entry.cls}.key(${kwargs}))
`
}

function pyFloat(n: number): string {
  return Number.isInteger(n) ? `${n}.0` : String(n)
}

function entryDoc(entry: PyEntry): string {
  const p = entry.policy
  const d: DecisionRecord = entry.decisions
  const type = entry.written ? `t.${p.kind}<${entry.written}>()` : `t.${p.kind}()`
  const head = `${entry.namespace}.${entry.name}: ${p.pattern.full} — ${type}, role ${p.role}, ttl ${formatTtl(p.ttlMs)}${p.jitter > 0 ? ` ± ${Math.round(p.jitter * 100)}%` : ''}${p.sliding ? ' (sliding)' : ''}, ${p.durability}${p.maxItems !== null ? `, maxItems ${p.maxItems}` : ''}, codec ${entry.codec ?? 'none'}.`
  const ops = d.operations
    .map(
      (o) =>
        `   - ${o.op}: ${o.commands.join(' ')} — ${o.complexity}${o.status === 'ok' ? '' : ` [${o.status}]`}`,
    )
    .join('\n')
  const lines = [
    head,
    ...(p.description ? ['', p.description] : []),
    '',
    'Decision log:',
    `1. Structure: ${d.structure}`,
    `2. Operations (one round trip each):\n${ops}`,
    `3. Persistence: ${d.persistence}`,
    `4. Atomicity: ${d.atomicity}`,
    `5. Serialization: ${d.serialization}`,
    ...(d.warnings.length > 0 ? ['', 'Warnings:', ...d.warnings.map((w) => `- ${w}`)] : []),
  ]
  return lines.join('\n')
}

/** The sync, asyncio and pipeline handles of an entry. */
export function entryHandles(entry: PyEntry): string {
  const methods = methodsFor(entry)
  const about = `${entry.namespace}.${entry.name} (${entry.policy.pattern.full}); see ${entry.cls} for the decision log.`
  const cls = (name: string, base: string, doc: string, variant: Variant) =>
    `class ${name}(${base}):\n    ${pyDocstring(doc, 4)}\n\n    ENTRY = ${entry.cls}.ENTRY\n    __slots__ = ()\n` +
    methods
      .filter((m) => variant !== 'pipe' || !m.scan)
      .map((m) => `\n${method(m, variant)}`)
      .join('')
  return [
    cls(`${entry.cls}Ops`, 'SyncHandle', `One key of ${about} Every call is one round trip.`, 'sync'),
    cls(`Async${entry.cls}Ops`, 'AsyncHandle', `One key of ${about} For redis.asyncio.`, 'async'),
    cls(
      `${entry.cls}Pipe`,
      'PipeHandle',
      `One key of ${about} Queued in a typed pipeline: each call returns a Pending.`,
      'pipe',
    ),
  ].join('\n\n')
}

type Variant = 'sync' | 'async' | 'pipe'

function method(m: MethodSpec, variant: Variant): string {
  const params = m.params === '' ? 'self' : `self, ${m.params}`
  const doc = `        ${pyDocstring(m.doc, 8)}\n`
  if (m.scan) {
    const iterator = variant === 'async' ? 'AsyncIterator' : 'Iterator'
    const type = `${iterator}[${m.scan.item}]`
    const match = m.scan.match ? 'match' : 'None'
    return `    def scan(${params}) -> ${type}:\n${doc}        return cast(${pyString(type)}, self._scan(${pyString(m.scan.command)}, ${match}, count))\n`
  }
  const ret = (type: string) => (variant === 'pipe' ? `Pending[${type}]` : type)
  const def = variant === 'async' ? 'async def' : 'def'
  const call =
    variant === 'pipe'
      ? `self._queue(${m.plan})`
      : variant === 'async'
        ? `await self._run(${m.plan})`
        : `self._run(${m.plan})`
  let out = ''
  if (m.overloads) {
    for (const o of m.overloads)
      out += `    @overload\n    ${def} ${m.name}(self, ${o.params}) -> ${ret(o.returns)}: ...\n\n`
    return `${out}    ${def} ${m.name}(${params}) -> Any:\n${doc}        return ${call}\n`
  }
  if (m.returns === 'None' && variant !== 'pipe')
    return `    ${def} ${m.name}(${params}) -> None:\n${doc}        ${call}\n`
  return `    ${def} ${m.name}(${params}) -> ${ret(m.returns)}:\n${doc}        return cast(${pyString(ret(m.returns))}, ${call})\n`
}

/** `Shop` (redis.Redis), `AsyncShop` (redis.asyncio.Redis) and their typed pipelines. */
export function keyspaceFacades(ks: PyKeyspace): string {
  const accessor = (entry: PyEntry, handle: string, owner: string) => {
    const args = entry.params.map((x) => `${x.py}: Param`).join(', ')
    const kwargs = entry.params.map((x) => `${x.py}=${x.py}`).join(', ')
    return `    def ${entry.attr}(self${args ? `, *, ${args}` : ''}) -> ${handle}:\n        """${entry.policy.pattern.full}"""\n        return ${handle}(${owner}, ${entry.cls}.key(${kwargs}))\n`
  }
  const facade = (name: string, client: string, prefix: string, pipeline: string) =>
    `class ${name}:\n    """The keyspace '${ks.namespace}' over a ${client} client (decode_responses=False, the default)."""\n\n    def __init__(self, client: ${client}[bytes]) -> None:\n        self.client = check_client(client)\n\n` +
    `    def pipeline(self, one_slot: bool = True) -> ${pipeline}:\n        """Typed operations of several entries in one MULTI/EXEC round trip (see PipelineCore)."""\n        return ${pipeline}(self.client, one_slot)\n` +
    ks.entries.map((e) => `\n${accessor(e, `${prefix}${e.cls}Ops`, 'self.client')}`).join('')
  const entries = `_${ks.cls}PipelineEntries`
  return [
    facade(ks.cls, 'redis.Redis', '', `${ks.cls}Pipeline`),
    facade(`Async${ks.cls}`, 'redis.asyncio.Redis', 'Async', `Async${ks.cls}Pipeline`),
    `class ${entries}(PipelineCore):\n` +
      ks.entries.map((e) => accessor(e, `${e.cls}Pipe`, 'self')).join('\n'),
    `class ${ks.cls}Pipeline(${entries}, SyncPipelineBase):\n    """A typed pipeline of the keyspace '${ks.namespace}': queue operations, then execute()."""\n`,
    `class Async${ks.cls}Pipeline(${entries}, AsyncPipelineBase):\n    """A typed pipeline of the keyspace '${ks.namespace}' for redis.asyncio: queue, then await execute()."""\n`,
  ].join('\n\n')
}

/** A defineScript script as a typed callable over register_script (sync and asyncio). */
export function scriptClasses(script: PyScript): string {
  const header = /^\s*--\[\[([\s\S]*?)\]\]/.exec(script.source)?.[1]?.trim() ?? ''
  const params = [...script.keys.map((k) => `${k.py}: str`), ...script.args.map((a) => `${a.py}: ScriptArg`)]
  const signature = params.length === 0 ? 'self' : `self, *, ${params.join(', ')}`
  const keys = `[${script.keys.map((k) => k.py).join(', ')}]`
  const args = `[${script.args.map((a) => a.py).join(', ')}]`
  const doc = `The script '${script.name}': KEYS ${script.keys.map((k) => k.name).join(', ') || '(none)'}; ARGV ${script.args.map((a) => a.name).join(', ') || '(none)'}.${script.readonly ? ' Declared read-only in TypeScript (EVALSHA_RO); register_script sends EVALSHA.' : ''}\n\n${header}`
  const source = script.source
    .split(/(?<=\n)/)
    .map((line) => `        ${pyString(line)}`)
    .join('\n')
  const cls = (name: string, client: string, isAsync: boolean) =>
    `class ${name}:\n    ${pyDocstring(doc, 4)}\n\n    NAME: Final = ${pyString(script.name)}\n    SOURCE: Final = (\n${source}\n    )\n\n` +
    `    def __init__(self, client: ${client}[bytes]) -> None:\n        self._script = client.register_script(self.SOURCE)\n\n` +
    `    ${isAsync ? 'async def' : 'def'} __call__(${signature}) -> Any:\n        return ${isAsync ? 'await ' : ''}self._script(keys=${keys}, args=${args})\n`
  return `${cls(script.cls, 'redis.Redis', false)}\n\n${cls(`Async${script.cls}`, 'redis.asyncio.Redis', true)}`
}
