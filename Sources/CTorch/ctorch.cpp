// The libtorch shim: runtime, creation, inspection and elementwise ops. One short body per op,
// every exception turned into an error string (see shim.h).
#include "shim.h"

#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <torch/headeronly/version.h>

#include <dlfcn.h>
#include <string>

using namespace ctorch;

extern "C" {

void ct_free_error(ct_error err) { free(err); }
void ct_free(ct_tensor t) { delete reinterpret_cast<Tensor *>(t); }

const char *ct_torch_version(void) {
  static std::string v = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                         std::to_string(TORCH_VERSION_PATCH);
  return v.c_str();
}

// ---- threads, seeds, devices

void ct_set_num_threads(int n) { at::set_num_threads(n); }
int ct_get_num_threads(void) { return at::get_num_threads(); }
void ct_manual_seed(uint64_t seed) { at::manual_seed(seed); }

int ct_cuda_load(ct_error *err) {
  static int state = -1;
  static std::string failure;
  if (state >= 0) {
    if (!state) set_error(err, failure.c_str());
    return state;
  }
  // libtorch_cuda.so sits next to libtorch_cpu.so; nothing references it, so the linker dropped it.
  Dl_info info;
  std::string path = "libtorch_cuda.so";
  if (dladdr(reinterpret_cast<void *>(&at::set_num_threads), &info) && info.dli_fname) {
    std::string cpu = info.dli_fname;
    auto slash = cpu.rfind('/');
    if (slash != std::string::npos) path = cpu.substr(0, slash + 1) + "libtorch_cuda.so";
  }
  void *h = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!h) h = dlopen("libtorch_cuda.so", RTLD_NOW | RTLD_GLOBAL);
  if (!h) {
    const char *e = dlerror();
    failure = std::string("cannot load libtorch_cuda.so: ") + (e ? e : "unknown error");
    state = 0;
    set_error(err, failure.c_str());
    return 0;
  }
  state = 1;
  return 1;
}

int ct_cuda_is_available(void) {
  try {
    return at::hasCUDA() && at::detail::getCUDAHooks().deviceCount() > 0;
  } catch (...) {
    return 0;
  }
}

int ct_cuda_device_count(void) {
  try {
    return at::hasCUDA() ? (int)at::detail::getCUDAHooks().deviceCount() : 0;
  } catch (...) {
    return 0;
  }
}

int ct_cuda_device_name(int index, char *buf, int len) {
  // The driver API has plain C signatures, so we can call it without CUDA headers.
  void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
  if (!h) return -1;
  auto init = (int (*)(unsigned))dlsym(h, "cuInit");
  auto get = (int (*)(int *, int))dlsym(h, "cuDeviceGet");
  auto name = (int (*)(char *, int, int))dlsym(h, "cuDeviceGetName");
  if (!init || !get || !name || init(0) != 0) return -1;
  int dev = 0;
  if (get(&dev, index) != 0) return -1;
  return name(buf, len, dev) == 0 ? 0 : -1;
}

void ct_cuda_synchronize(int index, ct_error *err) {
  try {
    // A tiny device-to-host copy waits for the stream without linking CUDA headers.
    at::zeros({1}, at::TensorOptions().device(at::kCUDA, index)).cpu();
  } catch (const c10::Error &e) {
    set_error(err, e.what_without_backtrace());
  }
}

void ct_set_cudnn_benchmark(int on) { at::globalContext().setBenchmarkCuDNN(on != 0); }
int ct_cudnn_benchmark(void) { return at::globalContext().benchmarkCuDNN(); }

// ---- creation and inspection

ct_tensor ct_from_data(const void *data, const int64_t *shape, int ndim, int dtype, ct_error *err) {
  CT_TRY(nullptr, {
    auto t = at::empty(dims(shape, ndim), at::TensorOptions().dtype(st(dtype)));
    if (t.nbytes() > 0) memcpy(t.data_ptr(), data, t.nbytes());
    return wrap(t);
  })
}

ct_tensor ct_full(const int64_t *shape, int ndim, double value, int dtype, int device_type, int device_index,
                  ct_error *err) {
  CT_TRY(nullptr, {
    auto opts = at::TensorOptions().dtype(st(dtype)).device(at::Device((at::DeviceType)device_type, device_index));
    return wrap(at::full(dims(shape, ndim), value, opts));
  })
}

ct_tensor ct_empty_cpu(const int64_t *shape, int ndim, int dtype, int pinned, ct_error *err) {
  CT_TRY(nullptr, {
    return wrap(at::empty(dims(shape, ndim), at::TensorOptions().dtype(st(dtype)).pinned_memory(pinned != 0)));
  })
}

ct_tensor ct_arange(double start, double end, double step, int dtype, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::arange(start, end, step, at::TensorOptions().dtype(st(dtype))));)
}
ct_tensor ct_randn(const int64_t *shape, int ndim, int dtype, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::randn(dims(shape, ndim), at::TensorOptions().dtype(st(dtype))));)
}
ct_tensor ct_rand(const int64_t *shape, int ndim, int dtype, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::rand(dims(shape, ndim), at::TensorOptions().dtype(st(dtype))));)
}
ct_tensor ct_randint(int64_t low, int64_t high, const int64_t *shape, int ndim, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::randint(low, high, dims(shape, ndim), at::TensorOptions().dtype(at::kLong)));)
}

