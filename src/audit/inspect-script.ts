import { defineScript } from '../atomic/script.js'

/** The script behind ScanPort.inspect: see inspect.lua. */
export const INSPECT_SCRIPT = defineScript({
  name: 'audit-inspect',
  file: new URL('./inspect.lua', import.meta.url),
  keys: [],
  args: ['samples', 'memory', 'encoding'],
  readonly: true,
  reviewed: 'its computed names come from its SIZE table only: STRLEN, HLEN, LLEN, SCARD, ZCARD, XLEN (O(1))',
})

/** The script's source as the audit connection sends it: its UTF-8 bytes, one char per byte. */
export const INSPECT_SOURCE = Buffer.from(INSPECT_SCRIPT.source, 'utf8').toString('latin1')
