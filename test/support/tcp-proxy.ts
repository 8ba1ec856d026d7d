import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/**
 * A TCP proxy on 127.0.0.1 in front of a server (the test PostgreSQL), for one client under test.
 * `blackhole()` stops forwarding in both directions while keeping every socket open: a network
 * partition that drops packets, where no error ever arrives and only the client's own timeouts
 * can tell. `close()` destroys every connection and stops listening.
 * @example const proxy = await TcpProxy.open(new URL(postgresUrl)); openPostgres({ connectionString: proxy.url });
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private dropping = false;

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {}

  static async open(target: URL): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, target);
    server.on("connection", (client) => proxy.relay(client));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  /** The target's URL with this proxy's address in place of the server's. */
  get url(): string {
    const relayed = new URL(this.target.href);
    relayed.hostname = "127.0.0.1";
    relayed.port = String((this.server.address() as { port: number }).port);
    return relayed.href;
  }

  /** From now on nothing is forwarded, on open connections or new ones; nothing is closed. */
  blackhole(): void {
    this.dropping = true;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private relay(client: Socket): void {
    const upstream = tcpConnect(Number(this.target.port || 5432), this.target.hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on("close", () => {
        this.sockets.delete(from);
        if (!this.dropping) to.destroy();
      });
      from.on("error", () => undefined);
      from.on("data", (chunk: Buffer) => {
        if (!this.dropping) to.write(chunk);
      });
    }
  }
}
