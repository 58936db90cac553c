/**
 * A running debug container targeting demo/node-app's `app`, which the target filesystem reads through: the
 * one an earlier test left (the debugger attach adds busybox:1.36), else one added without questions. Adding
 * another with an image a running one already has would ask to reattach, which the tests cannot answer.
 */
import * as k8s from '@kubernetes/client-node';
import * as vscode from 'vscode';
import { kubeConfig } from './support';

export async function ensureNodeAppDebugContainer(): Promise<string> {
  const pod = await kubeConfig().makeApiClient(k8s.CoreV1Api).readNamespacedPod({ namespace: 'demo', name: 'node-app' });
  const running = new Set((pod.status?.ephemeralContainerStatuses ?? []).filter((s) => s.state?.running).map((s) => s.name));
  const existing = (pod.spec?.ephemeralContainers ?? []).find((c) => c.targetContainerName === 'app' && running.has(c.name));
  if (existing !== undefined) return existing.name;
  const added = await vscode.commands.executeCommand<{ container: string } | undefined>('ephemeralDebug.attach', { namespace: 'demo', pod: 'node-app', image: 'busybox:1.36', target: 'app', interactive: false });
  if (added === undefined) throw new Error('ephemeralDebug.attach returned nothing (see the extension log in the runner output)');
  return added.container;
}
