// ansible-demo: `npm run lab -- ansible`, the tutorial's Ansible deployment run for real
// (ansible-lab.ts): the bare lab, sshd per host, site.yml from the client, the demo's traffic
// through the director it deployed, and a second run that must change nothing. Everything is
// removed again at the end, on failure and on Ctrl-C.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { AnsibleLab } from './ansible-lab.ts';
import { recapText, unconverged } from './ansible-recap.ts';
import { tearDownLeftover } from './dr-demo.ts';
import { LabDaemon, ROOT, say } from './lab-daemon.ts';
import { VIP } from './topology.ts';
import { drive, ratioText } from './traffic.ts';

/** Why the ansible lab cannot run here (ansible-core or sshd missing), or null. */
export function ansibleUnavailable(): string | null {
  const has = (c: string): boolean => spawnSync('sh', ['-c', `command -v ${c}`], { stdio: 'ignore' }).status === 0;
  if (!has('ansible-playbook')) return 'ansible-playbook is missing (Debian: apt-get install ansible-core)';
  if (!has('/usr/sbin/sshd')) return '/usr/sbin/sshd is missing (Debian: apt-get install openssh-server)';
  if (!has('ssh-keygen')) return 'ssh-keygen is missing (Debian: apt-get install openssh-client)';
  return null;
}

/**
 * ansible-core and sshd are installed on first use, for this lab only (ensure-setup's `ansible`
 * mode); null when they are there, else why not.
 */
export function ensureAnsible(): string | null {
  if (ansibleUnavailable() === null) return null;
  spawnSync(process.execPath, [join(ROOT, 'src', 'bin', 'ensure-setup.mjs'), 'ansible'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 600_000,
  });
  const why = ansibleUnavailable();
  return why === null ? null : `${why}, and installing it failed`;
}

export async function ansibleDemo(prefix: string): Promise<void> {
  const why = ensureAnsible();
  if (why !== null) throw new Error(why);
  const lab = new AnsibleLab(prefix);
  const abort = (): void => {
    lab.down();
    process.exit(130);
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    await run(lab);
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
    lab.down();
    say(`\nLab down: namespaces, sshd, tsvsd, nginx and ${lab.rootDir} removed.`);
  }
}

async function run(lab: AnsibleLab): Promise<void> {
  say('== tsvs: the tutorial deployed with Ansible ==\n');
  tearDownLeftover(lab.prefix, new LabDaemon(lab.topo));
  if (lab.anyLeft()) {
    say('An Ansible lab with these names exists: tearing it down first.');
    lab.down();
  }
  lab.up();
  say(`Lab up without tsvsd or nginx: ${lab.namespaces.join(', ')}.`);
  say('Management network 10.254.0.0/24 (inside the lab only): sshd on lvs1 .5, web1 .100, web2 .200.');
  say(`Each host's files live under ${lab.rootDir}/<host> (tsvs_root, web_root).`);

  say('\n$ npm pack');
  const tarball = lab.pack();
  say(tarball);

  say(
    `\n$ ansible-playbook -i inventory.ini -i lab.ini -f 3 -e tsvs_tarball=${tarball} site.yml   (in ${lab.nsOf('client')})`,
  );
  const first = await lab.playbook(tarball, (s) => process.stdout.write(s));
  const bad = unconverged(first);
  if (first.status !== 0 || bad.length > 0)
    throw new Error(`the playbook failed (exit ${first.status}; hosts ${bad.join(', ') || 'none'} failed)`);

  say(`\n300 requests from the client to http://${VIP}/ through the director Ansible deployed:`);
  say(`  ${ratioText(drive(lab.topo.client, 300))}`);
  say('  wrr with weights 1 and 2 from group_vars/directors.yml: web2 gets twice the connections.');
  say(`$ tsvsadm -Ln   (the installed tsvsadm, in ${lab.nsOf('lvs1')})`);
  process.stdout.write(lab.tsvsadm(['-Ln']));

  say('\nThe same playbook again: a converged deployment changes nothing.');
  const second = await lab.playbook(tarball);
  say(recapText(second.output));
  const changed = [...second.recap].filter(([, r]) => r.changed > 0 || r.failed > 0).map(([h]) => h);
  if (second.status !== 0 || changed.length > 0 || second.recap.size === 0)
    throw new Error(`the second run was not idempotent (hosts with changes or failures: ${changed.join(', ')})`);
  say('changed=0 on every host.');
}
