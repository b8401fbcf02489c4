// policy: what keepalived would configure in IPVS for one virtual service, as a pure function of
// its real servers' health (keepalived/check/ipwrapper.c: weigh_live_realservers,
// update_quorum_state, perform_svr_state, perform_quorum_state; ipvswrapper.c ipvs_cmd turns
// DEL_DEST of an inhibit_on_failure server into EDIT_DEST with weight 0).
//
// Quorum: sum = weights of alive servers. Gained when down and sum >= quorum + hysteresis; lost
// when up and (sum == 0 or sum < quorum - hysteresis); at start-up up iff sum >= quorum +
// hysteresis (set_quorum_states). With a sorry server, losing quorum removes every alive server
// (weight 0 if inhibit_on_failure) and adds the sorry server; gaining it reverses that. Without
// one, quorum only drives the quorum_up/quorum_down scripts.

export interface PolicyServer {
  readonly key: string;
  readonly alive: boolean;
  /** Effective weight (configured, or a MISC dynamic weight), clamped to 0..65535. */
  readonly weight: number;
  readonly inhibitOnFailure: boolean;
}

export interface PolicySorryServer {
  readonly key: string;
  readonly weight: number;
  /** sorry_server_inhibit: kept in IPVS with weight 0 while quorum is up. */
  readonly inhibit: boolean;
}

export interface PolicyInput {
  readonly servers: readonly PolicyServer[];
  /** quorum, default 1. */
  readonly quorum: number;
  /** hysteresis, default 0. */
  readonly hysteresis: number;
  readonly sorryServer?: PolicySorryServer;
}

export interface DesiredDest {
  readonly key: string;
  readonly weight: number;
  readonly sorry: boolean;
}

export interface PolicyOutput {
  readonly quorumUp: boolean;
  /** 'up'/'down' when quorum_up/quorum_down would run now (incl. "Starting with quorum down"). */
  readonly quorumChange: 'up' | 'down' | null;
  readonly weightSum: number;
  /** The real servers and sorry server that should be in IPVS, with their weights, in input order. */
  readonly dests: readonly DesiredDest[];
}

export const IPVS_WEIGHT_MAX = 65535;

/** real_weight(): clamp an effective weight into what IPVS accepts. */
export function realWeight(w: number): number {
  return w < 0 ? 0 : w > IPVS_WEIGHT_MAX ? IPVS_WEIGHT_MAX : Math.trunc(w);
}

/** weigh_live_realservers. */
export function weighLive(servers: readonly PolicyServer[]): number {
  let sum = 0;
  for (const s of servers) if (s.alive) sum += realWeight(s.weight);
  return sum;
}

/** The new quorum state; prevUp undefined = start-up (set_quorum_states + update_quorum_state(init)). */
export function nextQuorum(
  sum: number,
  quorum: number,
  hysteresis: number,
  prevUp: boolean | undefined,
  hasSorry: boolean,
): { up: boolean; change: 'up' | 'down' | null } {
  if (prevUp === undefined) {
    const up = sum >= quorum + hysteresis;
    return { up, change: !up && hasSorry ? 'down' : null };
  }
  if (!prevUp && sum >= quorum + hysteresis) return { up: true, change: 'up' };
  if (prevUp && (sum === 0 || sum < quorum - hysteresis)) return { up: false, change: 'down' };
  return { up: prevUp, change: null };
}

export function computeDesired(input: PolicyInput, prevQuorumUp: boolean | undefined): PolicyOutput {
  const sum = weighLive(input.servers);
  const sorry = input.sorryServer;
  const q = nextQuorum(sum, input.quorum, input.hysteresis, prevQuorumUp, sorry !== undefined);
  const sorryActive = sorry !== undefined && !q.up;
  const dests: DesiredDest[] = [];
  for (const s of input.servers) {
    // In the pool: alive, and not displaced by an active sorry server.
    if (s.alive && !sorryActive) dests.push({ key: s.key, weight: realWeight(s.weight), sorry: false });
    else if (s.inhibitOnFailure) dests.push({ key: s.key, weight: 0, sorry: false });
  }
  if (sorry !== undefined) {
    if (sorryActive) dests.push({ key: sorry.key, weight: realWeight(sorry.weight), sorry: true });
    else if (sorry.inhibit) dests.push({ key: sorry.key, weight: 0, sorry: true });
  }
  return { quorumUp: q.up, quorumChange: q.change, weightSum: sum, dests };
}
