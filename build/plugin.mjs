// Bundle the ovn-chassis host plugin into ONE executable file, dist/ovn-chassis (see
// host-bundle.mjs). xen-api, the pool side, must never be in it.
// The file is plugin/code-cache.ts (a small loader) with the plugin itself, plugin/main.ts
// bundled, inside it as a string: the loader compiles that string through a V8 code cache when
// a trusted, current one exists, and from the text otherwise.
import { createHash } from 'node:crypto'
import { bundleHostFile, bundleHostText } from './host-bundle.mjs'

/**
 * Built-ins loaded on first use instead of at start-up: node:crypto costs ~3 ms to load on Node
 * 16 and only TLS/SSL work needs it; node:fs/promises pulls in readline on Node 20 and only the
 * unixctl client uses it. Each import of one becomes an object whose properties are getters that
 * require the module when first read; esbuild reads an import of a CommonJS module through its
 * properties at each use (`(0, m.readFile)(...)`), so nothing is loaded before a call needs it.
 */
const LAZY_BUILTINS = ['node:crypto', 'node:fs/promises']
const NS = 'host-builtin'

/**
 * esbuild keeps `await import('node:tls')` of a built-in as a real dynamic import, which code
 * compiled by vm.Script (plugin/code-cache.ts) cannot run ("A dynamic import callback was not
 * specified"). So a dynamic import of a built-in becomes an import of a small CommonJS module
 * that requires it: esbuild turns that into `Promise.resolve().then(() => require(...))`, with
 * the same named exports and `default` as Node's own import of a built-in.
 */
const hostBuiltins = {
  name: NS,
  setup(b) {
    const lazy = new RegExp(`^(${LAZY_BUILTINS.map((m) => m.replace('/', '\\/')).join('|')})$`)
    b.onResolve({ filter: /^node:/ }, (args) => {
      // The shims' own require() resolves as usual (to the external built-in).
      if (args.namespace === NS) return undefined
      if (args.kind === 'dynamic-import') return { path: args.path, namespace: NS, pluginData: 'dynamic' }
      if (lazy.test(args.path)) return { path: args.path, namespace: NS, pluginData: 'lazy' }
      return undefined
    })
    b.onLoad({ filter: /.*/, namespace: NS }, async (args) => {
      const req = `require(${JSON.stringify(args.path)})`
      if (args.pluginData === 'dynamic') return { contents: `module.exports = ${req}`, loader: 'js', resolveDir: '.' }
      const keys = Object.keys(await import(args.path)).filter((k) => k !== 'default')
      const contents = [
        'let loaded',
        `const load = () => loaded || (loaded = ${req})`,
        `for (const key of ${JSON.stringify(keys)})`,
        '  Object.defineProperty(exports, key, { enumerable: true, get: () => load()[key] })',
      ].join('\n')
      return { contents, loader: 'js', resolveDir: '.' }
    })
  },
}

const forbidden = (p) => p.includes('node_modules/xen-api')
const text = await bundleHostText('plugin/main.ts', forbidden, [hostBuiltins])
if (/[^\w$.]import\(/.test(text))
  throw new Error('dist/ovn-chassis: a dynamic import() is left in the body (see hostBuiltins)')
// The body runs as a CommonJS module would: the loader passes its own module's bindings in.
const body = `(function (exports, require, module, __filename, __dirname) {${text}\n})`
const hash = createHash('sha256').update(body).digest('hex').slice(0, 32)
await bundleHostFile('plugin/code-cache.ts', 'dist/ovn-chassis', forbidden, {
  CODE_CACHE_BODY: JSON.stringify(body),
  CODE_CACHE_BODY_HASH: JSON.stringify(hash),
})
