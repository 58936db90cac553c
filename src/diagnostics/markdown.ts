/** Markdown helpers whose output no collected content can break out of. */

/** A fenced code block whose fence is longer than any backtick run in `text`. */
export function codeFence(text: string, info = 'text'): string {
  const longestRun = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}${info}\n${text.replace(/\n+$/, '')}\n${fence}`;
}

/** Inline text (titles, notes, table cells): markdown and HTML syntax escaped, one line. */
export function escapeInline(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()<>#+!|~&-]/g, (c) => `\\${c}`);
}
