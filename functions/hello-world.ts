import type { Handler } from '@netlify/functions';

// Module scope runs once per container (the INIT phase), not once per request:
// every warm invocation of the same container sees, and bumps, the same `abc`.
let abc = 0;

/** The seed article's counter: 1, 2, 3 on warm invocations of one container. */
export const handler: Handler = async () => {
  abc += 1;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: `Hello, abc is ${abc}` }),
  };
};
