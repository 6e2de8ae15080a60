import type { FromRuntime, RuntimeWorkerData } from '../protocol.ts';
import type { PendingWorkTracker } from '../runtime-pending.ts';

/** What the invoke paths share inside one container: its spawn data, its pending-work tracker, its port to the simulator. */
export interface RuntimeServices {
  data: RuntimeWorkerData;
  tracker: PendingWorkTracker;
  post(message: FromRuntime): void;
  /** The container's environment as set at spawn, without the warnings the function's reads get (runtime-env.ts). */
  env: NodeJS.ProcessEnv;
}

export { DEFAULT_NODE_VERSION_MAJOR } from '../platform-defaults.ts';
