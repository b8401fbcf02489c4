// Client source ports for the simulator: each client walks Linux's default ephemeral range
// (net.ipv4.ip_local_port_range = 32768 60999) from its own starting point, so a busy client
// reuses a port only after 28,232 connections, as a real one would. No kernel counterpart.

export const PORT_MIN = 32768;
export const PORT_MAX = 60999;

export class ClientPorts {
  /** Next port per client index; 0 = not started. */
  private ports = new Uint16Array(1024);

  next(client: number): number {
    if (client >= this.ports.length) {
      const g = new Uint16Array(Math.max(client + 1, this.ports.length * 2));
      g.set(this.ports);
      this.ports = g;
    }
    let p = this.ports[client]!;
    if (p === 0) p = PORT_MIN + ((Math.imul(client + 1, 40503) >>> 0) % (PORT_MAX - PORT_MIN + 1));
    this.ports[client] = p >= PORT_MAX ? PORT_MIN : p + 1;
    return p;
  }
}
