import { bytes, count, numberField, perNode } from './helpers.js'
import type { Rule } from './rule.js'

/**
 * Many cached scripts mean scripts built by string concatenation: each distinct text is a new
 * script, compiled and kept in memory until SCRIPT FLUSH.
 */
export const luaScripts: Rule = {
  id: 'lua-scripts',
  title: 'Scripts built dynamically',
  evaluate(context) {
    return perNode(context, (node) => {
      const scripts = numberField(node.info, 'number_of_cached_scripts')
      if (scripts === null || scripts <= context.thresholds.cachedScripts) return []
      const memory =
        numberField(node.info, 'used_memory_scripts_eval') ?? numberField(node.info, 'used_memory_scripts')
      return [
        {
          rule: 'lua-scripts',
          severity: 'medium',
          message: `${count(scripts)} Lua scripts are cached${memory ? ` (${bytes(memory)})` : ''}: more than ${context.thresholds.cachedScripts} usually means values are pasted into the script text, so every call compiles and caches a new script`,
          fix: 'Pass values through KEYS and ARGV so one script serves every call; load it once and call EVALSHA (or FUNCTION LOAD on 7.0+); SCRIPT FLUSH ASYNC reclaims the cache.',
          data: { scripts, bytes: memory },
        },
      ]
    })
  },
}
