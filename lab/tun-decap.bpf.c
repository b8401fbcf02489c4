/* tun-decap.bpf.c: the LVS-TUN real server's decapsulation as a tc ingress program, for kernels
 * without the ipip/fou/ip6_tunnel modules (the way Katran's and Cilium's decap work): a frame
 * whose IPv4 or IPv6 packet carries an IPv4 packet (protocol 4), an IPv6 one (41), or UDP to
 * GUE_PORT with a GUE header (version 0, inner IPv4 or IPv6) -- ipip, ip6ip6, 4in6, 6in4, GUE over
 * either, what ip_vs_tunnel_xmit() and ip_vs_tunnel_xmit_v6() send -- loses its outer headers with
 * bpf_skb_adjust_room(); the inner packet, to the VIP the host holds on lo, then goes up the
 * kernel's own stack. Anything else passes untouched.
 * Built by lab/tun-decap.ts with clang -target bpf; loaded with
 * `tc filter add dev eth1 ingress bpf direct-action obj tun-decap.bpf.o sec tc`. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <stddef.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV4
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV4 (1ULL << 7) /* include/uapi/linux/bpf.h, Linux 6.3 */
#endif
#ifndef BPF_F_ADJ_ROOM_DECAP_L3_IPV6
#define BPF_F_ADJ_ROOM_DECAP_L3_IPV6 (1ULL << 8)
#endif
#ifndef IPPROTO_IPV6
#define IPPROTO_IPV6 41
#endif
#ifndef GUE_PORT
#define GUE_PORT 6080
#endif

/* What follows an outer header of `strip` bytes with payload protocol `proto`: an inner IPv4 packet
 * (IPIP, protocol 4), an inner IPv6 one (41), or UDP to GUE_PORT with a version 0 data GUE header
 * whose proto_ctype says which; returns the bytes to strip, 0 for anything else, and sets *inner6. */
static __always_inline __s32 tunnel_len(void *l4, void *end, __u8 proto, __s32 outer, int *inner6) {
  if (proto == IPPROTO_IPIP || proto == IPPROTO_IPV6) {
    *inner6 = proto == IPPROTO_IPV6;
    return outer;
  }
  if (proto != IPPROTO_UDP) return 0;
  struct udphdr *udp = l4;
  __u8 *gue = (__u8 *)(udp + 1);
  if ((void *)(gue + 4) > end || udp->dest != bpf_htons(GUE_PORT)) return 0;
  /* struct guehdr: version 0, a data message (control 0); hlen option words */
  if ((gue[0] & 0xe0) != 0 || (gue[1] != IPPROTO_IPIP && gue[1] != IPPROTO_IPV6)) return 0;
  *inner6 = gue[1] == IPPROTO_IPV6;
  return outer + sizeof(struct udphdr) + 4 + (gue[0] & 0x1f) * 4;
}

SEC("tc")
int tun_decap(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  __s32 strip;
  int inner6 = 0;

  if ((void *)(eth + 1) > end) return TC_ACT_OK;
  if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    /* An outer header without extension headers, as IPVS builds it. */
    struct ipv6hdr *ip6 = (void *)(eth + 1);
    if ((void *)(ip6 + 1) > end) return TC_ACT_OK;
    strip = tunnel_len(ip6 + 1, end, ip6->nexthdr, sizeof(struct ipv6hdr), &inner6);
  } else if (eth->h_proto == bpf_htons(ETH_P_IP)) {
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->ihl != 5) return TC_ACT_OK;
    if (ip->frag_off & bpf_htons(0x3fff)) return TC_ACT_OK; /* a fragment: the kernel reassembles it */
    strip = tunnel_len(ip + 1, end, ip->protocol, sizeof(struct iphdr), &inner6);
  } else {
    return TC_ACT_OK;
  }
  if (strip == 0) return TC_ACT_OK;
  /* The inner family decides the flag (4in6 and 6in4 change skb->protocol) and the EtherType. */
  __u64 flag = inner6 ? BPF_F_ADJ_ROOM_DECAP_L3_IPV6 : BPF_F_ADJ_ROOM_DECAP_L3_IPV4;
  __be16 type = inner6 ? bpf_htons(ETH_P_IPV6) : bpf_htons(ETH_P_IP);
  if (bpf_skb_adjust_room(skb, -strip, BPF_ADJ_ROOM_MAC, flag) != 0) return TC_ACT_SHOT;
  if (bpf_skb_store_bytes(skb, offsetof(struct ethhdr, h_proto), &type, sizeof(type), 0) != 0) return TC_ACT_SHOT;
  return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
