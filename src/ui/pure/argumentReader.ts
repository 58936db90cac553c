/**
 * Reading a command's arguments object (keybindings, tests, other extensions): typed getters that collect one
 * problem per wrong value, so the command can refuse with every problem in one line.
 */
export interface ArgumentReader {
  readonly args: Readonly<Record<string, unknown>>;
  readonly problems: string[];
  /** A non-empty string, else undefined (a non-string is a problem). */
  text(key: string): string | undefined;
  /** A boolean, else undefined (a non-boolean is a problem). */
  flag(key: string): boolean | undefined;
}

/** undefined when `value` is not an object (the caller says what it expected). */
export function readArguments(value: unknown): ArgumentReader | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const args = value as Record<string, unknown>;
  const problems: string[] = [];
  return {
    args,
    problems,
    text: (key) => {
      const v = args[key];
      if (v === undefined || v === null || v === '') return undefined;
      if (typeof v !== 'string') problems.push(`"${key}" must be a string`);
      return typeof v === 'string' ? v : undefined;
    },
    flag: (key) => {
      const v = args[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'boolean') problems.push(`"${key}" must be true or false`);
      return typeof v === 'boolean' ? v : undefined;
    },
  };
}
