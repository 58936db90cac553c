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
}
