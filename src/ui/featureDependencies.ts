/** What the feature commands (copy, cleanup, diagnostics, access, playbooks) are given by extension.ts. */
import type { Logger } from '../cluster/clusterApi';
import type { ClusterExplorerBridge } from './clusterExplorerBridge';
import type { ClusterTreeProvider } from './clusterTree';
import type { Clusters } from './clusters';
import type { DebugSessions } from './debugSessions';
import type { ErrorPresenter } from './errorPresenter';
import type { SettingsReader } from './settings';
import type { Terminals } from './terminals';
import type { TimeLimits } from './timeLimits';
import type { WorkloadPods } from './workloadTarget';

export interface FeatureDependencies {
  readonly clusters: Clusters;
  readonly settings: SettingsReader;
  readonly errors: ErrorPresenter;
  readonly terminals: Terminals;
  readonly sessions: DebugSessions;
  readonly timeLimits: TimeLimits;
  readonly tree: ClusterTreeProvider;
  readonly clusterExplorer: ClusterExplorerBridge;
  readonly logger: Logger & { show(): void };
  /** Resolves a workload node to one of its ready pods (pod commands on workloads). */
  readonly workloadPods: WorkloadPods;
}
