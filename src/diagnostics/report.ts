/** The Diagnostics report: script output + pod facts → sections → Markdown. Pure. */
import { escapeInline, codeFence } from './markdown';
import { redactCommandLine } from './redact';
import { parseScriptOutput, type RawSection, type SectionStatus } from './parse';
import { SCRIPT_SECTION_IDS, type ScriptSectionId } from './script';
import {
  processCommands, renderCgroup, renderDisk, renderDns, renderEnvironment, renderFds, renderLogs, renderMounts, renderNetwork,
  renderProcesses, renderRecentFiles, renderRuntime, renderSockets, renderSystem, renderTarget,
  type PodFacts, type RenderContext, type RenderedSection,
} from './sections';

export type { SectionStatus } from './parse';
export type { PodFacts } from './sections';

export interface ReportSection {
  readonly id: string;
  readonly title: string;
  readonly status: SectionStatus;
  /** Preformatted text, shown in a code block. */
  readonly body: string;
  /** Why a section is partial or empty (missing tool, permission), or how to read it. */
  readonly note?: string;
}

export interface DiagnosticsTarget {
  readonly namespace: string;
  readonly pod: string;
  readonly debugContainer: string;
  readonly targetContainer?: string;
  readonly pid: number;
  readonly cmdline: string;
  /** How the PID was chosen. */
  readonly how: string;
}

export interface DiagnosticsReport {
  readonly target: DiagnosticsTarget;
  /** ISO 8601. */
  readonly generatedAt: string;
  readonly sections: readonly ReportSection[];
  /** False when the script was cut short (sections after that point are unavailable). */
  readonly complete: boolean;
  readonly markdown: string;
}

export interface ExtraSection {
  readonly id: string;
  readonly title: string;
  readonly status: SectionStatus;
  readonly body: string;
  readonly note?: string;
}

export interface BuildReportInput {
  readonly stdout: string;
  readonly boundary: string;
  readonly target: DiagnosticsTarget;
  readonly pod: PodFacts;
  readonly showEnvValues: boolean;
  readonly generatedAt: Date;
  /** Appended after the script's sections: the container log, user scripts. */
  readonly extraSections?: readonly ExtraSection[];
  /** Lines per list in rendered sections; default 200. */
  readonly maxLines?: number;
}

export const SECTION_TITLES: Readonly<Record<ScriptSectionId, string>> = {
  system: 'System',
  runtime: 'Container runtime',
  target: 'Target process',
  processes: 'Processes',
  network: 'Network interfaces and routes',
  sockets: 'Sockets',
  dns: 'DNS',
  mounts: 'Mounts',
  disk: 'Disk usage',
  cgroup: 'cgroup limits and usage',
  fds: 'Open file descriptors',
  'recent-files': 'Recently changed files',
  logs: 'Log files',
  environment: 'Environment variables',
};

function renderSection(id: ScriptSectionId, raw: RawSection, input: BuildReportInput, ctx: RenderContext): RenderedSection {
  switch (id) {
    case 'system': return renderSystem(raw);
    case 'runtime': return renderRuntime(raw, input.pod);
    case 'target': return renderTarget(raw, input.target.pid, input.target.how);
    case 'processes': return renderProcesses(raw, ctx);
    case 'network': return renderNetwork(raw);
    case 'sockets': return renderSockets(raw, ctx);
    case 'dns': return renderDns(raw);
    case 'mounts': return renderMounts(raw);
    case 'disk': return renderDisk(raw);
    case 'cgroup': return renderCgroup(raw);
    case 'fds': return renderFds(raw);
    case 'recent-files': return renderRecentFiles(raw);
    case 'logs': return renderLogs(raw);
    case 'environment': return renderEnvironment(raw, ctx);
  }
}

export function buildDiagnosticsReport(input: BuildReportInput): DiagnosticsReport {
  const parsed = parseScriptOutput(input.stdout, input.boundary);
  const byId = new Map(parsed.sections.map((s) => [s.id, s]));
  const ctx: RenderContext = {
    targetPid: input.target.pid,
    showEnvValues: input.showEnvValues,
    commands: processCommands(byId.get('processes')),
    maxLines: input.maxLines ?? 200,
  };
  const sections: ReportSection[] = SCRIPT_SECTION_IDS.map((id) => {
    const raw = byId.get(id);
    const title = SECTION_TITLES[id];
    if (raw === undefined) {
      return { id, title, status: 'unavailable' as const, body: '', note: 'the diagnostics script stopped before this section (connection lost or timed out)' };
    }
    const rendered = renderSection(id, raw, input, ctx);
    return { id, title, ...rendered };
  });
  sections.push(...(input.extraSections ?? []));
  const base = { target: input.target, generatedAt: input.generatedAt.toISOString(), sections, complete: parsed.complete };
  return { ...base, markdown: renderMarkdown(base) };
}

const STATUS_TEXT: Readonly<Record<SectionStatus, string>> = { ok: 'ok', 'missing-tool': 'missing tool', unavailable: 'unavailable' };

export function renderMarkdown(report: Omit<DiagnosticsReport, 'markdown'>): string {
  const t = report.target;
  const out: string[] = [
    `# Diagnostics: ${escapeInline(`${t.namespace}/${t.pod}`)}`,
    '',
    `- generated: ${escapeInline(report.generatedAt)}`,
    `- target container: ${escapeInline(t.targetContainer ?? '(none)')}, PID ${t.pid} (${escapeInline(t.how)})`,
    `- command: ${escapeInline(redactCommandLine(t.cmdline))}`,
    `- collected from debug container ${escapeInline(t.debugContainer)}`,
    ...(report.complete ? [] : ['- **incomplete**: the diagnostics script did not finish']),
    '',
    '| Section | Status | Note |',
    '| --- | --- | --- |',
    ...report.sections.map((s) => `| ${escapeInline(s.title)} | ${STATUS_TEXT[s.status]} | ${escapeInline(s.note ?? '')} |`),
  ];
  for (const s of report.sections) {
    out.push('', `## ${escapeInline(s.title)}`, '', `Status: **${STATUS_TEXT[s.status]}**${s.note !== undefined ? ` — ${escapeInline(s.note)}` : ''}`);
    if (s.body.trim() !== '') out.push('', codeFence(s.body));
  }
  return `${out.join('\n')}\n`;
}

/** A file name for saving the report, e.g. diagnostics-demo-node-app-20250101T120000Z.md. */
export function reportFileName(report: Pick<DiagnosticsReport, 'target' | 'generatedAt'>): string {
  const stamp = report.generatedAt.replace(/[-:]/g, '').replace(/\.\d+/, '');
  return `diagnostics-${report.target.namespace}-${report.target.pod}-${stamp}.md`.replace(/[^A-Za-z0-9._-]/g, '_');
}
