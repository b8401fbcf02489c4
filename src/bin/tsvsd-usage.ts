// tsvsd-usage: tsvsd's --help text, also the OPTIONS of its man page (doc/gen-docs.ts).

export const TSVSD_USAGE = `Usage: tsvsd [--config FILE] [--rules FILE] [--socket PATH] [--health FILE] [--metrics ADDR:PORT]
             [--backend auto|native|pcap|none] [--log-level LEVEL] [--log-format logfmt|json]

  --config FILE      configuration ([daemon], [engine], [rules]); e.g. /etc/tsvs/tsvsd.conf
  --rules FILE       rules file, saved on every change (default /var/lib/tsvs/rules)
  --socket PATH      control socket (default $TSVS_SOCKET, else /run/tsvs/tsvsd.sock)
  --log-level LEVEL  debug, info, warn or error (default info)
  --log-format FMT   logfmt (default) or json, one object per line; under systemd (stderr is
                     the journal) each line starts with its priority, <6> for info
  --health FILE      health checks and virtual servers in keepalived.conf syntax
                     (virtual_server / real_server / TCP_CHECK, HTTP_GET, UDP_CHECK,
                     PING_CHECK, MISC_CHECK; see src/health/config.ts)
  --metrics ADDR:PORT  serve Prometheus metrics on http://ADDR:PORT/metrics (opt-in); ADDR is
                     IPv4 or [IPv6]; one that cannot be bound stops the start
  --backend NAME     packet I/O: auto (native AF_PACKET, else libpcap), native, pcap, none
                     (none: control plane only, no packet engine)
  --help             this help
  --version          version, and whether the native addon is built
  --print-systemd-unit  print tsvsd.service with this machine's paths of node and tsvsd
  --install-systemd [--root DIR]  install that unit, the tsvs user (sysusers.d) and a starter
                     /etc/tsvs/tsvsd.conf (under DIR: the files only), then exit

Config [daemon] keys: socket PATH; rules FILE; log-level LEVEL; socket-group NAME (members may
use tsvsadm); socket-mode 0660.
Config [engine] keys: interface NAME [owned A,B] [subnet P/L] [gateway A]; fullnat-address A;
fullnat-ports MIN-MAX; conn-capacity N (default 65536 entries = 9.4 MiB, ~150 bytes each);
busy-poll-us N (default 0 = off); poll-interval-us N (default 100, 0 = wakeups only);
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
Config [rules]: ipvsadm -S lines; a line --start-daemon master|backup [daemon-options] starts
that connection sync daemon at start, as ipvsadm -R runs it (tsvsadm -L --daemon shows it).

Signals: SIGTERM/SIGINT stop, SIGHUP reloads the config (as tsvsadm --reload does): the
[rules], kernel-filter, and the --health file. Manage it with tsvsadm.
`;
