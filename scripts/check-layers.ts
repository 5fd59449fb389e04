/** `npm run check`'s layer check: prints every breach of scripts/layers.ts's rules, exits 1 on any. */
import { fileURLToPath } from 'node:url'
import { checkLayers } from './layers.js'

const findings = checkLayers(fileURLToPath(new URL('../src', import.meta.url)))
for (const finding of findings) console.error(`${finding.kind}: ${finding.message}`)
if (findings.length > 0) process.exit(1)
console.log('layers: every import points down, no circles, no file over the limit')
