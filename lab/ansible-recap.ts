// ansible-playbook's PLAY RECAP: the per-host counts the Ansible lab and its test judge a run by
// (converged: failed=0 and unreachable=0; idempotent: changed=0 on the second run).

/** One host's line of the PLAY RECAP. */
export interface Recap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
}

export interface PlaybookRun {
  status: number;
  output: string;
  recap: Map<string, Recap>;
}

/** `lvs1 : ok=20 changed=0 unreachable=0 failed=0 ...` lines after PLAY RECAP. */
export function parseRecap(output: string): Map<string, Recap> {
  const recap = new Map<string, Recap>();
  const at = output.lastIndexOf('PLAY RECAP');
  if (at < 0) return recap;
  for (const line of output.slice(at).split('\n')) {
    const m = /^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/.exec(line);
    if (m !== null) recap.set(m[1]!, { ok: +m[2]!, changed: +m[3]!, unreachable: +m[4]!, failed: +m[5]! });
  }
  return recap;
}

/** The recap block as ansible printed it. */
export function recapText(output: string): string {
  const at = output.lastIndexOf('PLAY RECAP');
  return at < 0 ? '(no PLAY RECAP: ansible-playbook did not finish)' : output.slice(at).trimEnd();
}

/** Hosts whose recap line says failed or unreachable, or that have none. */
export function unconverged(run: PlaybookRun): string[] {
  return ['lvs1', 'web1', 'web2'].filter((h) => {
    const r = run.recap.get(h);
    return r === undefined || r.failed > 0 || r.unreachable > 0;
  });
}
