/** sm-crypto's SM3 module on its own (the package's types cover only its top-level module). */
declare module 'sm-crypto/src/sm2/sm3' {
  /** The SM3 digest (GB/T 32905) of `bytes`: 32 numbers in 0..255. */
  export function sm3(bytes: ArrayLike<number>): number[];
}
