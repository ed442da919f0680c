// A caching allocator for libtorch's large CPU buffers.
//
// Why: glibc either gives large freed buffers back to the kernel (then every training step page-faults its
// activations in again: up to 2.5x the compute here) or, with mmap off, keeps them in one heap whose holes
// grow until ~500 MiB of a 1.5 GiB run are holes (BENCHMARKS "Training memory"). A training step allocates the
// same sizes step after step, so each large buffer is mapped on its own, kept whole when freed, and handed to
// the smallest request it fits. What is kept is bounded by the most the run ever asked for at once, so the peak
// is what the step needs, not the heap's layout. Small buffers stay with malloc (libtorch's own alloc_cpu).
#include "shim.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>

#include <sys/mman.h>

#include <algorithm>
#include <list>
#include <map>
#include <mutex>
#include <unordered_map>

namespace {

constexpr size_t kPage = 4096;
// A free block serves a request of at least a quarter of its size. Blocks that only serve their own size need
// many more mappings, because the sizes of a step peak at different moments (forward's activations, backward's
// gradients). Measured on one epoch of B0 + metadata at 128 px, batch 32 (611.7 MiB asked at most at once):
// mapped at most 1617 MiB with exact sizes only, 1259 MiB up to 1.25x, 934 MiB up to 2x, 877 MiB up to 4x,
// 873 MiB with no limit.
constexpr size_t kMaxFit = 4;

class CachingCPUAllocator final : public c10::Allocator {
 public:
  explicit CachingCPUAllocator(size_t min_bytes) : min_bytes_(min_bytes) {}

  c10::DataPtr allocate(size_t n) override {
    if (n < min_bytes_) {
      void *p = c10::alloc_cpu(n);
      return {p, p, &c10::free_cpu, c10::Device(c10::DeviceType::CPU)};
    }
    void *p = take(n);
    return {p, p, &release_any, c10::Device(c10::DeviceType::CPU)};
  }

  // raw_allocate's pointers (small or large) come back here: the block table tells which they are.
  c10::DeleterFnPtr raw_deleter() const override { return &release_any; }

  void copy_data(void *dest, const void *src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }

  ct_cpu_cache_stats stats() {
    std::lock_guard<std::mutex> g(mu_);
    return stats_;
  }

  void release_cached() {
    std::lock_guard<std::mutex> g(mu_);
    while (!lru_.empty()) evict_oldest();
  }

  static CachingCPUAllocator *instance;

  ~CachingCPUAllocator() override { release_cached(); }

  // A large block of at least n bytes (n >= min_bytes).
  void *take(size_t n) {
    size_t size = (n + kPage - 1) / kPage * kPage;
    std::lock_guard<std::mutex> g(mu_);
    void *p = nullptr;
    size_t got = 0;
    // The smallest free block that fits, within kMaxFit (no splitting: a block stays one mapping, so freeing
    // never leaves a hole behind).
    auto it = by_size_.lower_bound(size);
    if (it != by_size_.end() && it->first <= kMaxFit * size) {
      p = it->second->ptr;
      got = it->first;
      lru_.erase(it->second);
      by_size_.erase(it);
      stats_.cached_bytes -= got;
      stats_.hits++;
    } else {
      stats_.misses++;
      // Keep what is mapped within twice the most ever asked at once (+32 MiB for the first steps), dropping the
      // blocks freed longest ago first. The bound must leave room: a step reuses its blocks in a cycle, the worst
      // case for dropping the oldest, and a bound of 1.125x thrashed (3,087 blocks dropped and mapped again in
      // one epoch, 15x the page faults); without a bound the run above mapped 1.43x what it asked.
      uint64_t bound = 2 * stats_.peak_asked_bytes + (32u << 20);
      while (!lru_.empty() && stats_.mapped_bytes + size > bound) evict_oldest();
      p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      TORCH_CHECK(p != MAP_FAILED, "could not map ", size, " bytes for a CPU tensor (", strerror(errno), ")");
      got = size;
      stats_.mapped_bytes += got;
      stats_.peak_mapped_bytes = std::max(stats_.peak_mapped_bytes, stats_.mapped_bytes);
    }
    live_[p] = Live{got, n};
    stats_.live_bytes += got;
    stats_.asked_bytes += n;
    stats_.peak_asked_bytes = std::max(stats_.peak_asked_bytes, stats_.asked_bytes);
    return p;
  }

