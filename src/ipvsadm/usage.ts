// tsvsadm's help and version text: usage_exit() and version() of ipvsadm.c, adapted to tsvs and
// listing its extensions (full NAT, the control socket) and what it does not do yet.

import { DEFAULT_SCHED } from '../model/rule-spec.ts';

export const TSVS_VERSION = '0.1.0';
/** IP_VS_VERSION_CODE 0x010201: what -L's first line reports, as the kernel does. */
export const IPVS_VERSION = '1.2.1';
/** The scheduler names of the kernel's Kconfig that tsvs implements. */
export const SCHEDULERS = 'rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh|twos';

export function versionText(): string {
  return `tsvsadm v${TSVS_VERSION} (ipvsadm v1.31 compatible; IPVS v${IPVS_VERSION} emulated by tsvsd)\n`;
}

export function usageText(program: string): string {
  const p = program;
  return (
    versionText() +
    'Usage:\n' +
    `  ${p} -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]\n` +
    `  ${p} -D virtual-service\n` +
    `  ${p} -C\n` +
    `  ${p} -R\n` +
    `  ${p} -S [-n]\n` +
    `  ${p} -a|e virtual-service -r server-address [options]\n` +
    `  ${p} -d virtual-service -r server-address\n` +
    `  ${p} -L|l [virtual-service] [options]\n` +
    `  ${p} -Z [virtual-service]\n` +
    `  ${p} --set tcp tcpfin udp\n` +
    `  ${p} --start-daemon {master|backup} [daemon-options]\n` +
    `  ${p} --stop-daemon {master|backup}\n` +
    `  ${p} -h\n\n` +
    'Commands:\n' +
    'Either long or short options are allowed.\n' +
    '  --add-service     -A        add virtual service with options\n' +
    '  --edit-service    -E        edit virtual service with options\n' +
    '  --delete-service  -D        delete virtual service\n' +
    '  --clear           -C        clear the whole table\n' +
    '  --restore         -R        restore rules from stdin\n' +
    '  --save            -S        save rules to stdout\n' +
    '  --add-server      -a        add real server with options\n' +
    '  --edit-server     -e        edit real server with options\n' +
    '  --delete-server   -d        delete real server\n' +
    '  --list            -L|-l     list the table\n' +
    '  --zero            -Z        zero counters in a service or all services\n' +
    '  --set tcp tcpfin udp        set connection timeout values\n' +
    '  --start-daemon              start connection sync daemon\n' +
    '  --stop-daemon               stop connection sync daemon\n' +
    '  --help            -h        display this help message\n\n' +
    'virtual-service:\n' +
    '  --tcp-service|-t  service-address   service-address is host[:port]\n' +
    '  --udp-service|-u  service-address   service-address is host[:port]\n' +
    '  --sctp-service    service-address   service-address is host[:port]\n' +
    '  --fwmark-service|-f fwmark          fwmark is an integer greater than zero\n' +
    '\n' +
    'Options:\n' +
    '  --ipv6         -6                   fwmark entry uses IPv6\n' +
    `  --scheduler    -s scheduler         one of ${SCHEDULERS},\n` +
    `                                      the default scheduler is ${DEFAULT_SCHED}.\n` +
    '  --pe            engine              alternate persistence engine (tsvs has none yet),\n' +
    '                                      not set by default.\n' +
    '  --persistent   -p [timeout]         persistent service\n' +
    '  --netmask      -M netmask           persistent granularity mask\n' +
    '  --real-server  -r server-address    server-address is host (and port)\n' +
    '  --gatewaying   -g                   gatewaying (direct routing) (default)\n' +
    '  --ipip         -i                   ipip encapsulation (tunneling)\n' +
    '  --masquerading -m                   masquerading (NAT)\n' +
    '  --fullnat      -F                   full NAT: source also rewritten (tsvs extension)\n' +
    '  --synproxy     auto|always|never    SYN proxy with SYN cookies (tsvs extension, -A/-E)\n' +
    '  --tun-type      type                one of ipip|gue|gre,\n' +
    '                                      the default tunnel type is ipip (tsvs refuses gre).\n' +
    '  --tun-port      port                tunnel destination port\n' +
    '  --tun-nocsum                        tunnel encapsulation without checksum\n' +
    '  --tun-csum                          tunnel encapsulation with checksum\n' +
    '  --tun-remcsum                       tunnel encapsulation with remote checksum\n' +
    '  --weight       -w weight            capacity of real server\n' +
    '  --u-threshold  -x uthreshold        upper threshold of connections\n' +
    '  --l-threshold  -y lthreshold        lower threshold of connections\n' +
    '  --connection   -c                   output of current IPVS connections\n' +
    '  --timeout                           output of timeout (tcp tcpfin udp)\n' +
    '  --daemon                            output of daemon information\n' +
    '  --stats                             output of statistics information\n' +
    '  --rate                              output of rate information\n' +
    '  --exact                             expand numbers (display exact values)\n' +
    '  --thresholds                        output of thresholds information\n' +
    '  --persistent-conn                   output of persistent connection info\n' +
    '  --tun-info                          output of tunnel information\n' +
    '  --nosort                            disable sorting output of service/server entries\n' +
    '  --sort                              does nothing, for backwards compatibility\n' +
    '  --ops          -o                   one-packet scheduling\n' +
    '  --numeric      -n                   numeric output of addresses and ports\n' +
    '  --sched-flags  -b flags             scheduler flags (comma-separated)\n' +
    'Daemon Options:\n' +
    '  --syncid sid                        syncid for connection sync (default=255)\n' +
    '  --sync-maxlen length                Max sync message length (default=1472)\n' +
    '  --mcast-interface interface         multicast interface for connection sync\n' +
    '  --mcast-group address               IPv4 group (default=224.0.0.81)\n' +
    '  --mcast-port port                   UDP port (default=8848)\n' +
    '  --mcast-ttl ttl                     Multicast TTL (default=1)\n' +
    'tsvs:\n' +
    '  --socket PATH                       control socket of tsvsd (default /run/tsvs/tsvsd.sock,\n' +
    '                                      or $TSVS_SOCKET); any command talks to tsvsd through it\n' +
    '  tsvsadm --health               health-check state of every real server (tsvsd --health)\n' +
    '  tsvsadm --engine               packet engine counters, drops by reason, ARP table\n' +
    '  tsvsadm --capture PREFIX [SECONDS]  write frames in and out to PREFIX-in.pcap, PREFIX-out.pcap\n' +
    '  tsvsadm --reload               tsvsd reloads its config (as SIGHUP): adds, edits, removals\n' +
    '  tsvsadm --top [SECONDS]        live view of rates, connections, weights, health and drops,\n' +
    '                                 every SECONDS (default 2); q quits; one frame without a tty\n' +
    '  tsvsadm --sync                 the connection sync daemons (-L --daemon) with their counters\n' +
    "  tsvsadm --vrrp-state [STATE]   the director's VRRP role; master, backup, fault or stop sets it\n" +
    "                                 (keepalived's notify scripts: master answers for the VIP)\n" +
    '  tsvsadm --announce UP-COMMAND DOWN-COMMAND  runs UP-COMMAND while tsvsd answers and has a real\n' +
    '                                 server with weight > 0, DOWN-COMMAND when not (checked every\n' +
    "                                 200 ms) and on SIGTERM: e.g. 'birdc enable vip' 'birdc disable vip'\n" +
    '  Start the daemon first: tsvsd --config /etc/tsvs/tsvsd.conf\n'
  );
}
