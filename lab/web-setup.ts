// Web servers of the lab's real servers: the nginx config they run (or the Node fallback when
// nginx is missing: lab/web-server.ts), and the checks that one is installed and listening.

import { spawnSync } from 'node:child_process';

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function waitListen(ns: string, addr: string, port: number): void {
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'ss', '-Htln', `( sport = :${port} )`], { encoding: 'utf8' });
    if ((r.stdout ?? '').includes(addr) || (r.stdout ?? '').includes('*:')) return;
    spawnSync('sleep', ['0.05']);
  }
  throw new Error(`nothing listening on ${addr}:${port} in ${ns}`);
}

/**
 * A real server's nginx: answers its name (and the client address it saw) on listenAddr:80;
 * `locations` adds location blocks before the catch-all one (the HA lab's /big download);
 * `listen6` ([address]) a second, IPv6 listener.
 */
export function nginxConf(dir: string, listenAddr: string, name: string, locations = '', listen6 = ''): string {
  const also6 = listen6 === '' ? '' : `\n        listen ${listen6}:80 backlog=4096;`;
  return `user www-data;
worker_processes 1;
worker_rlimit_nofile 65536;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 65s;
    default_type text/plain;
    client_body_temp_path ${dir};
    proxy_temp_path ${dir};
    fastcgi_temp_path ${dir};
    uwsgi_temp_path ${dir};
    scgi_temp_path ${dir};
    server {
        listen ${listenAddr}:80 backlog=4096;${also6}${locations}
        location / { add_header X-Client-Addr $remote_addr always; return 200 "${name}\\n"; }
    }
}
`;
}
