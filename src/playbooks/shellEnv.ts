/**
 * Passing values to step scripts: `export NAME='value'` lines in front of the script. Single quotes make every
 * byte literal (no `$(…)`, backticks or globbing), and a quote inside is closed, escaped and reopened.
 */

import { shellQuote } from '../shell/shellScript';

export { shellQuote };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `export A='1'\nexport B='x'\n` for the given variables; throws on a name sh would not accept. */
export function exportPrefix(variables: Readonly<Record<string, string>>): string {
  return Object.entries(variables)
    .map(([name, value]) => {
      if (!NAME.test(name)) {
        throw new Error(`"${name}" is not a shell variable name`);
      }
      // NUL cannot be passed in an argv string; everything else can.
      return `export ${name}=${shellQuote(value.replace(/\0/g, ''))}\n`;
    })
    .join('');
}
