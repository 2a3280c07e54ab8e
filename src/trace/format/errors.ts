/** The trace reader's error type, apart from the reader so the read path's modules share it without importing each other. */

/** The file cannot be used as a trace: not Arrow, truncated, foreign, or of an unknown version. */
export class TraceFormatError extends Error {}