int ct_ndim(ct_tensor t) { return (int)T(t).dim(); }
void ct_shape(ct_tensor t, int64_t *out) {
  auto s = T(t).sizes();
  for (size_t i = 0; i < s.size(); i++) out[i] = s[i];
}
int64_t ct_numel(ct_tensor t) { return T(t).numel(); }
int ct_dtype(ct_tensor t) { return (int)T(t).scalar_type(); }
int ct_device_type(ct_tensor t) { return (int)T(t).device().type(); }
int ct_device_index(ct_tensor t) { return (int)T(t).device().index(); }
int ct_is_contiguous(ct_tensor t) { return T(t).is_contiguous(); }

int ct_copy_out(ct_tensor t, void *dst, size_t nbytes, ct_error *err) {
  CT_TRY(-1, {
    auto c = T(t).detach().to(at::kCPU).contiguous();
    if (c.nbytes() != nbytes) {
      set_error(err, ("copy_out: tensor has " + std::to_string(c.nbytes()) + " bytes, buffer " +
                      std::to_string(nbytes)).c_str());
      return -1;
    }
    if (nbytes) memcpy(dst, c.data_ptr(), nbytes);
    return 0;
  })
}

void *ct_data_ptr(ct_tensor t) {
  auto &x = T(t);
  if (!x.defined() || !x.device().is_cpu() || !x.is_contiguous()) return nullptr;
  return x.data_ptr();
}

ct_tensor ct_pin_memory(ct_tensor x, ct_error *err) {
  CT_TRY(nullptr, {
    TORCH_CHECK(ct_cuda_is_available(), "pin_memory needs a CUDA device (libtorch_cuda loaded and a GPU)");
    return wrap(T(x).pin_memory());
  })
}

int ct_is_pinned(ct_tensor x) {
  try {
    return T(x).is_pinned();
  } catch (...) {
    return 0;
  }
}

double ct_item(ct_tensor t, ct_error *err) { CT_TRY(0.0, return T(t).item<double>();) }

// ---- elementwise

ct_tensor ct_unary(ct_tensor a, ct_unary_op op, ct_error *err) {
  CT_TRY(nullptr, {
    const Tensor &x = T(a);
    switch (op) {
    case CT_NEG: return wrap(x.neg());
    case CT_EXP: return wrap(x.exp());
    case CT_LOG: return wrap(x.log());
    case CT_SQRT: return wrap(x.sqrt());
    case CT_ABS: return wrap(x.abs());
    case CT_RELU: return wrap(at::relu(x));
    case CT_SILU: return wrap(at::silu(x));
    case CT_SIGMOID: return wrap(x.sigmoid());
    case CT_LOG1P: return wrap(x.log1p());
    case CT_CEIL: return wrap(x.ceil());
    case CT_ROUND: return wrap(x.round());
    case CT_SIGN: return wrap(x.sign());
    case CT_SQUARE: return wrap(x.square());
    }
    set_error(err, "unknown unary op");
    return (ct_tensor) nullptr;
  })
}

static Tensor binary(const Tensor &x, const Tensor &y, ct_binary_op op) {
  switch (op) {
  case CT_ADD: return x + y;
  case CT_SUB: return x - y;
  case CT_MUL: return x * y;
  case CT_DIV: return x / y;
  case CT_POW: return x.pow(y);
  case CT_MAXIMUM: return at::maximum(x, y);
  case CT_EQ: return x.eq(y);
  case CT_NE: return x.ne(y);
  case CT_LT: return x.lt(y);
  case CT_LE: return x.le(y);
  case CT_GT: return x.gt(y);
  case CT_GE: return x.ge(y);
  case CT_LOGICAL_AND: return x.logical_and(y);
  case CT_LOGICAL_OR: return x.logical_or(y);
  }
  throw std::runtime_error("unknown binary op");
}

ct_tensor ct_binary(ct_tensor a, ct_tensor b, ct_binary_op op, ct_error *err) {
  CT_TRY(nullptr, return wrap(binary(T(a), T(b), op));)
}

ct_tensor ct_binary_scalar(ct_tensor a, double s, ct_binary_op op, ct_error *err) {
  CT_TRY(nullptr, {
    const Tensor &x = T(a);
    switch (op) {
    case CT_ADD: return wrap(x + s);
    case CT_SUB: return wrap(x - s);
    case CT_MUL: return wrap(x * s);
    case CT_DIV: return wrap(x / s);
    case CT_POW: return wrap(x.pow(s));
    case CT_EQ: return wrap(x.eq(s));
    case CT_NE: return wrap(x.ne(s));
    case CT_LT: return wrap(x.lt(s));
    case CT_LE: return wrap(x.le(s));
    case CT_GT: return wrap(x.gt(s));
    case CT_GE: return wrap(x.ge(s));
    default: return wrap(binary(x, at::scalar_tensor(s, x.options()), op));
    }
  })
}

ct_tensor ct_rsub_scalar(double s, ct_tensor a, ct_error *err) { CT_TRY(nullptr, return wrap(s - T(a));) }

ct_tensor ct_clamp(ct_tensor a, double lo, double hi, int has_lo, int has_hi, ct_error *err) {
  CT_TRY(nullptr, {
    std::optional<at::Scalar> l, h;
    if (has_lo) l = lo;
    if (has_hi) h = hi;
    return wrap(at::clamp(T(a), l, h));
  })
}

ct_tensor ct_where(ct_tensor cond, ct_tensor a, ct_tensor b, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::where(T(cond), T(a), T(b)));)
}

} // extern "C"
