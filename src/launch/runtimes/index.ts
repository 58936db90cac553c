/** The runtime recipes by kind, and what to tell the user when the language's debugger extension is missing. */
import type { RuntimeKind } from '../processes';
import type { RuntimeRecipe } from './common';
import { goRecipe } from './go';
import { javaRecipe } from './java';
import { nodeRecipe } from './node';
import { pythonRecipe } from './python';

export const RECIPES: Readonly<Record<RuntimeKind, RuntimeRecipe>> = {
  node: nodeRecipe,
  java: javaRecipe,
  python: pythonRecipe,
  go: goRecipe,
};

export function recipeFor(runtime: RuntimeKind): RuntimeRecipe {
  return RECIPES[runtime];
}

export interface DebuggerExtension {
  readonly id: string;
  readonly name: string;
  /** Built into VS Code (js-debug): never missing. */
  readonly builtIn: boolean;
}

export function debuggerExtensionFor(runtime: RuntimeKind): DebuggerExtension {
  const recipe = RECIPES[runtime];
  return { id: recipe.extensionId, name: recipe.extensionName, builtIn: recipe.builtIn };
}

/**
 * Who speaks to the debug server: the language's own VS Code debugger when it is installed (or built in: it
 * knows the runtime best), else VS Code itself over DAP when the server speaks it (debugpy, dlv), else nobody.
 */
export type DebuggerRoute =
  | { readonly kind: 'extension'; readonly extension: DebuggerExtension }
  | { readonly kind: 'direct'; readonly extension: DebuggerExtension }
  | { readonly kind: 'missing'; readonly extension: DebuggerExtension; readonly message: string };

/** `isInstalled` answers for an extension id (vscode.extensions.getExtension in the UI). */
export function debuggerRoute(runtime: RuntimeKind, isInstalled: (extensionId: string) => boolean): DebuggerRoute {
  const extension = debuggerExtensionFor(runtime);
  if (extension.builtIn || isInstalled(extension.id)) return { kind: 'extension', extension };
  if (RECIPES[runtime].speaksDap) return { kind: 'direct', extension };
  return {
    kind: 'missing',
    extension,
    message: `Attaching to ${RECIPES[runtime].label} needs the "${extension.name}" extension (${extension.id}): install it, then start the debug session again.`,
  };
}

/** The message when the language's debugger is not installed and cannot be done without (undefined otherwise). */
export function missingDebuggerMessage(runtime: RuntimeKind, isInstalled: (extensionId: string) => boolean): string | undefined {
  const route = debuggerRoute(runtime, isInstalled);
  return route.kind === 'missing' ? route.message : undefined;
}

/** The debug console's first line: which way the session went, and through which forward. */
export function describeDebuggerRoute(runtime: RuntimeKind, route: DebuggerRoute, forward: string): string {
  const { label, debugType } = RECIPES[runtime];
  const server = runtime === 'python' ? 'debugpy' : runtime === 'go' ? 'dlv' : `the ${label} debug server`;
  return route.kind === 'direct'
    ? `Kubernetes Ephemeral Debug: the "${route.extension.name}" extension (${route.extension.id}) is not installed, so VS Code speaks DAP to ${server} directly through ${forward}.`
    : `Kubernetes Ephemeral Debug: ${label} session handed to ${route.extension.builtIn ? 'VS Code\'s built-in' : `the "${route.extension.name}" extension's`} debugger (type "${debugType}") through ${forward}.`;
}

export type { RuntimeRecipe } from './common';
