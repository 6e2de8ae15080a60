/** The text `--help` prints: every command, flag and environment variable. */
import { serveEnvVars, serveFlags } from './serve-options.ts';

export function usage(): string {
  const flagRows = Object.entries(serveFlags).map(([name, spec]) => [`--${name}${spec.value ? ` ${spec.value}` : ''}`, spec.help]);
  flagRows.push(['--version', 'print the version']);
  const envRows = Object.entries(serveEnvVars);
  const width = Math.max(...[...flagRows, ...envRows].map(([left]) => (left ?? '').length));
  const rows = (list: string[][]): string => list.map(([left, right]) => `  ${(left ?? '').padEnd(width)}  ${right ?? ''}`).join('\n');
  return `Usage: stateful-serverless serve [flags]

Serves a Netlify site's functions on the container simulator: every function in containers that keep
their state between invocations, freeze when idle and are reaped, as on the platform.

Commands:
  serve  serve a site (npm start runs \`serve\` on this project)

Flags:
${rows(flagRows)}

Environment variables:
${rows(envRows)}

Functions see the site's .env files (.env, .env.development, .env.local, .env.development.local),
Lambda's variables and URL, SITE_ID, SITE_NAME: not your shell's environment. See docs/sites.md.

Exit codes: 0 stopped cleanly, 1 failed to start or to stop, 2 bad command line.`;
}
