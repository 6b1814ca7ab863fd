// esbuild options shared by every file that runs on a pool host (the plugin, the boot helper):
// one self-contained CommonJS file for Node 16, with only Node's built-ins outside it.
export const HOST_BUNDLE = Object.freeze({
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node16',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
})
