/** A playbook run as a Markdown transcript (kept as an artifact of the session), and artifact kinds by name. */
import type { ArtifactKind } from '../session';
import type { PlaybookRun } from './runner';
import type { Playbook } from './types';

/** Longest run of backticks in `text`, so a fence can always be longer. */
function fence(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

export function renderPlaybookTranscript(
  playbook: Playbook,
  target: { readonly namespace: string; readonly pod: string; readonly inputs: Readonly<Record<string, string>> },
  run: PlaybookRun,
  at: Date,
): string {
  const lines = [
    `# ${playbook.title}`,
    '',
    `- Pod: \`${target.namespace}/${target.pod}\``,
    `- Debug container: \`${run.containerName}\` (image \`${playbook.image}\`, profile \`${playbook.profile}\`)`,
    `- Target process: ${run.targetPid !== undefined ? `PID ${run.targetPid}` : 'not found'} — ${run.targetNote}`,
    `- Run at: ${at.toISOString()}`,
    `- Result: ${run.ok ? 'every required step succeeded' : 'a required step failed'}`,
  ];
  const inputNames = Object.keys(target.inputs);
  // Input values may name hosts or credentials the user typed: names only.
  if (inputNames.length > 0) lines.push(`- Inputs: ${inputNames.map((n) => `\`${n}\``).join(', ')}`);
  for (const [index, step] of run.steps.entries()) {
    lines.push('', `## ${index + 1}. ${step.title}`, '', `Status: **${step.status}**${step.exitCode !== undefined ? ` (exit ${step.exitCode})` : ''}${step.truncated ? ', output truncated' : ''}`);
    for (const artifact of step.artifacts) lines.push('', `Artifact: \`${artifact.name}\` (${artifact.size} bytes)`);
    if (step.output.trim() !== '') {
      const f = fence(step.output);
      lines.push('', f, step.output.replace(/\s+$/, ''), f);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function artifactKindFor(playbook: Playbook, fileName: string): ArtifactKind {
  if (/\.heapsnapshot$|heap/i.test(fileName)) return 'heap-dump';
  if (/thread|stack|jstack/i.test(fileName) || /threads|stack/i.test(playbook.id)) return 'thread-dump';
  return 'other';
}
