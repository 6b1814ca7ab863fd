// Bundle the ovn-chassis host plugin into ONE executable file, dist/ovn-chassis (see
// host-bundle.mjs). xen-api, the pool side, must never be in it.
import { bundleHostFile } from './host-bundle.mjs'

await bundleHostFile('plugin/main.ts', 'dist/ovn-chassis', (p) => p.includes('node_modules/xen-api'))
