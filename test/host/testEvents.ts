/** What the suite inside the extension host posts to the runner, one event per test and one at the end. */
export interface TestEvent {
  readonly kind: 'pass' | 'fail' | 'pending' | 'end';
  readonly title?: string;
  readonly durationMs?: number;
  readonly error?: string;
  readonly passed?: number;
  readonly failed?: number;
  readonly pending?: number;
}
