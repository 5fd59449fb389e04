import { bytes, count, numberField, perNode } from './helpers.js'
import type { Rule } from './rule.js'

/**
 * Many cached scripts mean scripts built by string concatenation: each distinct text is a new
 * script, compiled and kept in memory until SCRIPT FLUSH. The scripts declared with defineScript
 * in the auditing process — the toolkit's features and the application's — are one text each,
 * called by SHA1: they are not counted (facts.ts asks SCRIPT EXISTS for them).
 */
export const luaScripts: Rule = {
  id: 'lua-scripts',
  title: 'Scripts built dynamically',
  evaluate(context) {
    return perNode(context, (node) => {
      const cached = numberField(node.info, 'number_of_cached_scripts')
      if (cached === null) return []
      const scripts = Math.max(0, cached - node.declaredScripts)
      if (scripts <= context.thresholds.cachedScripts) return []
      const memory =
        numberField(node.info, 'used_memory_scripts_eval') ?? numberField(node.info, 'used_memory_scripts')
      const declared =
        node.declaredScripts > 0 ? `, besides ${count(node.declaredScripts)} declared with defineScript` : ''
      return [
        {
          rule: 'lua-scripts',
          severity: 'medium',
          message: `${count(scripts)} Lua scripts are cached${declared}${memory ? ` (${bytes(memory)} in all)` : ''}: more than ${context.thresholds.cachedScripts} usually means values are pasted into the script text, so every call compiles and caches a new script`,
          fix: 'Pass values through KEYS and ARGV so one script serves every call; declare it with defineScript (one text, called by SHA1), or load it once and call EVALSHA (or FUNCTION LOAD on 7.0+); SCRIPT FLUSH ASYNC reclaims the cache.',
          data: { scripts, declared: node.declaredScripts, bytes: memory },
        },
      ]
    })
  },
}
