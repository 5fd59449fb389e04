import { type Codec, type CodecName, resolveCodec } from '../../codec/index.js'
import { namespaceName } from '../../common/validate.js'
import { invalidArgument } from '../../errors.js'

/** Options shared by the producer and the worker: where the stream lives and how messages are stored. */
export interface StreamCommonOptions<T> {
  /** Keyspace namespace, default `stream`: keys are `stream:{<name>}` and `stream:{<name>}:dead`. */
  readonly namespace?: string
  /** Default `json`; `msgpack`, `raw` or a Codec object. */
  readonly codec?: CodecName | Codec<T>
}

export function resolveCommon<T>(options: StreamCommonOptions<T>): {
  namespace: string
  codec: Codec<T>
  codecName: CodecName | undefined
} {
  const namespace = namespaceName('namespace', options.namespace, 'stream')
  const spec = options.codec ?? 'json'
  let codec: Codec<T>
  try {
    codec = resolveCodec(spec as CodecName | Codec<unknown>) as Codec<T>
  } catch {
    throw invalidArgument("codec must be 'json', 'msgpack', 'raw', 'bytes' or a Codec object", {
      codec: options.codec,
    })
  }
  return { namespace, codec, codecName: typeof spec === 'string' ? spec : undefined }
}
