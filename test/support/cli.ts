/** The CLI run in-process, its output captured line by line. */
import { main } from '../../src/cli/main.js';

/** What one in-process CLI invocation printed and returned. */
export interface CliResult {
  code: number;
  stdout: string[];
  stderr: string[];
}

/** Run `tvm-trace ARGV…` in-process, capturing stdout and stderr line by line. */
export async function cli(...argv: string[]): Promise<CliResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
  });
  return { code, stdout, stderr };
}
