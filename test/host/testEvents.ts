/**
 * What the suite inside the extension host posts to the runner, one event per test and one at the end; a `note` is
 * a figure a test measured and reports (its title), printed as it comes.
 */
export interface TestEvent {
  readonly kind: 'pass' | 'fail' | 'pending' | 'end' | 'note';
  readonly title?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly passed?: number;
  readonly failed?: number;
  readonly pending?: number;
}
