// One line of `tsvsadm -Ln --stats --exact`: a service's or a real server's Conns, InPkts and
// OutPkts, found by its address as the listing prints it (192.168.88.5 or [2001:db8:88::5]).

export interface StatsLine {
  conns: number;
  inPkts: number;
  outPkts: number;
}

/** The counters of `addr`:port in listing; throws, showing the listing, when no line has them. */
export function statsOf(listing: string, addr: string, port = 80): StatsLine {
  const quoted = addr.replace(/[.[\]]/g, '\\$&');
  const m = new RegExp(`${quoted}:${port}\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s`).exec(listing);
  if (m === null) throw new Error(`no stats line for ${addr}:${port} in\n${listing}`);
  return { conns: Number(m[1]), inPkts: Number(m[2]), outPkts: Number(m[3]) };
}
