/** @packageDocumentation safetensors read/write. */

/** Largest header the reader accepts, in bytes (the Rust reference's limit). */
export const MAX_HEADER_BYTES = 100_000_000;
