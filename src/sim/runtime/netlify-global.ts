/**
 * Inside a container: the `Netlify` global v2 functions read (`Netlify.env`, `Netlify.context`) and the
 * request-context store behind `getContext()` from @netlify/functions.
 *
 * Production sets both from one AsyncLocalStorage the v2 bootstrap runs the handler in
 * (@netlify/serverless-functions-api: `ce.run(requestContext, () => handler(req, context))`), so
 * `Netlify.context` is the current invocation's context inside the handler and anything it awaits, and
 * `null` at module scope. @netlify/functions 6 finds that store at
 * `Symbol.for('@netlify/functions/request-context-store')` (its `context_store.ts`), so installing the
 * store there makes its `getContext()` work as in production.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const STORE_KEY = Symbol.for('@netlify/functions/request-context-store');

/** What the store holds per invocation (the shape @netlify/functions reads: `store.context`). */
interface RequestContextStore {
  context: object;
}

function contextStore(): AsyncLocalStorage<RequestContextStore> {
  const existing: unknown = Reflect.get(globalThis, STORE_KEY);
  if (existing instanceof AsyncLocalStorage) return existing as AsyncLocalStorage<RequestContextStore>;
  const store = new AsyncLocalStorage<RequestContextStore>();
  Reflect.set(globalThis, STORE_KEY, store);
  return store;
}

/** Installs `globalThis.Netlify` (before the function's module is evaluated: its top level may read `Netlify.env`). */
export function installNetlifyGlobal(): void {
  const store = contextStore();
  const env = {
    get: (key: string): string | undefined => process.env[key],
    set: (key: string, value: string): void => {
      process.env[key] = value;
    },
    delete: (key: string): void => {
      delete process.env[key];
    },
    has: (key: string): boolean => key in process.env,
    toObject: (): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const [key, value] of Object.entries(process.env)) if (value !== undefined) out[key] = value;
      return out;
    },
  };
  const netlify = { env };
  Object.defineProperty(netlify, 'context', { enumerable: true, get: () => store.getStore()?.context ?? null });
  Reflect.set(globalThis, 'Netlify', netlify);
}

/** Runs `fn` with `context` as the current invocation's context (`Netlify.context`, `getContext()`). */
export function runWithContext<T>(context: object, fn: () => T): T {
  return contextStore().run({ context }, fn);
}
