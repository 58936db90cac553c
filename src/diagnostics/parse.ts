/** Parses the diagnostics script's output (grammar in script.ts) into sections of named parts. */

export type SectionStatus = 'ok' | 'missing-tool' | 'unavailable';

export interface ScriptStatus {
  readonly status: SectionStatus;
  /** For missing-tool: the tool, then the explanation; for unavailable: why. */
  readonly detail: string;
}

export interface RawPart {
  readonly name: string;
  readonly lines: string[];
  truncated: boolean;
  exitCode?: number;
}

export interface RawSection {
  readonly id: string;
  readonly statuses: ScriptStatus[];
  readonly parts: RawPart[];
}

export interface ParsedScriptOutput {
  readonly sections: readonly RawSection[];
  /** The script reached its end marker (false: it was cut short). */
  readonly complete: boolean;
}

const STATUSES: readonly string[] = ['ok', 'missing-tool', 'unavailable'];

export function parseScriptOutput(stdout: string, boundary: string): ParsedScriptOutput {
  const sections: RawSection[] = [];
  let section: RawSection | undefined;
  let part: RawPart | undefined;
  let complete = false;
  const prefix = `${boundary} `;
  for (const rawLine of stdout.split('\n')) {
    if (rawLine.startsWith('|')) {
      // Content outside any part (none is printed so) is dropped rather than attributed to a guess.
      part?.lines.push(rawLine.slice(1).replace(/\r$/, ''));
      continue;
    }
    if (!rawLine.startsWith(prefix)) {
      continue;
    }
    const marker = rawLine.slice(prefix.length).replace(/\r$/, '');
    const space = marker.indexOf(' ');
    const verb = space < 0 ? marker : marker.slice(0, space);
    const rest = space < 0 ? '' : marker.slice(space + 1);
    switch (verb) {
      case 'section':
        section = { id: rest, statuses: [], parts: [] };
        sections.push(section);
        part = undefined;
        break;
      case 'part':
        if (section !== undefined) {
          part = { name: rest, lines: [], truncated: false };
          section.parts.push(part);
        }
        break;
      case 'status': {
        const s = rest.indexOf(' ');
        const status = s < 0 ? rest : rest.slice(0, s);
        if (section !== undefined && STATUSES.includes(status)) {
          section.statuses.push({ status: status as SectionStatus, detail: s < 0 ? '' : rest.slice(s + 1) });
        }
        break;
      }
      case 'exit':
        if (part !== undefined && /^\d+$/.test(rest)) part.exitCode = Number(rest);
        break;
      case 'truncated':
        if (part !== undefined) part.truncated = true;
        break;
      case 'end':
        complete = true;
        break;
    }
  }
  return { sections, complete };
}

export function findPart(section: RawSection | undefined, name: string): RawPart | undefined {
  return section?.parts.find((p) => p.name === name);
}

export function partsStartingWith(section: RawSection | undefined, prefix: string): RawPart[] {
  return section?.parts.filter((p) => p.name.startsWith(prefix)) ?? [];
}