  // False when p is not one of this cache's live blocks.
  bool give_back(void *p) {
    std::lock_guard<std::mutex> g(mu_);
    auto it = live_.find(p);
    if (it == live_.end()) return false;
    Live b = it->second;
    live_.erase(it);
    stats_.live_bytes -= b.size;
    stats_.asked_bytes -= b.asked;
    stats_.cached_bytes += b.size;
    lru_.push_back(Free{p, b.size});
    by_size_.emplace(b.size, std::prev(lru_.end()));
    return true;
  }

 private:
  struct Free {
    void *ptr;
    size_t size;
  };
  using LRU = std::list<Free>;
  struct Live {
    size_t size, asked;
  };

  static void release_any(void *p) {
    if (p && !instance->give_back(p)) c10::free_cpu(p);
  }

  // Called with mu_ held.
  void evict_oldest() {
    Free f = lru_.front();
    auto range = by_size_.equal_range(f.size);
    for (auto it = range.first; it != range.second; ++it)
      if (it->second == lru_.begin()) {
        by_size_.erase(it);
        break;
      }
    lru_.pop_front();
    munmap(f.ptr, f.size);
    stats_.mapped_bytes -= f.size;
    stats_.cached_bytes -= f.size;
    stats_.evictions++;
  }

  const size_t min_bytes_;
  std::mutex mu_;
  LRU lru_;                                      // free blocks, freed longest ago first
  std::multimap<size_t, LRU::iterator> by_size_;  // the same blocks by size
  std::unordered_map<void *, Live> live_;
  ct_cpu_cache_stats stats_{};
};

CachingCPUAllocator *CachingCPUAllocator::instance = nullptr;
std::once_flag installed;

} // namespace

extern "C" {

int ct_cpu_cache_install(uint64_t min_bytes) {
  bool fresh = false;
  std::call_once(installed, [&] {
    // Never destroyed: tensors may be freed during static destruction at exit.
    CachingCPUAllocator::instance = new CachingCPUAllocator(std::max<uint64_t>(min_bytes, kPage));
    c10::SetCPUAllocator(CachingCPUAllocator::instance, /*priority=*/1);
    fresh = true;
  });
  return fresh ? 1 : 0;
}

int ct_cpu_cache_get_stats(ct_cpu_cache_stats *out) {
  if (!CachingCPUAllocator::instance) return 0;
  *out = CachingCPUAllocator::instance->stats();
  return 1;
}

void ct_cpu_cache_release(void) {
  if (CachingCPUAllocator::instance) CachingCPUAllocator::instance->release_cached();
}

// A cache of its own, not libtorch's allocator: its policy can be tested apart from the process's tensors.
struct ct_cpu_cache_s {
  explicit ct_cpu_cache_s(uint64_t min_bytes) : cache(std::max<uint64_t>(min_bytes, kPage)) {}
  CachingCPUAllocator cache;
};

ct_cpu_cache ct_cpu_cache_new(uint64_t min_bytes) {
  return new ct_cpu_cache_s(min_bytes);
}

void ct_cpu_cache_delete(ct_cpu_cache c) { delete c; }

void *ct_cpu_cache_take(ct_cpu_cache c, uint64_t n, ct_error *err) {
  CT_TRY(nullptr, return c->cache.take(std::max<uint64_t>(n, 1));)
}

int ct_cpu_cache_give(ct_cpu_cache c, void *p) { return c->cache.give_back(p) ? 1 : 0; }

void ct_cpu_cache_stats_of(ct_cpu_cache c, ct_cpu_cache_stats *out) { *out = c->cache.stats(); }

void ct_cpu_cache_release_of(ct_cpu_cache c) { c->cache.release_cached(); }

} // extern "C"
