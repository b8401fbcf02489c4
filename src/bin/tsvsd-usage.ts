// tsvsd-usage: tsvsd's --help text, also the OPTIONS of its man page (doc/gen-docs.ts).

export const TSVSD_USAGE = `Usage: tsvsd [--config FILE] [--rules FILE] [--socket PATH] [--health FILE] [--metrics ADDR:PORT]
             [--backend auto|native|pcap|none] [--log-level LEVEL] [--log-format logfmt|json]
             [--takeover] [--pid-file PATH]

  --config FILE      configuration ([daemon], [engine], [rules]); e.g. /etc/tsvs/tsvsd.conf
  --rules FILE       rules file, saved on every change (default /var/lib/tsvs/rules)
  --socket PATH      control socket (default $TSVS_SOCKET, else /run/tsvs/tsvsd.sock)
  --log-level LEVEL  debug, info, warn or error (default info)
  --log-format FMT   logfmt (default) or json, one object per line; under systemd (stderr is
                     the journal) each line starts with its priority, <6> for info
  --health FILE      health checks and virtual servers in keepalived.conf syntax
                     (virtual_server, virtual_server_group, real_server; checkers TCP_CHECK,
                     HTTP_GET, SSL_GET, UDP_CHECK, PING_CHECK, MISC_CHECK, SMTP_CHECK,
                     DNS_CHECK; see src/health/config.ts)
  --metrics ADDR:PORT  serve Prometheus metrics on http://ADDR:PORT/metrics (opt-in); ADDR is
                     IPv4 or [IPv6]; one that cannot be bound stops the start
  --backend NAME     packet I/O: auto (native AF_PACKET, else libpcap), native, pcap, none
                     (none: control plane only, no packet engine)
  --takeover         take over from the tsvsd running on the same socket (a restart or an
                     upgrade in place): load everything and open the interfaces first, then
                     have it stop forwarding and exit, attach its state file and carry on;
                     forwarding stops only for the swap. Without one running: a normal start
  --pid-file PATH    write this process's id to PATH once it serves (after a takeover: once it
                     took the socket over); removed at a stop. The systemd unit's PIDFile=
  --help             this help
  --version          version, and whether the native addon is built
  --print-systemd-unit  print tsvsd.service with this machine's paths of node and tsvsd
  --install-systemd [--root DIR]  install that unit, the tsvs user (sysusers.d) and a starter
                     /etc/tsvs/tsvsd.conf (under DIR: the files only), then exit

Config [daemon] keys: socket PATH; rules FILE; log-level LEVEL; socket-group NAME (members may
use tsvsadm); socket-mode 0660.
Config [engine] keys: interface NAME [owned A,B] [subnet P/L] [gateway A]; fullnat-address A;
fullnat-ports MIN-MAX; conn-capacity N (default 65536 entries = 11.3 MiB, ~180 bytes each);
busy-poll-us N (default 0 = off); poll-interval-us N (default 100, 0 = wakeups only);
jumbo-slots N (default 128: per interface a second RX ring of 68 KiB slots that takes GSO/GRO
superpackets whole, 8.5 MiB; 0 = none, they are read from the socket queue instead);
kernel-filter on|off (default on: an nft netdev ingress table so lvs1's kernel skips its copy
of the frames tsvs handles).
SYN floods: embryonic-quota P (default 50: at most P% of the table in TCP handshakes; at the
quota a new SYN replaces the oldest handshake, never an established connection; 0 = off).
IPVS defence, the net.ipv4.vs sysctls of the same names, each 0 off (default), 1 auto,
2 engaged, 3 always: drop-entry (delete SYN_RECV entries from 1/32 of the table a second),
drop-packet (drop new-connection packets at amemthresh/(amemthresh-free), level 3: 1 in
am-droprate), secure-tcp (the kernel's tcp_states_dos). amemthresh N (default 1024): auto
levels engage while FREE CONNECTION-TABLE ENTRIES < N (the kernel counts free memory pages);
am-droprate N (default 10). Shown by tsvsadm --engine.
Behind ECMP: sloppy-tcp off|on|consistent (default off: only a SYN creates a TCP connection;
on: any non-RST packet does, the kernel's sloppy_tcp=1; consistent: only for services whose
scheduler is consistent, mh and sh, so a director adopts the flows another director started
and picks the same real server). Changes on reload; tsvsadm --engine shows it and "adopted".
Restarts: state-file PATH (default: beside the socket, /run/tsvs/tsvsd.conn-state; none = in
memory only) holds the connection table (PATH6 the IPv6 one), mapped shared: connections
survive kill -9, SIGTERM + start and an upgrade with the same layout; a missing, corrupt or
foreign file is logged and replaced by an empty table. The resolved ARP neighbours are saved
beside it (PATH.neigh) and come back STALE at the next start, so carried-over flows wait for no
ARP reply. tsvsd --takeover keeps that outage to the swap of two processes (systemctl reload
runs it).
Cores: workers N|auto (default 1: the data path on the main thread; auto = one per usable CPU)
runs the data path in N threads, each with its own rings in a PACKET_FANOUT group per interface,
its own connection shard, state file (PATH.wI-of-N) and full-NAT port slice; a start with
another N deals the old shards to the new workers; trace merges the workers' events, capture
writes PREFIX-wI-in/out.pcap per worker, vrrp-state switches them all, and each worker syncs
its own connections while a backup deals synced entries to the worker their flow reaches.

An interface that goes away (deleted, or gone with its veth peer's namespace) is logged as an
error and shown by tsvsadm --engine and tsvs_interface_up 0; rules, connections and counters
stay, and when an interface of that name returns the engine re-attaches to it (native backend).

Config [rules]: ipvsadm -S lines; a line --start-daemon master|backup [daemon-options] starts
that connection sync daemon at start, as ipvsadm -R runs it (tsvsadm -L --daemon shows it).

Signals: SIGTERM/SIGINT stop, SIGHUP reloads the config (as tsvsadm --reload does): the
[rules], kernel-filter, sloppy-tcp, busy-poll-us, and the --health file. Manage it with tsvsadm.
`;
