// The NCCL backend for the c10d shim, in a library of its own: ProcessGroupNCCL.hpp needs the CUDA runtime
// headers, which the torch wheel lacks, so CPU builds never compile this file (Package.swift excludes it).
// scripts/build-nccl-shim.sh builds libctorch_nccl.so; ctorch_dist.cpp loads it with dlopen only for a job
// on CUDA devices, like libtorch_cuda.so itself.
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include <chrono>
#include <cstdlib>
#include <cstring>

extern "C" c10d::Backend *ct_nccl_backend_new(c10::intrusive_ptr<c10d::Store> *store, int rank, int world,
                                              double timeout_s, char **err) {
  try {
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = std::chrono::milliseconds((int64_t)(timeout_s * 1000));
    auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(*store, rank, world, opts);
    return pg.release();  // the caller reclaims it as an intrusive_ptr<Backend>
  } catch (const std::exception &e) {
    if (err) *err = strdup(e.what());
  } catch (...) {
    if (err) *err = strdup("unknown error creating the NCCL process group");
  }
  return nullptr;
}
