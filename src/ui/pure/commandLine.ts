/**
 * Shell-like splitting for the one-line inputs of the attach picker: the command (`sh -c "echo hi"`) and the
 * environment (`KEY=VALUE OTHER="two words"`). No expansion of any kind: quotes group, backslash escapes.
 * vscode-free.
 */

export interface EnvAssignment {
  readonly name: string;
  readonly value: string;
}

export type Parsed<T> = { readonly value: T } | { readonly error: string };

/**
 * Splits on unquoted whitespace. Single quotes keep everything literally; inside double quotes and outside
 * quotes a backslash escapes the next character.
 */
export function splitCommandLine(text: string): Parsed<string[]> {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quote === "'") {
      if (char === "'") {
        quote = undefined;
      } else {
        current += char;
      }
      continue;
    }
    if (char === '\\') {
      if (index + 1 >= text.length) {
        return { error: 'a trailing backslash escapes nothing; remove it or write \\\\' };
      }
      current += text[++index];
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (char === '"') {
        quote = undefined;
      } else {
        current += char;
      }
      continue;
    }
    if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) {
        words.push(current);
        current = '';
        inWord = false;
      }
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote !== undefined) {
    return { error: `unterminated ${quote === '"' ? 'double' : 'single'} quote; close it with ${quote}` };
  }
  if (inWord) {
    words.push(current);
  }
  return { value: words };
}

/** Quotes a word only when it needs it, so the input box shows `sh -c 'echo hi'` for a command argv. */
export function quoteWord(word: string): string {
  if (word === '') {
    return "''";
  }
  if (/^[\w@%+=:,./-]+$/.test(word)) {
    return word;
  }
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

export function formatCommandLine(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ');
}

/** Environment variable names: printable ASCII without '=' (the relaxed rule of Kubernetes 1.34+). */
export function envNameProblem(name: string): string | undefined {
  if (name === '') {
    return 'an environment variable needs a name before "="';
  }
  if (!/^[\x21-\x7e]+$/.test(name) || name.includes('=')) {
    return `invalid environment variable name "${name}": use printable ASCII characters without "=" or spaces`;
  }
  return undefined;
}

/**
 * `KEY=VALUE` words (quoted as in a shell, one or more per line). The last assignment of a name wins.
 * Empty input is no variables.
 */
export function parseEnvAssignments(text: string): Parsed<EnvAssignment[]> {
  const words = splitCommandLine(text);
  if ('error' in words) {
    return words;
  }
  return envFromWords(words.value);
}

/** `KEY=VALUE` strings, e.g. from command arguments. */
export function envFromWords(words: readonly string[]): Parsed<EnvAssignment[]> {
  const byName = new Map<string, string>();
  for (const word of words) {
    const equals = word.indexOf('=');
    if (equals < 0) {
      return { error: `"${word}" is not KEY=VALUE; write ${word}=value, or ${word}= for an empty value` };
    }
    const name = word.slice(0, equals);
    const problem = envNameProblem(name);
    if (problem !== undefined) {
      return { error: problem };
    }
    byName.delete(name);
    byName.set(name, word.slice(equals + 1));
  }
  return { value: [...byName].map(([name, value]) => ({ name, value })) };
}

export function formatEnvAssignments(env: readonly EnvAssignment[]): string {
  return env.map(({ name, value }) => `${name}=${quoteWord(value)}`).join(' ');
}

/** Env given as an object, a list of `KEY=VALUE` strings, a list of {name, value}, or one string. */
export function normalizeEnv(value: unknown, source: string): Parsed<EnvAssignment[]> {
  if (value === undefined || value === null) {
    return { value: [] };
  }
  if (typeof value === 'string') {
    return parseEnvAssignments(value);
  }
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item === 'string')) {
      return envFromWords(value as string[]);
    }
    const result: EnvAssignment[] = [];
    for (const item of value) {
      if (typeof item !== 'object' || item === null || typeof (item as { name?: unknown }).name !== 'string') {
        return { error: `${source}: each entry must be "KEY=VALUE" or {"name": …, "value": …}` };
      }
      const { name, value: itemValue } = item as { name: string; value?: unknown };
      const problem = envNameProblem(name);
      if (problem !== undefined) {
        return { error: `${source}: ${problem}` };
      }
      result.push({ name, value: itemValue === undefined || itemValue === null ? '' : String(itemValue) });
    }
    return { value: dedupe(result) };
  }
  if (typeof value === 'object') {
    const result: EnvAssignment[] = [];
    for (const [name, itemValue] of Object.entries(value as Record<string, unknown>)) {
      const problem = envNameProblem(name);
      if (problem !== undefined) {
        return { error: `${source}: ${problem}` };
      }
      if (typeof itemValue === 'object' && itemValue !== null) {
        return { error: `${source}: the value of "${name}" must be a string, number or boolean` };
      }
      result.push({ name, value: itemValue === undefined || itemValue === null ? '' : String(itemValue) });
    }
    return { value: result };
  }
  return { error: `${source} must be an object of NAME: value, a list of "NAME=value" strings, or one string` };
}

function dedupe(env: readonly EnvAssignment[]): EnvAssignment[] {
  const byName = new Map<string, string>();
  for (const { name, value } of env) {
    byName.delete(name);
    byName.set(name, value);
  }
  return [...byName].map(([name, value]) => ({ name, value }));
}

/** A command given as argv or as one shell-like string. */
export function normalizeCommand(value: unknown, source: string): Parsed<string[]> {
  if (value === undefined || value === null) {
    return { value: [] };
  }
  if (typeof value === 'string') {
    return splitCommandLine(value);
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    return { value: [...(value as string[])] };
  }
  return { error: `${source} must be a list of strings (argv) or one command line` };
}
