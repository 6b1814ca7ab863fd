/**
 * Entry of `npm run lab` (.build/lab/cli.js); the command itself is lab-command.ts.
 * The lab needs Node.js >= 18 (xen-api); ./scripts/lab installs it where it is missing. This file
 * imports nothing an older Node cannot load, so it can say so clearly.
 */
const MIN_MAJOR = 18

if (Number.parseInt(process.versions.node.split('.')[0] ?? '0', 10) < MIN_MAJOR) {
  process.stderr.write(
    `the lab needs Node.js >= ${MIN_MAJOR} (this is ${process.version}); ./scripts/lab installs it\n`,
  )
  process.exit(2)
}

const { runLabCommand } = await import('./lab-command.js')
runLabCommand().then(
  (code) => {
    // The keeper stays alive on its own (-1); every other command is done.
    if (code >= 0) process.exit(code)
  },
  (err: unknown) => {
    process.stderr.write(`lab: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exit(1)
  },
)
