// Bundle the host agent into ONE executable file, dist/xapi-ovn-host-agent (see host-bundle.mjs):
// no npm package at all in it.
import { bundleHostFile } from './host-bundle.mjs'

await bundleHostFile('host-agent/main.ts', 'dist/xapi-ovn-host-agent', (p) => p.includes('node_modules/'))
