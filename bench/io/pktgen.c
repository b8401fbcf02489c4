/* pktgen: traffic generator and timestamping sink for the packet I/O bench (bench/io/run.sh).
 *
 *   pktgen gen  <if> <dst-mac> <src-ip> <dst-ip> <max-count> <max-seconds> [pps] [flows]
 *       60-byte Ethernet/IPv4/UDP frames (64 on the wire with the FCS) on an AF_PACKET socket with
 *       PACKET_QDISC_BYPASS. pps = 0: as fast as possible, sendmmsg x64. pps > 0: paced, one
 *       frame per slot. Each payload carries a magic, a sequence number and CLOCK_REALTIME at send.
 *       flows (default 1, at most 65536): frame n comes from source port 5000 + n % flows, so a
 *       receiver that spreads flows over threads (PACKET_FANOUT, RSS) sees that many 5-tuples.
 *       Prints {"sent":N,"seconds":S,"pps":P,"cpu_s":C} (C: its own CPU time, softirq work included).
 *   pktgen sink <if> <max-seconds> <max-count>
 *       Receives on an AF_PACKET socket with SO_TIMESTAMPNS (kernel receive time, same clock) and
 *       prints the one-way latency of the generator's frames: {"count":N,"p50_us":..,"p99_us":..}.
 *
 * Both stop at whichever bound comes first. Build: cc -O2 -o pktgen pktgen.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME 60
#define BATCH 64
#define MAGIC 0x74737673u /* "tsvs" */
#define MAX_SAMPLES 200000

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t real_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int open_sock(const char *ifname, int proto) {
  struct sockaddr_ll sll;
  int one = 1;
  int fd = socket(AF_PACKET, SOCK_RAW, htons(proto));
  if (fd < 0) {
    perror("socket(AF_PACKET)");
    exit(1);
  }
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(proto);
  sll.sll_ifindex = (int)if_nametoindex(ifname);
  if (sll.sll_ifindex == 0) {
    fprintf(stderr, "no interface %s\n", ifname);
    exit(1);
  }
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    perror("bind");
    exit(1);
  }
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  return fd;
}

