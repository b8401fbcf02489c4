// Generated `ipvsadm -S` lines for reload tests: many services and real servers in the exact
// form `tsvsadm -Sn` prints them, so a config and the running table compare line by line.

/** n services 10.0.x.y:80 from `first`, each with `dests` real servers; weights from `w`. */
export function serviceRules(
  first: number,
  n: number,
  dests: number,
  sched: string,
  w: (i: number, j: number) => number,
): string[] {
  const out: string[] = [];
  for (let i = first; i < first + n; i++) {
    const vip = `10.0.${i >> 8}.${i & 255}:80`;
    out.push(`-A -t ${vip} -s ${sched}`);
    for (let j = 1; j <= dests; j++) out.push(`-a -t ${vip} -r 10.1.${i & 255}.${j}:8080 -m -w ${w(i, j)}`);
  }
  return out;
}
