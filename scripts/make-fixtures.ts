/**
 * `npm run fixtures`: regenerate fixtures/ (golden and known-bad traces, README) from the list in
 * test/support/fixtures.ts, then check every one behaves (golden pass, bad fail first on the rule
 * in their name). `--out DIR` writes elsewhere; `--no-verify` skips the check.
 */
import {
  BAD,
  FIXTURES_DIR,
  GOLDEN,
  makeFixtures,
  verifyFixtures,
} from '../test/support/fixtures.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const out = at >= 0 ? args[at + 1] : FIXTURES_DIR;
  const written = makeFixtures(out);
  console.log(`wrote ${written.length} files under ${out}`);
  if (args.includes('--no-verify')) return;
  const problems = await verifyFixtures(out);
  for (const p of problems) console.error(`  ${p}`);
  if (problems.length > 0) {
    console.error(`${problems.length} fixture(s) do not behave`);
    process.exitCode = 1;
  } else {
    console.log(
      `verified: ${GOLDEN.length} golden pass, ${BAD.length} bad fail with the rule in their name first`,
    );
  }
}

await main();
