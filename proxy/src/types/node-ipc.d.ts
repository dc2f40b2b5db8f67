/**
 * The small part of node-ipc 12 that hermitkv uses (the package ships no types). Only the
 * Unix-socket server and client in rawBuffer mode are declared; see NOTES-v86.md for why the
 * encoding must be latin1.
 */
declare module 'node-ipc' {
  import type { Socket, Server as NetServer } from 'node:net';

  export interface IpcConfig {
    appspace: string;
    socketRoot: string;
    id: string;
    encoding: BufferEncoding;
    rawBuffer: boolean;
    silent: boolean;
    unlink: boolean;
    retry: number;
    maxRetries: number | boolean;
    stopRetrying: boolean;
    maxConnections: number;
  }

  /** The pub/sub server object node-ipc creates in serve(). */
  export interface IpcSocketServer {
    server: NetServer | false;
    sockets: Socket[];
    start(): void;
    stop(): void;
    on(event: 'start', handler: () => void): void;
    on(event: 'connect', handler: (socket: Socket) => void): void;
    on(event: 'data', handler: (data: Buffer, socket: Socket) => void): void;
    on(event: 'error', handler: (err: Error) => void): void;
    on(event: 'socket.disconnected', handler: (socket: Socket, id: unknown) => void): void;
    emit(socket: Socket, data: string | Buffer): void;
  }

  /** A client connection made by connectTo(). */
  export interface IpcClient {
    socket: Socket;
    on(event: 'connect' | 'disconnect' | 'destroy', handler: () => void): void;
    on(event: 'data', handler: (data: Buffer) => void): void;
    on(event: 'error', handler: (err: Error) => void): void;
    emit(data: string | Buffer): void;
  }

  export class IPC {
    config: IpcConfig;
    of: Record<string, IpcClient>;
    server: IpcSocketServer;
    serve(path: string, callback?: () => void): void;
    connectTo(id: string, path: string, callback?: () => void): void;
    disconnect(id: string): void;
  }

  export class IPCModule extends IPC {
    IPC: typeof IPC;
  }

  const singleton: IPCModule;
  export default singleton;
}
