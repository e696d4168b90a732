// The command-line preamble of the repository's tool scripts (tools/*/run.mjs): a named `say` on
// stderr, `fail` with an exit code, `--help` printing the script's leading `//` comment, and the
// rule that options come from the environment only.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * @param {string} name the script's name, prefixed to every message
 * @param {string} scriptUrl the script's `import.meta.url` (its header comment is the help text)
 */
export function scriptCli(name, scriptUrl) {
  const say = (msg) => console.error(`${name}: ${msg}`);
  const fail = (msg, code = 2) => {
    say(msg);
    process.exit(code);
  };
  const args = process.argv.slice(2);
  if (args.includes('-h') || args.includes('--help')) {
    const header = fs.readFileSync(fileURLToPath(scriptUrl), 'utf8').split('\n');
    const end = header.findIndex((l) => !l.startsWith('//'));
    console.log(
      header
        .slice(0, end)
        .map((l) => l.replace(/^\/\/ ?/, ''))
        .join('\n'),
    );
    process.exit(0);
  }
  if (args.length) fail(`takes no arguments, only environment variables (got ${args.join(' ')}); see --help`);
  return { say, fail };
}
