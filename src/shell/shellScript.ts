/**
 * The scripts that run in pods come from `.sh` files (imported as text, src/types/shellScript.d.ts) and reach
 * the pod as `sh -c SCRIPT NAME ARG…`: pod-controlled text only ever travels as those positional arguments or
 * as NUL/escape-delimited data, never inside SCRIPT. test/suite/unit/scripts-shellcheck.test.ts checks every
 * `.sh` file with ShellCheck and `sh -n` under busybox ash, dash and bash.
 */

/**
 * The script as sent: without its comment and blank lines, because the exec request carries it in the URL,
 * which API servers and proxies cap (16 KiB for a Node server). No multi-line quoted text or here-document in the
 * scripts holds such a line as content (test/suite/unit/scripts-shellcheck.test.ts checks the here-documents).
 */
export function shellScript(text: string): string {
  return `${text.split('\n').filter((line) => !/^\s*(#|$)/.test(line)).join('\n')}\n`;
}

/**
 * Single-quotes a word for a POSIX shell: every byte literal, a quote inside closed, escaped and reopened. For
 * commands shown to the user (the equivalent kubectl command), never for scripts sent to pods.
 */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
