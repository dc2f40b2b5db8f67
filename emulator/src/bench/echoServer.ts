/**
 * The far end of the IPC benchmark, run as its own process (the proxy is one too, and the
 * cross-process wake-up is most of a round trip). Modes:
 *   raw    — a plain Unix socket echoing length-prefixed frames (the floor);
 *   json   — node-ipc's default framing: JSON messages, the payload as base64;
 *   binary — node-ipc in rawBuffer mode carrying protocol.ts frames, as hermitkv does.
 * Prints "ready" once listening.
 */
import net from 'node:net';
import { IPCModule } from 'node-ipc';
import { FrameReader, WireStatus, decodeRequest, encodeResponse } from '../../../proxy/src/ipc/protocol.js';

const [mode, socketPath] = process.argv.slice(2);
if (!socketPath) throw new Error('usage: echoServer raw|json|binary SOCKET');

if (mode === 'raw') {
  const server = net.createServer((socket) => {
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      for (const body of reader.push(chunk)) {
        const head = Buffer.allocUnsafe(4);
        head.writeUInt32LE(body.length, 0);
        socket.write(Buffer.concat([head, body]));
      }
    });
  });
  server.listen(socketPath, () => console.log('ready'));
} else {
  const ipc = new IPCModule();
  Object.assign(ipc.config, { silent: true, rawBuffer: mode === 'binary', encoding: mode === 'binary' ? 'latin1' : 'utf8' });
  ipc.serve(socketPath, () => {
    if (mode === 'binary') {
      const readers = new Map<net.Socket, FrameReader>();
      ipc.server.on('data', (chunk: Buffer, socket: net.Socket) => {
        const reader = readers.get(socket) ?? new FrameReader();
        readers.set(socket, reader);
        for (const body of reader.push(chunk)) {
          const req = decodeRequest(body);
          socket.write(encodeResponse({ id: req.id, status: WireStatus.Ok, value: req.value }));
        }
      });
    } else {
      const server = ipc.server as unknown as {
        on(event: 'echo', handler: (data: { id: number; payload: string }, socket: net.Socket) => void): void;
        emit(socket: net.Socket, type: string, data: unknown): void;
      };
      server.on('echo', (data, socket) => server.emit(socket, 'echo', data));
    }
    console.log('ready');
  });
  ipc.server.start();
}
