// A bench's view into a child Node process started with --inspect=127.0.0.1:<port>: a full garbage
// collection, then the JS heap in use. Memory per socket is then read after a collection rather than
// wherever the collector happened to be (RSS alone varied by tens of KiB per socket between runs).

interface CdpReply {
  id: number;
  result?: { usedSize?: number };
  error?: { message: string };
}

export class Inspector {
  readonly #ws: WebSocket;
  #next = 1;
  readonly #waiting = new Map<number, (r: CdpReply) => void>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.onmessage = (ev: MessageEvent) => {
      const reply = JSON.parse(String(ev.data)) as CdpReply;
      this.#waiting.get(reply.id)?.(reply);
      this.#waiting.delete(reply.id);
    };
  }

  static async connect(port: number): Promise<Inspector> {
    const [target] = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{
      webSocketDebuggerUrl: string;
    }>;
    if (!target) throw new Error('no inspector target');
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error('inspector connection failed'));
    });
    return new Inspector(ws);
  }

  async #call(method: string): Promise<CdpReply> {
    const id = this.#next++;
    const reply = new Promise<CdpReply>((resolve) => this.#waiting.set(id, resolve));
    this.#ws.send(JSON.stringify({ id, method }));
    const r = await reply;
    if (r.error) throw new Error(`${method}: ${r.error.message}`);
    return r;
  }

  /** Collects garbage (twice: finalizers run between) and returns the JS heap in use, in KiB. */
  async heapAfterGcKb(): Promise<number> {
    await this.#call('HeapProfiler.enable');
    await this.#call('HeapProfiler.collectGarbage');
    await this.#call('HeapProfiler.collectGarbage');
    const { result } = await this.#call('Runtime.getHeapUsage');
    await this.#call('HeapProfiler.disable');
    return (result?.usedSize ?? 0) / 1024;
  }

  close(): void {
    this.#ws.close();
  }
}
