#!/usr/bin/env node
/**
 * Entry of the `xapi-ovn` command (package.json bin). Everything but the process lives in
 * program.ts; this file only wires it to argv, stdio and the terminal.
 */
import { chmod, readdir, readFile, writeFile } from 'node:fs/promises'
import { runProgram } from './program.js'
import { promptPassword } from './prompt.js'

const code = await runProgram(process.argv.slice(2), {
  env: process.env,
  interactive: process.stdin.isTTY === true,
  promptPassword: (prompt) => promptPassword(prompt),
  readFile: (path) => readFile(path, 'utf8'),
  readDir: (path) => readdir(path),
  // chmod after: writeFile's mode applies only to a new file, and through the umask.
  writeFile: async (path, content, mode) => {
    await writeFile(path, content, { encoding: 'utf8', mode })
    await chmod(path, mode)
  },
  untilStopped: () =>
    new Promise((resolve) => {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal))
    }),
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
})
process.exitCode = code
