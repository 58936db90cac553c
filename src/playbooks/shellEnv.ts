/**
 * How a step runs: `sh -c "$prelude$step" playbook-step NAME=VALUE…`. The values (the target's PID, names from the
 * pod, inputs whose defaults come from the pod's spec) are positional arguments, which the prelude
 * (steps/prelude.sh) exports: they never become script text, so no byte of them is parsed by the shell.
 */
import { STEP_PRELUDE } from './steps';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The exec argv of a step with its variables; throws on a name sh would not accept. */
export function stepCommand(script: string, variables: Readonly<Record<string, string>>): string[] {
  const assignments = Object.entries(variables).map(([name, value]) => {
    if (!NAME.test(name)) throw new Error(`"${name}" is not a shell variable name`);
    // NUL cannot be passed in an argv string; everything else can.
    return `${name}=${value.replace(/\0/g, '')}`;
  });
  return ['sh', '-c', `${STEP_PRELUDE}${script}`, 'playbook-step', ...assignments];
}
