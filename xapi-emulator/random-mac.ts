/** A random locally administered unicast MAC, as XAPI makes for a VIF or PIF without one. */
import { randomBytes } from 'node:crypto'

export function randomMac(): string {
  const b = randomBytes(6)
  b[0] = ((b[0] as number) & 0xfe) | 0x02 // locally administered, unicast
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':')
}
