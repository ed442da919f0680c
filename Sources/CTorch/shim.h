// Shared by the shim's translation units: handle casts and the exception-to-error macro.
#pragma once

#include "ctorch.h"

#include <ATen/ATen.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace ctorch {

using at::Tensor;

inline void set_error(ct_error *err, const char *msg) {
  if (err) *err = strdup(msg ? msg : "unknown libtorch error");
}

#define CT_TRY(fail, ...)                                                    \
  try {                                                                      \
    __VA_ARGS__                                                              \
  } catch (const c10::Error &e) {                                            \
    ctorch::set_error(err, e.what_without_backtrace());                      \
  } catch (const std::exception &e) {                                        \
    ctorch::set_error(err, e.what());                                        \
  } catch (...) {                                                            \
    ctorch::set_error(err, "unknown C++ exception in libtorch");             \
  }                                                                          \
  return fail;

inline Tensor &T(ct_tensor t) { return *reinterpret_cast<Tensor *>(t); }
inline ct_tensor wrap(Tensor t) { return reinterpret_cast<ct_tensor>(new Tensor(std::move(t))); }
inline at::IntArrayRef dims(const int64_t *d, int n) { return at::IntArrayRef(d, (size_t)n); }
inline at::ScalarType st(int dtype) { return static_cast<at::ScalarType>(dtype); }

inline std::vector<Tensor> list(const ct_tensor *ts, int n) {
  std::vector<Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(T(ts[i]));
  return v;
}

} // namespace ctorch
