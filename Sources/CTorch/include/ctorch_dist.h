// ctorch_dist.h: torch's c10d (distributed) engine in plain C: a TCPStore, a process group whose CPU
// backend is Gloo (and whose CUDA backend is NCCL when the separately built NCCL shim is loaded, else
// Gloo), the collectives the trainer uses, and c10d::Reducer, DDP's bucketed gradient all-reduce that
// overlaps with backward. Same conventions as ctorch.h: opaque handles, NULL or -1 plus an error string.
#ifndef CTORCH_DIST_H
#define CTORCH_DIST_H

#include "ctorch.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_dist_group_s *ct_dist_group;
typedef struct ct_reducer_s *ct_reducer;

// Connects to (rank 0 with is_server: hosts) the TCPStore at addr:port, waits up to timeout_s for
// `world` workers, and builds the process group. `cuda_backend`: 0 none, 1 Gloo, 2 NCCL (needs
// ct_dist_load_nccl first). gloo_host: the address this worker's Gloo device binds ("" = resolve the
// hostname, as torch's default device; GLOO_SOCKET_IFNAME is honoured as in torch).
ct_dist_group ct_dist_init(const char *addr, int port, int is_server, int rank, int world, double timeout_s,
                           const char *gloo_host, int cuda_backend, ct_error *err);
void ct_dist_free(ct_dist_group g);
int ct_dist_rank(ct_dist_group g);
int ct_dist_world(ct_dist_group g);

// Loads the NCCL shim (a shared library built with the CUDA headers, see scripts/build-nccl-shim.sh).
int ct_dist_load_nccl(const char *path, ct_error *err);

// The store: set a key; get waits (up to the store timeout) until the key exists. Values are bytes;
// ct_dist_store_get returns a malloc'd buffer freed with ct_dist_free_bytes.
int ct_dist_store_set(ct_dist_group g, const char *key, const uint8_t *data, size_t len, ct_error *err);
uint8_t *ct_dist_store_get(ct_dist_group g, const char *key, double timeout_s, size_t *len, ct_error *err);
void ct_dist_free_bytes(uint8_t *p);

// Blocking collectives, in place: sum over ranks, copy from `root`, wait for all.
int ct_dist_allreduce_sum(ct_dist_group g, const ct_tensor *ts, int n, ct_error *err);
int ct_dist_broadcast(ct_dist_group g, const ct_tensor *ts, int n, int root, ct_error *err);
int ct_dist_barrier(ct_dist_group g, ct_error *err);

// DDP's reducer over these leaf parameters (buckets as DistributedDataParallel: 1 MiB first, then
// bucket_mb, in reverse order). Before each backward call ct_reducer_prepare with the loss; after
// backward every parameter's .grad holds the mean over ranks.
ct_reducer ct_reducer_new(ct_dist_group g, const ct_tensor *params, int n, double bucket_mb, int find_unused,
                          ct_error *err);
int ct_reducer_prepare(ct_reducer r, ct_tensor output, ct_error *err);
// The number of gradient buckets (after the first step, in the order the gradients became ready).
int ct_reducer_buckets(ct_reducer r);
void ct_reducer_free(ct_reducer r);

#ifdef __cplusplus
}
#endif

#endif
