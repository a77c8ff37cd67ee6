// The command line of an example: its options and -h/--help, with a bad option (or a bad value the
// example finds) said in one line with the usage, and exit 2.
import { parseArgs } from "node:util";

/**
 * Parses `process.argv` for `options` (node:util parseArgs, strict, no positionals). `--help`
 * prints `usage` and `help` and exits 0.
 *
 * @returns `values`, and `usage(message)`, which reports a bad value and exits 2
 */
export function exampleOptions({ name, usage: usageLine, help, options }) {
  const usage = (message) => {
    process.stderr.write(`${name}: ${message}\n${usageLine}\n`);
    process.exit(2);
  };
  let values;
  try {
    ({ values } = parseArgs({
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    usage(error.message);
  }
  if (values.help) {
    process.stdout.write(`${usageLine}\n${help}`);
    process.exit(0);
  }
  return { values, usage };
}
