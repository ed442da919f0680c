// The c10d shim: store, process group (Gloo on CPU; NCCL or Gloo on CUDA), collectives, Reducer.
// Built with USE_C10D_GLOO against Debian's libgloo-dev headers (the wheel ships c10d's headers but
// not gloo's); the gloo code itself is the one compiled into libtorch_cpu.so.
#include "shim.h"
#include "ctorch_dist.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#include <dlfcn.h>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

using namespace ctorch;

namespace {

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  int rank, world;
};

struct ReducerBox {
  std::shared_ptr<c10d::Reducer> reducer;
};

Group &G(ct_dist_group g) { return *reinterpret_cast<Group *>(g); }

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds((int64_t)std::max(1.0, seconds * 1000.0));
}

// The NCCL shim's one entry point: a NCCL backend on this store (see scripts/build-nccl-shim.sh).
using MakeNCCL = c10d::Backend *(*)(c10::intrusive_ptr<c10d::Store> *, int, int, double, char **);
MakeNCCL make_nccl = nullptr;

std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string &host) {
  if (const char *ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (!host.empty()) return c10d::ProcessGroupGloo::createDeviceForHostname(host);
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

// Before Gloo connects the workers (which with a wrong world size would wait until the timeout):
// every rank is claimed once and every worker was started with the same world size.
void check_membership(c10d::Store &store, int rank, int world, std::chrono::milliseconds timeout) {
  const std::string r = std::to_string(rank);
  if (store.add("rank_claims/" + r, 1) > 1)
    throw std::runtime_error("two workers claim rank " + r + " (RANK must differ between the workers)");
  store.set("world_size/" + r, std::to_string(world));
  auto sizeOf = [&](int k) {
    const std::string key = "world_size/" + std::to_string(k);
    store.wait({key}, timeout);
    auto v = store.get(key);
    return std::stoi(std::string(v.begin(), v.end()));
  };
  if (rank != 0) {
    int w0 = sizeOf(0);
    store.set("world_size_seen/" + r, std::string("1"));
    if (w0 != world)
      throw std::runtime_error("this worker (rank " + r + ") was started with a world size of " +
                               std::to_string(world) + ", rank 0 with " + std::to_string(w0));
    return;
  }
  for (int k = 1; k < world; k++) {
    int wk = sizeOf(k);
    if (wk != world) {
      // Rank 0 hosts the store: it stays until rank k has read rank 0's size, so both say what is wrong.
      try {
        store.wait({"world_size_seen/" + std::to_string(k)}, std::min(timeout, std::chrono::milliseconds(10000)));
      } catch (...) {
      }
      throw std::runtime_error("rank " + std::to_string(k) + " was started with a world size of " + std::to_string(wk) +
                               ", this worker (rank 0) with " + std::to_string(world));
    }
  }
}

// A collective over many tensors of different shapes (a model's parameters): c10d takes one tensor per
// call, so tensors of each dtype and device travel as one flat buffer and are copied back, as torch's
// _broadcast_coalesced does.
template <typename F> void coalesced(const std::vector<at::Tensor> &ts, F &&collective) {
  std::vector<std::vector<at::Tensor>> groups;
  for (const auto &t : ts) {
    auto same = std::find_if(groups.begin(), groups.end(), [&](const std::vector<at::Tensor> &g) {
      return g[0].scalar_type() == t.scalar_type() && g[0].device() == t.device();
    });
    if (same == groups.end()) groups.push_back({t}); else same->push_back(t);
  }
  at::NoGradGuard no_grad;
  for (auto &g : groups) {
    std::vector<at::Tensor> parts;
    for (auto &t : g) parts.push_back(t.reshape({-1}));
    std::vector<at::Tensor> flat{g.size() == 1 && g[0].is_contiguous() ? g[0] : at::cat(parts)};
    collective(flat);
    if (flat[0].data_ptr() == g[0].data_ptr()) continue;
    int64_t offset = 0;
    for (auto &t : g) {
      t.copy_(flat[0].narrow(0, offset, t.numel()).view(t.sizes()));
      offset += t.numel();
    }
  }
}

// Depthwise convolution weights ([C, 1, k, k]) are both contiguous and channels-last, and the Reducer
// keeps the strides they had while backward makes channels-last gradients; it copies those instead of
// viewing them (a few small tensors) and says so once per process in a three-line warning. That warning is
// dropped; every other goes to the handler that was there.
struct QuietStridesWarning : c10::WarningHandler {
  c10::WarningHandler *next;
  explicit QuietStridesWarning(c10::WarningHandler *n) : next(n) {}
  void process(const c10::Warning &w) override {
    if (w.msg().find("Grad strides do not match bucket view strides") != std::string::npos) return;
    next->process(w);
  }
};

void quiet_strides_warning() {
  static QuietStridesWarning *installed = nullptr;
  if (installed) return;
  installed = new QuietStridesWarning(c10::WarningUtils::get_warning_handler());
  c10::WarningUtils::set_warning_handler(installed);
}

} // namespace

extern "C" {

int ct_dist_load_nccl(const char *path, ct_error *err) {
  if (make_nccl) return 0;
  void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (!h) {
    const char *e = dlerror();
    set_error(err, (std::string("cannot load the NCCL shim: ") + (e ? e : path)).c_str());
    return -1;
  }
  make_nccl = reinterpret_cast<MakeNCCL>(dlsym(h, "ct_nccl_backend_new"));
  if (!make_nccl) {
    set_error(err, (std::string(path) + " has no ct_nccl_backend_new").c_str());
    return -1;
  }
  return 0;
}

ct_dist_group ct_dist_init(const char *addr, int port, int is_server, int rank, int world, double timeout_s,
                           const char *gloo_host, int cuda_backend, ct_error *err) {
  CT_TRY(nullptr, {
    c10d::TCPStoreOptions o;
    o.port = (uint16_t)port;
    o.isServer = is_server != 0;
    // Not TCPStore's own wait for `world` workers: a worker started with another world size would wait
    // there until the timeout; check_membership says what is wrong instead.
    o.waitWorkers = false;
    o.timeout = ms(timeout_s);
    auto tcp = c10::make_intrusive<c10d::TCPStore>(std::string(addr), o);
    // As torch's init_process_group: the group's keys live under a prefix, clear of a launcher's own.
    c10::intrusive_ptr<c10d::Store> store = c10::make_intrusive<c10d::PrefixStore>("melanoma_pg", tcp);
    check_membership(*store, rank, world, ms(timeout_s));
    auto g = std::make_unique<Group>();
    g->store = store;
    g->rank = rank;
    g->world = world;
    g->pg = c10::make_intrusive<c10d::ProcessGroup>(store, rank, world);
    auto gopts = c10d::ProcessGroupGloo::Options::create(ms(timeout_s));
    gopts->devices.push_back(gloo_device(gloo_host ? gloo_host : ""));
    auto gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("gloo", store), rank, world, gopts);
    g->pg->setBackend(c10::DeviceType::CPU, c10d::ProcessGroup::BackendType::GLOO, gloo);
    g->pg->setDefaultBackend(c10d::ProcessGroup::BackendType::GLOO);
    if (cuda_backend == 1) {
      g->pg->setBackend(c10::DeviceType::CUDA, c10d::ProcessGroup::BackendType::GLOO, gloo);
    } else if (cuda_backend == 2) {
      if (!make_nccl) throw std::runtime_error("the NCCL shim is not loaded");
      auto ncclStore = c10::intrusive_ptr<c10d::Store>(c10::make_intrusive<c10d::PrefixStore>("nccl", store));
      char *e = nullptr;
      c10d::Backend *raw = make_nccl(&ncclStore, rank, world, timeout_s, &e);
      if (!raw) {
        std::string msg = e ? e : "NCCL backend failed";
        free(e);
        throw std::runtime_error(msg);
      }
      auto nccl = c10::intrusive_ptr<c10d::Backend>::reclaim(raw);
      g->pg->setBackend(c10::DeviceType::CUDA, c10d::ProcessGroup::BackendType::NCCL, nccl);
      g->pg->setDefaultBackend(c10d::ProcessGroup::BackendType::NCCL);
    }
    return reinterpret_cast<ct_dist_group>(g.release());
  })
}

void ct_dist_free(ct_dist_group g) { delete reinterpret_cast<Group *>(g); }
int ct_dist_rank(ct_dist_group g) { return G(g).rank; }
int ct_dist_world(ct_dist_group g) { return G(g).world; }

int ct_dist_store_set(ct_dist_group g, const char *key, const uint8_t *data, size_t len, ct_error *err) {
  CT_TRY(-1, {
    G(g).store->set(key, std::vector<uint8_t>(data, data + len));
    return 0;
  })
}

uint8_t *ct_dist_store_get(ct_dist_group g, const char *key, double timeout_s, size_t *len, ct_error *err) {
  CT_TRY(nullptr, {
    G(g).store->wait({key}, ms(timeout_s));
    auto v = G(g).store->get(key);
    auto *out = (uint8_t *)malloc(std::max<size_t>(1, v.size()));
    if (!v.empty()) memcpy(out, v.data(), v.size());
    *len = v.size();
    return out;
  })
}

void ct_dist_free_bytes(uint8_t *p) { free(p); }

int ct_dist_allreduce_sum(ct_dist_group g, const ct_tensor *ts, int n, ct_error *err) {
  CT_TRY(-1, {
    coalesced(list(ts, n), [&](std::vector<at::Tensor> &flat) {
      c10d::AllreduceOptions o;
      o.reduceOp = c10d::ReduceOp::SUM;
      G(g).pg->allreduce(flat, o)->wait();
    });
    return 0;
  })
}

int ct_dist_broadcast(ct_dist_group g, const ct_tensor *ts, int n, int root, ct_error *err) {
  CT_TRY(-1, {
    coalesced(list(ts, n), [&](std::vector<at::Tensor> &flat) {
      c10d::BroadcastOptions o;
      o.rootRank = root;
      G(g).pg->broadcast(flat, o)->wait();
    });
    return 0;
  })
}

int ct_dist_barrier(ct_dist_group g, ct_error *err) {
  CT_TRY(-1, {
    G(g).pg->barrier()->wait();
    return 0;
  })
}

ct_reducer ct_reducer_new(ct_dist_group g, const ct_tensor *params, int n, double bucket_mb, int find_unused,
                          ct_error *err) {
  CT_TRY(nullptr, {
    quiet_strides_warning();
    auto ps = list(params, n);
    const size_t first = 1 << 20, cap = (size_t)(bucket_mb * (1 << 20));
    std::vector<bool> sparse(ps.size(), false);
    auto assigned = c10d::compute_bucket_assignment_by_size(ps, {first, cap}, sparse);
    auto buckets = std::get<0>(assigned);
    // Gradients become ready roughly in reverse order of definition, so the last parameters go first.
    std::reverse(buckets.begin(), buckets.end());
    auto box = std::make_unique<ReducerBox>();
    box->reducer = std::make_shared<c10d::Reducer>(
        ps, buckets, G(g).pg, sparse, (int64_t)cap, find_unused != 0, /*gradient_as_bucket_view*/ false,
        std::unordered_map<size_t, std::string>{}, (int64_t)first, /*skip_all_reduce_unused_params*/ false,
        /*use_python_reducer*/ false, std::vector<int64_t>{});
    return reinterpret_cast<ct_reducer>(box.release());
  })
}

int ct_reducer_prepare(ct_reducer r, ct_tensor output, ct_error *err) {
  CT_TRY(-1, {
    auto &red = *reinterpret_cast<ReducerBox *>(r)->reducer;
    // After the first step DDP re-buckets in the order the hooks actually fired.
    red.rebuild_buckets();
    red.prepare_for_backward({T(output)});
    return 0;
  })
}

int ct_reducer_buckets(ct_reducer r) {
  try {
    return (int)reinterpret_cast<ReducerBox *>(r)->reducer->get_grad_buckets(false).size();
  } catch (...) {
    return -1;
  }
}

void ct_reducer_free(ct_reducer r) {
  try {
    delete reinterpret_cast<ReducerBox *>(r);
  } catch (...) {
  }
}

} // extern "C"
