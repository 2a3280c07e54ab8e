/**
 * Text quoted from a file or an argument, printable on one line: control characters (C0, DEL,
 * C1), line and paragraph separators, a BOM and lone surrogates (bytes that were not UTF-8)
 * become \\xNN / \\uNNNN escapes, and (unless `backslash` is false) a backslash is doubled, so
 * every byte stays visible and nothing breaks the line.
 */
export function printable(text: string, backslash = true): string {
  return text.replace(
    /[\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    (c) => {
      if (c === '\\') return backslash ? '\\\\' : c;
      const code = c.charCodeAt(0);
      return code < 0x100
        ? `\\x${code.toString(16).padStart(2, '0')}`
        : `\\u${code.toString(16).padStart(4, '0')}`;
    },
  );
}
