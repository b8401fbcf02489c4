// The tutorial's Ansible deployment (deploy/ansible) against the NAT lab (lab/ansible-lab.ts):
// site.yml runs over ssh from the client namespace, converges on every host, the director it
// deployed distributes the client's requests by the inventory's weights (wrr 1:2), a second run
// changes nothing, and the teardown leaves no namespace, sshd, tsvsd or nginx behind.
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AnsibleLab } from '../../lab/ansible-lab.ts';
import { recapText, unconverged } from '../../lab/ansible-recap.ts';
import { ensureAnsible } from '../../lab/ansible-demo.ts';
import { isAlive, listNetns, netnsUnavailable, uniqueSuffix } from '../../lab/netns.ts';
import { drive } from '../../lab/traffic.ts';

/** The pids the deployment recorded (tsvsd, nginx, sshd), read before the teardown. */
function recordedPids(lab: AnsibleLab): number[] {
  const files = [
    join(lab.hostRoot('lvs1'), 'run', 'tsvs', 'tsvsd.pid'),
    join(lab.hostRoot('web1'), 'run', 'tsvs-web', 'nginx.pid'),
    join(lab.hostRoot('web2'), 'run', 'tsvs-web', 'nginx.pid'),
    ...['lvs1', 'web1', 'web2'].map((h) => join(lab.runDir, `sshd_${h}.pid`)),
  ];
  return files.filter((f) => existsSync(f)).map((f) => Number(readFileSync(f, 'utf8').trim()));
}

const why = netnsUnavailable() ?? ensureAnsible();
if (why !== null) {
  t.plan(0, `skipped: ${why}`);
} else {
  t.test(
    'site.yml deploys the tutorial, wrr 1:2 through the deployed director, a second run changes nothing',
    async (t) => {
      const lab = new AnsibleLab(`ta${uniqueSuffix()}`);
      let pids: number[];
      try {
        lab.up();
        const tarball = lab.pack();
        const first = await lab.playbook(tarball, undefined, 300_000);
        t.equal(first.status, 0, 'the first run exits 0');
        t.same(unconverged(first), [], 'every host converges (failed=0)', { recap: recapText(first.output) });
        t.equal(
          readFileSync(join(lab.hostRoot('lvs1'), 'etc', 'sysctl.d', '90-tsvs.conf'), 'utf8').includes(
            'net.ipv4.ip_forward = 0',
          ),
          true,
          'the persistent sysctl file is under the host root',
        );

        const counts = drive(lab.topo.client, 30);
        t.same(Object.fromEntries(counts), { web1: 10, web2: 20 }, '30 requests: wrr gives web1 10 and web2 20');
        t.match(
          lab.tsvsadm(['-Ln']),
          /192\.168\.99\.200:80\s+Masq\s+2/,
          'the installed tsvsadm lists web2 at weight 2',
        );

        const second = await lab.playbook(tarball, undefined, 180_000);
        t.equal(second.status, 0, 'the second run exits 0');
        for (const h of ['lvs1', 'web1', 'web2'])
          t.match(second.recap.get(h), { changed: 0, failed: 0, unreachable: 0 }, `${h}: changed=0 on the second run`);
        pids = recordedPids(lab);
        t.equal(pids.length, 6, 'tsvsd, two nginx and three sshd recorded their pids');
      } finally {
        lab.down();
      }
      t.same(
        listNetns().filter((n) => n.startsWith(`${lab.prefix}-`)),
        [],
        'no namespace is left',
      );
      t.same(
        pids.filter((p) => isAlive(p)),
        [],
        'tsvsd, nginx and sshd are gone',
      );
      t.equal(
        existsSync(lab.rootDir) || existsSync(lab.runDir),
        false,
        'the host roots and the run directory are removed',
      );
    },
  );
}