static uint16_t csum(const uint8_t *p, int n) {
  uint32_t s = 0;
  for (int i = 0; i < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static void build(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint32_t sip, uint32_t dip) {
  memset(f, 0, FRAME);
  memcpy(f, dst, 6);
  memcpy(f + 6, src, 6);
  f[12] = 0x08;
  f[14] = 0x45;
  f[16] = 0;
  f[17] = FRAME - 14;
  f[22] = 64;
  f[23] = 17;
  memcpy(f + 26, &sip, 4);
  memcpy(f + 30, &dip, 4);
  uint16_t c = csum(f + 14, 20);
  f[24] = (uint8_t)(c >> 8);
  f[25] = (uint8_t)c;
  f[34] = 0x13;
  f[35] = 0x88; /* 5000 */
  f[36] = 0x00;
  f[37] = 0x09; /* discard */
  f[39] = FRAME - 34; /* UDP length; checksum 0 = none */
}

/* payload: magic u32 at 42, seq u32 at 46, send time u64 at 50 (host order; same machine) */
static void stamp(uint8_t *f, uint32_t seq, uint64_t ns, uint32_t flows) {
  uint32_t m = MAGIC;
  uint16_t sport = (uint16_t)(5000u + seq % flows); /* UDP checksum 0: nothing to update */
  f[34] = (uint8_t)(sport >> 8);
  f[35] = (uint8_t)sport;
  memcpy(f + 42, &m, 4);
  memcpy(f + 46, &seq, 4);
  memcpy(f + 50, &ns, 8);
}

static int gen(int argc, char **argv) {
  uint8_t dst[6], src[6] = {0x02, 0x74, 0x73, 0x76, 0x73, 0x01};
  uint8_t frames[BATCH][FRAME];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  uint32_t sip, dip;
  uint64_t max_count, sent = 0;
  double max_s, t0, pps;
  uint32_t flows;
  int fd;
  if (argc < 8) return 2;
  if (sscanf(argv[3], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst[0], &dst[1], &dst[2], &dst[3], &dst[4], &dst[5]) != 6) return 2;
  inet_pton(AF_INET, argv[4], &sip);
  inet_pton(AF_INET, argv[5], &dip);
  max_count = strtoull(argv[6], NULL, 10);
  max_s = atof(argv[7]);
  pps = argc > 8 ? atof(argv[8]) : 0;
  flows = argc > 9 ? (uint32_t)strtoul(argv[9], NULL, 10) : 1;
  if (flows < 1 || flows > 65536) {
    fprintf(stderr, "flows must be 1 to 65536\n");
    return 2;
  }
  fd = open_sock(argv[2], 0);
  for (int i = 0; i < BATCH; i++) {
    build(frames[i], dst, src, sip, dip);
    iov[i].iov_base = frames[i];
    iov[i].iov_len = FRAME;
    memset(&msgs[i], 0, sizeof msgs[i]);
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  t0 = now_s();
  if (pps > 0) {
    struct timespec next;
    uint64_t step = (uint64_t)(1e9 / pps);
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (sent < max_count && now_s() - t0 < max_s) {
      next.tv_nsec += (long)step;
      while (next.tv_nsec >= 1000000000L) {
        next.tv_nsec -= 1000000000L;
        next.tv_sec++;
      }
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
      stamp(frames[0], (uint32_t)sent, real_ns(), flows);
      if (send(fd, frames[0], FRAME, 0) == FRAME) sent++;
    }
  } else {
    while (sent < max_count) {
      int n = BATCH, r;
      uint64_t ns = real_ns();
      if (max_count - sent < (uint64_t)n) n = (int)(max_count - sent);
      for (int i = 0; i < n; i++) stamp(frames[i], (uint32_t)(sent + (uint64_t)i), ns, flows);
      r = sendmmsg(fd, msgs, (unsigned)n, 0);
      if (r > 0) sent += (uint64_t)r;
      if ((sent & 0xfff) < BATCH && now_s() - t0 >= max_s) break;
    }
  }
  double el = now_s() - t0;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  printf("{\"sent\":%llu,\"seconds\":%.3f,\"pps\":%.0f,\"cpu_s\":%.3f}\n", (unsigned long long)sent, el, (double)sent / el, cpu);
  return 0;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static int sink(int argc, char **argv) {
  static uint64_t lat[MAX_SAMPLES];
  uint8_t buf[2048];
  char ctrl[256];
  uint64_t max_count, n = 0;
  double max_s, t0;
  int fd, on = 1;
  struct timeval tv = {0, 200000};
  if (argc < 5) return 2;
  max_s = atof(argv[3]);
  max_count = strtoull(argv[4], NULL, 10);
  if (max_count > MAX_SAMPLES) max_count = MAX_SAMPLES;
  fd = open_sock(argv[2], ETH_P_ALL);
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  printf("ready\n");
  fflush(stdout);
  t0 = now_s();
  while (n < max_count && now_s() - t0 < max_s) {
    struct iovec v = {buf, sizeof buf};
    struct msghdr m = {0};
    struct cmsghdr *c;
    uint64_t rx = 0, tx;
    uint32_t magic;
    ssize_t r;
    m.msg_iov = &v;
    m.msg_iovlen = 1;
    m.msg_control = ctrl;
    m.msg_controllen = sizeof ctrl;
    r = recvmsg(fd, &m, 0);
    if (r < 58) continue;
    memcpy(&magic, buf + 42, 4);
    if (magic != MAGIC || buf[23] != 17) continue;
    for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        rx = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
      }
    }
    memcpy(&tx, buf + 50, 8);
    if (rx == 0 || rx < tx) continue;
    lat[n++] = rx - tx;
  }
  if (n == 0) {
    printf("{\"count\":0}\n");
    return 0;
  }
  qsort(lat, n, sizeof lat[0], cmp_u64);
  printf("{\"count\":%llu,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"max_us\":%.1f}\n", (unsigned long long)n,
         lat[n / 2] / 1e3, lat[n * 9 / 10] / 1e3, lat[n * 99 / 100] / 1e3, lat[n - 1] / 1e3);
  return 0;
}

int main(int argc, char **argv) {
  int rc = 2;
  if (argc > 1 && strcmp(argv[1], "gen") == 0) rc = gen(argc, argv);
  else if (argc > 1 && strcmp(argv[1], "sink") == 0) rc = sink(argc, argv);
  if (rc == 2)
    fprintf(stderr, "usage: pktgen gen <if> <dst-mac> <src-ip> <dst-ip> <max-count> <max-seconds> [pps] [flows]\n"
                    "       pktgen sink <if> <max-seconds> <max-count>\n");
  return rc;
}
