// ParsedFrame: the one preallocated, monomorphic struct parseFrame() fills for every frame.
//
// The pipeline owns one instance and reuses it per frame (no allocation per packet). Every field
// is a number initialised in the constructor, so V8 keeps one hidden class. Offsets are absolute
// offsets into the buffer the frame was parsed from; -1 means "not present". Addresses are
// uint32 in host order (192.168.99.100 = 0xc0a86364); for IPv6 saddr/daddr hold the kernel's 32-bit
// fold (w0^w1^w2^w3, as Service.addr does) and the 128 bits are in saddr6/daddr6, four host-order
// words each (src/lib/inet6.ts), filled in place: the arrays are made once here. Fields of layers a frame does not have
// are reset to 0 / -1 by parseFrame, so nothing leaks from the previous frame.
//
// Field groups (clear-groups.ts): a layer parser that succeeds writes every field of its group and
// sets the group's bit in `groups`; parseFrame resets only the groups the previous frame wrote and
// this one did not.

export class ParsedFrame {
  /** GROUP_* bits of the field groups the last parse wrote. */
  groups: number;

  // --- frame and receive metadata
  frameOff: number;
  frameLen: number;
  /** rx flags as given to parseFrame (RXF_* in src/datapath/packet-io.ts). */
  rxFlags: number;
  /** 1 when RXF_CSUM_PARTIAL: the L4 checksum field holds only the folded pseudo-header sum. */
  csumPartial: number;
  /** 1 when RXF_GSO: a superpacket that may be larger than the MTU. */
  gso: number;

  // --- Ethernet
  ethType: number;
  /** 802.1Q tag control information, or -1 when untagged. The tag stays in the frame. */
  vlanTci: number;
  /** Offset of the L3 header (after the 802.1Q tag when there is one). */
  l3Off: number;

  // --- ARP (Ethernet/IPv4 only)
  arpOp: number;
  arpShaOff: number;
  arpSpaOff: number;
  arpThaOff: number;
  arpTpaOff: number;
  arpSpa: number;
  arpTpa: number;

  // --- IPv4
  ipHdrLen: number;
  /** IP total length: authoritative for the L4 length (Ethernet padding beyond it is ignored). */
  ipTotalLen: number;
  ipTos: number;
  ipId: number;
  dontFrag: number;
  moreFrags: number;
  /** Fragment offset in bytes; > 0 means a non-first fragment (no L4 header parsed). */
  fragOff: number;
  ttl: number;
  protocol: number;
  saddr: number;
  daddr: number;
  l4Off: number;
  /** ipTotalLen - ipHdrLen. */
  l4Len: number;

  // --- IPv6: the IP group holds ipHdrLen = 40 + extension headers, ipTotalLen = 40 + payload length,
  // ipTos = traffic class, ttl = hop limit, ipId = fragment id, dontFrag = 1 (routers never fragment).
  readonly saddr6: Uint32Array;
  readonly daddr6: Uint32Array;
  /** Offset of the fragment extension header, or -1. */
  fragHdrOff: number;

  // --- TCP / UDP
  sport: number;
  dport: number;
  /** TCP flag byte (TCP_FIN ... TCP_CWR), 0 for UDP. */
  tcpFlags: number;
  tcpHdrLen: number;
  /** Offset of the L4 checksum field (TCP, UDP, ICMP), or -1. */
  l4CsumOff: number;
  payloadOff: number;
  payloadLen: number;

  // --- ICMP
  icmpType: number;
  icmpCode: number;
  /** Identifier and sequence (bytes 4-7) for echo and other queries. */
  icmpId: number;
  icmpSeq: number;
  /** 1 for DEST_UNREACH, SOURCE_QUENCH, TIME_EXCEEDED, PARAMETERPROB (an IP header is quoted). */
  icmpIsError: number;

  // --- neighbour discovery (ICMPv6 NS / NA, RFC 4861 4.3 / 4.4)
  readonly ndTarget6: Uint32Array;
  /** Offset of the 6-byte MAC in the source (NS) or target (NA) link-layer address option, or -1. */
  ndLlaOff: number;

  // --- the IP header + first 8 bytes of L4 quoted by an ICMP error
  innerL3Off: number;
  innerIpHdrLen: number;
  innerProtocol: number;
  innerSaddr: number;
  innerDaddr: number;
  /** Fragment offset in bytes of the quoted packet. */
  innerFragOff: number;
  innerL4Off: number;
  /** Quoted ports (TCP, UDP, SCTP and a first fragment only), else 0. */
  innerSport: number;
  innerDport: number;
  /** The quoted IPv6 packet's addresses (innerSaddr / innerDaddr hold their folds). */
  readonly innerSaddr6: Uint32Array;
  readonly innerDaddr6: Uint32Array;

  constructor() {
    this.groups = 0;
    this.frameOff = 0;
    this.frameLen = 0;
    this.rxFlags = 0;
    this.csumPartial = 0;
    this.gso = 0;
    this.ethType = 0;
    this.vlanTci = -1;
    this.l3Off = -1;
    this.arpOp = 0;
    this.arpShaOff = -1;
    this.arpSpaOff = -1;
    this.arpThaOff = -1;
    this.arpTpaOff = -1;
    this.arpSpa = 0;
    this.arpTpa = 0;
    this.ipHdrLen = 0;
    this.ipTotalLen = 0;
    this.ipTos = 0;
    this.ipId = 0;
    this.dontFrag = 0;
    this.moreFrags = 0;
    this.fragOff = 0;
    this.ttl = 0;
    this.protocol = 0;
    this.saddr = 0;
    this.daddr = 0;
    this.l4Off = -1;
    this.l4Len = 0;
    this.saddr6 = new Uint32Array(4);
    this.daddr6 = new Uint32Array(4);
    this.fragHdrOff = -1;
    this.sport = 0;
    this.dport = 0;
    this.tcpFlags = 0;
    this.tcpHdrLen = 0;
    this.l4CsumOff = -1;
    this.payloadOff = -1;
    this.payloadLen = 0;
    this.icmpType = 0;
    this.icmpCode = 0;
    this.icmpId = 0;
    this.icmpSeq = 0;
    this.icmpIsError = 0;
    this.ndTarget6 = new Uint32Array(4);
    this.ndLlaOff = -1;
    this.innerL3Off = -1;
    this.innerIpHdrLen = 0;
    this.innerProtocol = 0;
    this.innerSaddr = 0;
    this.innerDaddr = 0;
    this.innerFragOff = 0;
    this.innerL4Off = -1;
    this.innerSport = 0;
    this.innerDport = 0;
    this.innerSaddr6 = new Uint32Array(4);
    this.innerDaddr6 = new Uint32Array(4);
  }
}
