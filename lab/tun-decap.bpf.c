/* tun-decap.bpf.c: the LVS-TUN real server's decapsulation as a tc ingress program, for kernels
 * without the ipip/fou/ip6_tunnel modules (the way Katran's and Cilium's decap work): a frame
 * whose IPv4 packet carries IPIP (protocol 4), or UDP to GUE_PORT with a GUE header (version 0,
 * inner IPv4), or whose IPv6 packet carries IPv6 (next header 41, ip6ip6, what
 * ip_vs_tunnel_xmit_v6() sends), loses its outer headers with bpf_skb_adjust_room(); the inner
 * packet, to the VIP the host holds on lo, then goes up the kernel's own stack. Anything else
 * passes untouched.
 * Built by lab/tun-decap.ts with clang -target bpf; loaded with
 * `tc filter add dev eth1 ingress bpf direct-action obj tun-decap.bpf.o sec tc`. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
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

SEC("tc")
int tun_decap(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data;
  void *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip;
  __s32 strip;

  if ((void *)(eth + 1) > end) return TC_ACT_OK;
  if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
    /* ip6ip6: an outer header without extension headers, as IPVS builds it. */
    struct ipv6hdr *ip6 = (void *)(eth + 1);
    if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_IPV6) return TC_ACT_OK;
    if (bpf_skb_adjust_room(skb, -(__s32)sizeof(struct ipv6hdr), BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_DECAP_L3_IPV6) != 0)
      return TC_ACT_SHOT;
    return TC_ACT_OK;
  }
  if (eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
  ip = (void *)(eth + 1);
  if ((void *)(ip + 1) > end || ip->ihl != 5) return TC_ACT_OK;
  if (ip->frag_off & bpf_htons(0x3fff)) return TC_ACT_OK; /* a fragment: the kernel reassembles it */
  if (ip->protocol == IPPROTO_IPIP) {
    strip = sizeof(struct iphdr);
  } else if (ip->protocol == IPPROTO_UDP) {
    struct udphdr *udp = (void *)(ip + 1);
    __u8 *gue = (__u8 *)(udp + 1);
    if ((void *)(gue + 4) > end || udp->dest != bpf_htons(GUE_PORT)) return TC_ACT_OK;
    /* struct guehdr: version 0, a data message (control 0), proto_ctype IPIP; hlen option words */
    if ((gue[0] & 0xe0) != 0 || gue[1] != IPPROTO_IPIP) return TC_ACT_OK;
    strip = sizeof(struct iphdr) + sizeof(struct udphdr) + 4 + (gue[0] & 0x1f) * 4;
  } else {
    return TC_ACT_OK;
  }
  if (bpf_skb_adjust_room(skb, -strip, BPF_ADJ_ROOM_MAC, BPF_F_ADJ_ROOM_DECAP_L3_IPV4) != 0) return TC_ACT_SHOT;
  return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
