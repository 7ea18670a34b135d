// Numeric values of the libibverbs / librdmacm ABI used by the binding. They are stable
// kernel-user ABI values (rdma-core <infiniband/verbs.h>, <rdma/rdma_cma.h>); the guest tests
// check them against the values the addon was compiled with.

/** `enum ibv_wr_opcode`: the operation of a send work request. */
export const WrOpcode = {
  RDMA_WRITE: 0,
  RDMA_WRITE_WITH_IMM: 1,
  SEND: 2,
  SEND_WITH_IMM: 3,
  RDMA_READ: 4,
  LOCAL_INV: 7,
  BIND_MW: 8,
  SEND_WITH_INV: 9,
} as const;
export type WrOpcode = (typeof WrOpcode)[keyof typeof WrOpcode];

/** `enum ibv_send_flags`. */
export const SendFlags = {
  FENCE: 1 << 0,
  SIGNALED: 1 << 1,
  SOLICITED: 1 << 2,
  INLINE: 1 << 3,
} as const;

/** `enum ibv_access_flags`: memory region and memory window access. */
export const Access = {
  LOCAL_WRITE: 1 << 0,
  REMOTE_WRITE: 1 << 1,
  REMOTE_READ: 1 << 2,
  REMOTE_ATOMIC: 1 << 3,
  MW_BIND: 1 << 4,
} as const;

/** `enum ibv_wc_status`: the status of a work completion. */
export const WcStatus = {
  SUCCESS: 0,
  LOC_LEN_ERR: 1,
  LOC_QP_OP_ERR: 2,
  LOC_EEC_OP_ERR: 3,
  LOC_PROT_ERR: 4,
  WR_FLUSH_ERR: 5,
  MW_BIND_ERR: 6,
  BAD_RESP_ERR: 7,
  LOC_ACCESS_ERR: 8,
  REM_INV_REQ_ERR: 9,
  REM_ACCESS_ERR: 10,
  REM_OP_ERR: 11,
  RETRY_EXC_ERR: 12,
  RNR_RETRY_EXC_ERR: 13,
  LOC_RDD_VIOL_ERR: 14,
  REM_INV_RD_REQ_ERR: 15,
  REM_ABORT_ERR: 16,
  INV_EECN_ERR: 17,
  INV_EEC_STATE_ERR: 18,
  FATAL_ERR: 19,
  RESP_TIMEOUT_ERR: 20,
  GENERAL_ERR: 21,
} as const;
export type WcStatus = (typeof WcStatus)[keyof typeof WcStatus];

const wcStatusNames = new Map<number, string>(Object.entries(WcStatus).map(([name, value]) => [value, name]));
/** The name of a completion status, e.g. "REM_ACCESS_ERR". */
export function wcStatusName(status: number): string {
  return wcStatusNames.get(status) ?? `UNKNOWN_${status}`;
}

/** `enum ibv_wc_opcode`: what a completion completed. */
export const WcOpcode = {
  SEND: 0,
  RDMA_WRITE: 1,
  RDMA_READ: 2,
  COMP_SWAP: 3,
  FETCH_ADD: 4,
  BIND_MW: 5,
  LOCAL_INV: 6,
  RECV: 128,
  RECV_RDMA_WITH_IMM: 129,
} as const;

/** `enum ibv_wc_flags`. */
export const WcFlags = {
  GRH: 1 << 0,
  WITH_IMM: 1 << 1,
  IP_CSUM_OK: 1 << 2,
  WITH_INV: 1 << 3,
} as const;

/** `enum rdma_cm_event_type`. Event records carry the number and the name without prefix. */
export const CmEventType = {
  ADDR_RESOLVED: 0,
  ADDR_ERROR: 1,
  ROUTE_RESOLVED: 2,
  ROUTE_ERROR: 3,
  CONNECT_REQUEST: 4,
  CONNECT_RESPONSE: 5,
  CONNECT_ERROR: 6,
  UNREACHABLE: 7,
  REJECTED: 8,
  ESTABLISHED: 9,
  DISCONNECTED: 10,
  DEVICE_REMOVAL: 11,
  MULTICAST_JOIN: 12,
  MULTICAST_ERROR: 13,
  ADDR_CHANGE: 14,
  TIMEWAIT_EXIT: 15,
} as const;
export type CmEventName = keyof typeof CmEventType;

/** `enum ibv_atomic_cap`. */
export const AtomicCap = { NONE: 0, HCA: 1, GLOB: 2 } as const;

/** `enum ibv_port_state`. */
export const PortState = { NOP: 0, DOWN: 1, INIT: 2, ARMED: 3, ACTIVE: 4, ACTIVE_DEFER: 5 } as const;
