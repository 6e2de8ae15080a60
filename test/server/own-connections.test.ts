import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { isOwnConnection } from '../../src/server/own-connections.ts';
import { rawFromAnotherProcess } from './helpers.ts';

describe('isOwnConnection', () => {
  it('tells a connection from this process (a container calling its own site) from one made by another process', async () => {
    const verdicts: boolean[] = [];
    const accepted: Array<(socket: Socket) => void> = [];
    const server = createServer((socket) => {
      verdicts.push(isOwnConnection(socket));
      socket.on('error', () => undefined);
      socket.end('bye');
      accepted.shift()?.(socket);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    onTestFinished(() => void server.close());
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const own = new Promise<Socket>((resolve) => accepted.push(resolve));
    const { connect } = await import('node:net');
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    client.on('error', () => undefined);
    await own;
    client.destroy();

    const outside = new Promise<Socket>((resolve) => accepted.push(resolve));
    const other = rawFromAnotherProcess(url, 'hello');
    await outside;
    await other.answer;
    expect(verdicts).toEqual([true, false]);
  });
});
