// Packet directions relative to a connection (IP_VS_DIR_* in include/net/ip_vs.h).

/** Client -> director ("in"). */
export const DIR_INPUT = 0;
/** Real server -> director ("out"); only NAT and full NAT see these. */
export const DIR_OUTPUT = 1;
/**
 * Client -> director for a connection whose replies bypass the director (DR, TUN). Callers pass
 * DIR_INPUT; a connection flagged CONN_F_NOOUTPUT turns it into DIR_INPUT_ONLY itself, and its
 * first DIR_OUTPUT packet (if one ever comes) clears the flag, as set_tcp_state does.
 */
export const DIR_INPUT_ONLY = 2;
export const DIR_LAST = 3;
