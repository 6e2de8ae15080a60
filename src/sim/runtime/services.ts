import type { FromRuntime, RuntimeWorkerData } from '../protocol.ts';
import type { PendingWorkTracker } from '../runtime-pending.ts';

/** What the invoke paths share inside one container: its spawn data, its pending-work tracker, its port to the simulator. */
export interface RuntimeServices {
  data: RuntimeWorkerData;
  tracker: PendingWorkTracker;
  post(message: FromRuntime): void;
}

export { DEFAULT_NODE_VERSION_MAJOR } from '../platform-defaults.ts';
