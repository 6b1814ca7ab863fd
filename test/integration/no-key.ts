/**
 * The check of issue 9 shared by the SSL suites: a private key shows nowhere but in its file on
 * the host (not in argv, a reply, a log, or the CLI's stdout/stderr with DEBUG=xen-api).
 */
import assert from 'node:assert/strict'

/** The base64 lines of a PEM key: none of them may show anywhere but in the key file. */
export function keyLines(pem: string): string[] {
  return pem.split('\n').filter((l) => l.length >= 16 && !l.startsWith('-----'))
}

/** Assert `text` carries no private key: no PEM private key label, no base64 line of `keyPem`. */
export function assertNoKey(text: string, keyPem: string | null, where: string): void {
  assert.ok(!text.includes('PRIVATE KEY'), `${where}: no PRIVATE KEY`)
  if (keyPem !== null) for (const line of keyLines(keyPem)) assert.ok(!text.includes(line), `${where}: no key line`)
}
