// Types of build/elf-needs.mjs for the TypeScript tests that import it.
export declare const EM_X86_64: 62
export declare const EL7_LIMITS: Readonly<Record<string, string>>
export declare const EL7_LIBRARIES: readonly string[]
export interface ElfNeeds {
  readonly class: 32 | 64
  readonly machine: number
  /** DT_NEEDED, in file order */
  readonly needed: string[]
  /** every (library, version) of the version-needed section, in file order */
  readonly versions: { readonly file: string; readonly name: string }[]
}
export declare function isElf(bytes: Uint8Array): boolean
export declare function readElfNeeds(buf: Buffer, what: string): ElfNeeds
export declare function unmetOnEl7(
  needs: Pick<ElfNeeds, 'needed' | 'versions'>,
  limits?: Readonly<Record<string, string>>,
  libraries?: readonly string[],
): string[]
