import { randomUUID } from 'node:crypto';

// Module scope runs once per container (the INIT phase), so these values identify the container:
// a warm invocation sees the same id; a cold start (new container, fresh module instance) gets a new one.
const containerId = randomUUID();
const initAtMs = Date.now();
let invocations = 0;

/** What whoami reports. */
export interface ContainerIdentity {
  containerId: string;
  /** True only on this container's first invocation. */
  coldStart: boolean;
  /** 1-based count of invocations this container has served, this one included. */
  invocation: number;
  /** When this container's module scope ran (ISO 8601). */
  initAt: string;
  /** Milliseconds since `initAt`. */
  uptimeMs: number;
}

/** This container's id, without counting an invocation. */
export function currentContainerId(): string {
  return containerId;
}

/** Counts one invocation of this container and describes it. Call once per invocation. */
export function recordInvocation(nowMs: number = Date.now()): ContainerIdentity {
  invocations += 1;
  return {
    containerId,
    coldStart: invocations === 1,
    invocation: invocations,
    initAt: new Date(initAtMs).toISOString(),
    uptimeMs: Math.max(0, nowMs - initAtMs),
  };
}
