// The libtorch shim: one short body per op, every exception turned into an error string.
#include "ctorch.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <c10/core/GradMode.h>
#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/export.h>
#include <torch/csrc/jit/serialization/import_read.h>
#include <torch/csrc/jit/serialization/pickler.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/headeronly/version.h>

#include <dlfcn.h>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using at::Tensor;

namespace {

void set_error(ct_error *err, const char *msg) {
  if (err) *err = strdup(msg ? msg : "unknown libtorch error");
}

#define CT_TRY(fail, ...)                                                    \
  try {                                                                      \
    __VA_ARGS__                                                              \
  } catch (const c10::Error &e) {                                            \
    set_error(err, e.what_without_backtrace());                              \
  } catch (const std::exception &e) {                                        \
    set_error(err, e.what());                                                \
  } catch (...) {                                                            \
    set_error(err, "unknown C++ exception in libtorch");                     \
  }                                                                          \
  return fail;

inline Tensor &T(ct_tensor t) { return *reinterpret_cast<Tensor *>(t); }
inline ct_tensor wrap(Tensor t) { return reinterpret_cast<ct_tensor>(new Tensor(std::move(t))); }
inline at::IntArrayRef dims(const int64_t *d, int n) { return at::IntArrayRef(d, (size_t)n); }
inline at::ScalarType st(int dtype) { return static_cast<at::ScalarType>(dtype); }

std::vector<Tensor> list(const ct_tensor *ts, int n) {
  std::vector<Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(T(ts[i]));
  return v;
}

} // namespace

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

int ct_defined(ct_tensor t) { return T(t).defined(); }
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

double ct_item(ct_tensor t, ct_error *err) { CT_TRY(0.0, return T(t).item<double>();) }
ct_tensor ct_shallow_clone(ct_tensor t) { return wrap(T(t)); }

// ---- elementwise

ct_tensor ct_unary(ct_tensor a, ct_unary_op op, ct_error *err) {
  CT_TRY(nullptr, {
    const Tensor &x = T(a);
    switch (op) {
    case CT_NEG: return wrap(x.neg());
    case CT_EXP: return wrap(x.exp());
    case CT_LOG: return wrap(x.log());
    case CT_SQRT: return wrap(x.sqrt());
    case CT_RSQRT: return wrap(x.rsqrt());
    case CT_ABS: return wrap(x.abs());
    case CT_RELU: return wrap(at::relu(x));
    case CT_SILU: return wrap(at::silu(x));
    case CT_SIGMOID: return wrap(x.sigmoid());
    case CT_TANH: return wrap(x.tanh());
    case CT_LOG1P: return wrap(x.log1p());
    case CT_FLOOR: return wrap(x.floor());
    case CT_CEIL: return wrap(x.ceil());
    case CT_ROUND: return wrap(x.round());
    case CT_SIGN: return wrap(x.sign());
    case CT_LOGICAL_NOT: return wrap(x.logical_not());
    case CT_SQUARE: return wrap(x.square());
    case CT_RECIPROCAL: return wrap(x.reciprocal());
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
  case CT_MINIMUM: return at::minimum(x, y);
  case CT_EQ: return x.eq(y);
  case CT_NE: return x.ne(y);
  case CT_LT: return x.lt(y);
  case CT_LE: return x.le(y);
  case CT_GT: return x.gt(y);
  case CT_GE: return x.ge(y);
  case CT_LOGICAL_AND: return x.logical_and(y);
  case CT_LOGICAL_OR: return x.logical_or(y);
  case CT_REMAINDER: return x.remainder(y);
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
    case CT_REMAINDER: return wrap(x.remainder(s));
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

// ---- linear algebra and nn functional

ct_tensor ct_matmul(ct_tensor a, ct_tensor b, ct_error *err) { CT_TRY(nullptr, return wrap(at::matmul(T(a), T(b)));) }

ct_tensor ct_linear(ct_tensor x, ct_tensor w, ct_tensor b, ct_error *err) {
  CT_TRY(nullptr, {
    std::optional<Tensor> bias;
    if (b) bias = T(b);
    return wrap(at::linear(T(x), T(w), bias));
  })
}

ct_tensor ct_conv2d(ct_tensor x, ct_tensor w, ct_tensor b, const int64_t *stride, const int64_t *padding,
                    const int64_t *dilation, int64_t groups, ct_error *err) {
  CT_TRY(nullptr, {
    std::optional<Tensor> bias;
    if (b) bias = T(b);
    return wrap(at::conv2d(T(x), T(w), bias, dims(stride, 2), dims(padding, 2), dims(dilation, 2), groups));
  })
}

ct_tensor ct_pad(ct_tensor x, const int64_t *pads, int npads, double value, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::constant_pad_nd(T(x), dims(pads, npads), value));)
}

ct_tensor ct_batch_norm(ct_tensor x, ct_tensor w, ct_tensor b, ct_tensor rm, ct_tensor rv, int training,
                        double momentum, double eps, ct_error *err) {
  CT_TRY(nullptr, {
    std::optional<Tensor> W, B, M, V;
    if (w) W = T(w);
    if (b) B = T(b);
    if (rm) M = T(rm);
    if (rv) V = T(rv);
    return wrap(at::batch_norm(T(x), W, B, M, V, training != 0, momentum, eps, at::globalContext().userEnabledCuDNN()));
  })
}

ct_tensor ct_max_pool2d(ct_tensor x, const int64_t *k, const int64_t *s, const int64_t *p, int ceil_mode,
                        ct_error *err) {
  CT_TRY(nullptr, return wrap(at::max_pool2d(T(x), dims(k, 2), dims(s, 2), dims(p, 2), {1, 1}, ceil_mode != 0));)
}

ct_tensor ct_avg_pool2d(ct_tensor x, const int64_t *k, const int64_t *s, const int64_t *p, int ceil_mode,
                        int count_include_pad, ct_error *err) {
  CT_TRY(nullptr,
         return wrap(at::avg_pool2d(T(x), dims(k, 2), dims(s, 2), dims(p, 2), ceil_mode != 0, count_include_pad != 0));)
}

ct_tensor ct_adaptive_avg_pool2d(ct_tensor x, const int64_t *out_size, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::adaptive_avg_pool2d(T(x), dims(out_size, 2)));)
}

ct_tensor ct_softmax(ct_tensor x, int64_t dim, ct_error *err) { CT_TRY(nullptr, return wrap(at::softmax(T(x), dim));) }
ct_tensor ct_log_softmax(ct_tensor x, int64_t dim, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::log_softmax(T(x), dim));)
}
ct_tensor ct_dropout(ct_tensor x, double p, int training, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::dropout(T(x), p, training != 0));)
}

ct_tensor ct_cross_entropy(ct_tensor logits, ct_tensor target, int reduction, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::cross_entropy_loss(T(logits), T(target), {}, reduction, -100, 0.0));)
}

// ---- shapes

ct_tensor ct_cat(const ct_tensor *ts, int n, int64_t dim, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::cat(list(ts, n), dim));)
}
ct_tensor ct_stack(const ct_tensor *ts, int n, int64_t dim, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::stack(list(ts, n), dim));)
}
ct_tensor ct_reshape(ct_tensor x, const int64_t *shape, int ndim, ct_error *err) {
  CT_TRY(nullptr, return wrap(T(x).reshape(dims(shape, ndim)));)
}
ct_tensor ct_permute(ct_tensor x, const int64_t *d, int ndim, ct_error *err) {
  CT_TRY(nullptr, return wrap(T(x).permute(dims(d, ndim)));)
}
ct_tensor ct_transpose(ct_tensor x, int64_t d0, int64_t d1, ct_error *err) {
  CT_TRY(nullptr, return wrap(T(x).transpose(d0, d1));)
}
ct_tensor ct_flip(ct_tensor x, const int64_t *d, int ndim, ct_error *err) {
  CT_TRY(nullptr, return wrap(T(x).flip(dims(d, ndim)));)
}
ct_tensor ct_narrow(ct_tensor x, int64_t dim, int64_t start, int64_t length, ct_error *err) {
  CT_TRY(nullptr, return wrap(T(x).narrow(dim, start, length));)
}
ct_tensor ct_slice(ct_tensor x, int64_t dim, int64_t start, int64_t end, int64_t step, ct_error *err) {
  CT_TRY(nullptr, return wrap(T(x).slice(dim, start, end, step));)
}
ct_tensor ct_select(ct_tensor x, int64_t dim, int64_t index, ct_error *err) {
  CT_TRY(nullptr, return wrap(T(x).select(dim, index));)
}
ct_tensor ct_index_select(ct_tensor x, int64_t dim, ct_tensor index, ct_error *err) {
  CT_TRY(nullptr, return wrap(T(x).index_select(dim, T(index)));)
}
ct_tensor ct_squeeze(ct_tensor x, int64_t dim, ct_error *err) { CT_TRY(nullptr, return wrap(T(x).squeeze(dim));) }
ct_tensor ct_unsqueeze(ct_tensor x, int64_t dim, ct_error *err) { CT_TRY(nullptr, return wrap(T(x).unsqueeze(dim));) }
ct_tensor ct_expand(ct_tensor x, const int64_t *shape, int ndim, ct_error *err) {
  CT_TRY(nullptr, return wrap(T(x).expand(dims(shape, ndim)));)
}
ct_tensor ct_contiguous(ct_tensor x, int channels_last, ct_error *err) {
  CT_TRY(nullptr, return wrap(T(x).contiguous(channels_last ? at::MemoryFormat::ChannelsLast
                                                             : at::MemoryFormat::Contiguous));)
}
ct_tensor ct_to(ct_tensor x, int device_type, int device_index, int dtype, int non_blocking, ct_error *err) {
  CT_TRY(nullptr, {
    at::Device d((at::DeviceType)device_type, device_index);
    return wrap(T(x).to(d, st(dtype), non_blocking != 0));
  })
}
ct_tensor ct_clone(ct_tensor x, ct_error *err) { CT_TRY(nullptr, return wrap(T(x).clone());) }
ct_tensor ct_detach(ct_tensor x, ct_error *err) { CT_TRY(nullptr, return wrap(T(x).detach());) }

// ---- reductions

ct_tensor ct_reduce(ct_tensor x, ct_reduce_op op, const int64_t *d, int ndim, int keepdim, ct_error *err) {
  CT_TRY(nullptr, {
    const Tensor &t = T(x);
    bool all = ndim == 0;
    bool k = keepdim != 0;
    at::OptionalIntArrayRef od = all ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(dims(d, ndim));
    switch (op) {
    case CT_SUM: return wrap(all ? t.sum() : t.sum(dims(d, ndim), k));
    case CT_MEAN: return wrap(all ? t.mean() : t.mean(dims(d, ndim), k));
    case CT_AMAX: return wrap(t.amax(all ? at::IntArrayRef() : dims(d, ndim), k));
    case CT_AMIN: return wrap(t.amin(all ? at::IntArrayRef() : dims(d, ndim), k));
    case CT_ARGMAX: return wrap(all ? t.argmax() : t.argmax(d[0], k));
    case CT_ARGMIN: return wrap(all ? t.argmin() : t.argmin(d[0], k));
    case CT_PROD: return wrap(all ? t.prod() : t.prod(d[0], k));
    case CT_STD: return wrap(at::std(t, od, /*correction=*/at::Scalar(1), k));
    case CT_VAR: return wrap(at::var(t, od, /*correction=*/at::Scalar(1), k));
    }
    set_error(err, "unknown reduction");
    return (ct_tensor) nullptr;
  })
}

// ---- in place

int ct_copy_(ct_tensor dst, ct_tensor src, ct_error *err) { CT_TRY(-1, T(dst).copy_(T(src)); return 0;) }
int ct_fill_(ct_tensor t, double v, ct_error *err) { CT_TRY(-1, T(t).fill_(v); return 0;) }
int ct_normal_(ct_tensor t, double mean, double std, ct_error *err) { CT_TRY(-1, T(t).normal_(mean, std); return 0;) }
int ct_uniform_(ct_tensor t, double lo, double hi, ct_error *err) { CT_TRY(-1, T(t).uniform_(lo, hi); return 0;) }
int ct_mul_scalar_(ct_tensor t, double s, ct_error *err) { CT_TRY(-1, T(t).mul_(s); return 0;) }
int ct_add_(ct_tensor t, ct_tensor other, double alpha, ct_error *err) {
  CT_TRY(-1, {
    auto &x = T(t);
    if (at::isIntegralType(x.scalar_type(), /*includeBool=*/true)) x.add_(T(other), (int64_t)alpha);
    else x.add_(T(other), alpha);
    return 0;
  })
}

// ---- autograd

int ct_requires_grad(ct_tensor t) { return T(t).requires_grad(); }
int ct_set_requires_grad(ct_tensor t, int on, ct_error *err) { CT_TRY(-1, T(t).set_requires_grad(on != 0); return 0;) }
int ct_backward(ct_tensor t, ct_error *err) { CT_TRY(-1, T(t).backward(); return 0;) }
ct_tensor ct_grad(ct_tensor t) {
  const Tensor &g = T(t).grad();
  return g.defined() ? wrap(g) : nullptr;
}
int ct_zero_grad(ct_tensor t) {
  auto &g = T(t).mutable_grad();
  if (g.defined()) g.reset();
  return 0;
}
int ct_grad_enabled(void) { return c10::GradMode::is_enabled(); }
void ct_set_grad_enabled(int on) { c10::GradMode::set_enabled(on != 0); }

double ct_clip_grad_norm(const ct_tensor *params, int n, double max_norm, ct_error *err) {
  CT_TRY(-1.0, {
    std::vector<Tensor> grads;
    for (int i = 0; i < n; i++) {
      const Tensor &g = T(params[i]).grad();
      if (g.defined()) grads.push_back(g);
    }
    if (grads.empty()) return 0.0;
    at::NoGradGuard guard;
    auto norms = at::_foreach_norm(grads, 2);
    auto total = at::stack(norms).norm(2);
    auto coef = at::clamp(max_norm / (total + 1e-6), std::nullopt, 1.0);
    at::_foreach_mul_(grads, coef);
    return total.item<double>();
  })
}

int ct_adam_step(const ct_tensor *params, const ct_tensor *exp_avg, const ct_tensor *exp_avg_sq,
                 const ct_tensor *steps, int n, double lr, double beta1, double beta2, double eps,
                 double weight_decay, ct_error *err) {
  CT_TRY(-1, {
    std::vector<Tensor> p, g, m, v, s;
    for (int i = 0; i < n; i++) {
      const Tensor &grad = T(params[i]).grad();
      if (!grad.defined()) continue; // as torch: parameters without a gradient are skipped
      p.push_back(T(params[i]));
      g.push_back(grad);
      m.push_back(T(exp_avg[i]));
      v.push_back(T(exp_avg_sq[i]));
      s.push_back(T(steps[i]));
    }
    if (p.empty()) return 0;
    at::NoGradGuard guard;
    // As torch.optim.Adam(fused=True): the step counters advance before the kernel reads them.
    at::_foreach_add_(s, 1);
    at::_fused_adam_(p, g, m, v, {}, s, lr, beta1, beta2, weight_decay, eps, false, false);
    return 0;
  })
}

// ---- autocast

int ct_autocast_enter(int device_type, int dtype, ct_error *err) {
  CT_TRY(-1, {
    auto dev = (at::DeviceType)device_type;
    int was = at::autocast::is_autocast_enabled(dev);
    at::autocast::set_autocast_enabled(dev, true);
    at::autocast::set_autocast_dtype(dev, st(dtype));
    at::autocast::increment_nesting();
    return was;
  })
}

int ct_autocast_exit(int device_type, int was_enabled, int prev_dtype, ct_error *err) {
  CT_TRY(-1, {
    auto dev = (at::DeviceType)device_type;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(dev, was_enabled != 0);
    at::autocast::set_autocast_dtype(dev, st(prev_dtype));
    return 0;
  })
}

int ct_autocast_enabled(int device_type) { return at::autocast::is_autocast_enabled((at::DeviceType)device_type); }
int ct_autocast_dtype(int device_type) { return (int)at::autocast::get_autocast_dtype((at::DeviceType)device_type); }

// ---- serialization

static void flatten(const c10::IValue &v, const std::string &prefix, ct_named_tensor_cb cb, void *ctx) {
  if (v.isTensor()) {
    cb(ctx, prefix.c_str(), wrap(v.toTensor()));
  } else if (v.isGenericDict()) {
    for (const auto &kv : v.toGenericDict()) {
      const auto &k = kv.key(); // optimizer state is keyed by parameter index
      std::string key = k.isString() ? k.toStringRef() : k.isInt() ? std::to_string(k.toInt()) : k.tagKind();
      flatten(kv.value(), prefix.empty() ? key : prefix + "." + key, cb, ctx);
    }
  } else if (v.isTuple() || v.isList()) {
    auto elems = v.isTuple() ? v.toTupleRef().elements().vec() : v.toListRef().vec();
    for (size_t i = 0; i < elems.size(); i++)
      flatten(elems[i], prefix.empty() ? std::to_string(i) : prefix + "." + std::to_string(i), cb, ctx);
  }
  // Other values (ints, strings: epoch counters, metadata) carry no tensors and are skipped.
}

// torch.save writes a state_dict as a collections.OrderedDict (REDUCE with no arguments) followed
// by a BUILD that sets its `_metadata`. libtorch's unpickler turns every OrderedDict into None,
// so those files (every ImageNet or training checkpoint) fail with "Expected GenericDict". The
// opcode stream is rewritten before unpickling: the OrderedDict class and each `OrderedDict()`
// become an empty dict, and BUILD (which libtorch only knows for TorchScript objects) becomes a
// SETITEM of its state under the key "__build_state__" (no tensors there, so nothing is listed).
// To find where BUILD's state starts, the stack is tracked as the output offsets of its items.
static uint32_t le32(const std::string &s, size_t i) {
  TORCH_CHECK(i + 4 <= s.size(), "truncated pickle");
  return (uint32_t)(uint8_t)s[i] | (uint32_t)(uint8_t)s[i + 1] << 8 | (uint32_t)(uint8_t)s[i + 2] << 16 |
         (uint32_t)(uint8_t)s[i + 3] << 24;
}

static std::string rewrite_ordered_dicts(const std::string &in) {
  if (in.find("collections\nOrderedDict\n") == std::string::npos) return in;
  std::string out;
  out.reserve(in.size());
  std::vector<bool> memo_od; // memo slots holding the OrderedDict class
  size_t memo_len = 0;
  bool top_is_od = false; // the last value pushed is the OrderedDict class
  auto line_end = [&](size_t from) {
    size_t e = in.find('\n', from);
    TORCH_CHECK(e != std::string::npos, "truncated pickle");
    return e + 1;
  };
  auto mark_memo = [&](size_t k, bool od) {
    if (memo_od.size() <= k) memo_od.resize(k + 1, false);
    memo_od[k] = od;
    memo_len = std::max(memo_len, k + 1);
  };
  auto is_od_slot = [&](size_t k) { return k < memo_od.size() && memo_od[k]; };
  const size_t MARK = SIZE_MAX;
  std::vector<size_t> stack; // output offset where each item's opcodes start; MARK for '('
  auto pop_to_mark = [&]() {
    while (!stack.empty() && stack.back() != MARK) stack.pop_back();
    TORCH_CHECK(!stack.empty(), "pickle: no MARK");
    size_t start = out.size(); // the mark's own offset is not kept; the replacement starts here
    stack.pop_back();
    return start;
  };
  auto pop = [&](size_t k) {
    TORCH_CHECK(stack.size() >= k, "pickle: stack underflow");
    size_t start = stack[stack.size() - k];
    stack.resize(stack.size() - k);
    return start;
  };
  size_t i = 0;
  while (i < in.size()) {
    uint8_t op = (uint8_t)in[i];
    size_t at = out.size();
    size_t n = 1;     // bytes of this opcode and its argument
    bool pushes_od = false, keeps_top = false;
    switch (op) {
    case 'c': { // GLOBAL module\nname\n
      size_t a = line_end(i + 1), b = line_end(a);
      pushes_od = in.compare(i + 1, b - i - 1, "collections\nOrderedDict\n") == 0;
      n = b - i;
      break;
    }
    case 'h': n = 2; pushes_od = is_od_slot((uint8_t)in[i + 1]); break;          // BINGET
    case 'j': n = 5; pushes_od = is_od_slot(le32(in, i + 1)); break;             // LONG_BINGET
    case 'g': n = line_end(i + 1) - i; pushes_od = is_od_slot(std::stoul(in.substr(i + 1, n - 2))); break;
    case 'q': n = 2; mark_memo((uint8_t)in[i + 1], top_is_od); keeps_top = true; break;  // BINPUT
    case 'r': n = 5; mark_memo(le32(in, i + 1), top_is_od); keeps_top = true; break;     // LONG_BINPUT
    case 'p': n = line_end(i + 1) - i; mark_memo(std::stoul(in.substr(i + 1, n - 2)), top_is_od); keeps_top = true; break;
    case 0x94: mark_memo(memo_len, top_is_od); keeps_top = true; break;          // MEMOIZE
    case 0x80: case 'K': case 0x82: n = 2; break;                                 // 1-byte argument
    case 'U': case 'C': case 0x8c: n = 2 + (uint8_t)in[i + 1]; break;             // 1-byte length + data
    case 'M': case 0x83: n = 3; break;
    case 'J': case 0x84: n = 5; break;
    case 'G': case 0x95: n = 9; break;
    case 'X': case 'T': case 'B': case 0x8b: n = 5 + le32(in, i + 1); break;     // 4-byte length + data
    case 0x8a: n = 2 + (uint8_t)in[i + 1]; break;                                 // LONG1
    case 0x8d: case 0x8e: case 0x96: {                                            // 8-byte length + data
      n = 9 + (le32(in, i + 1) | (uint64_t)le32(in, i + 5) << 32);
      break;
    }
    case 'I': case 'L': case 'F': case 'S': case 'V': case 'P': n = line_end(i + 1) - i; break;
    case 'i': n = line_end(line_end(i + 1)) - i; break;
    default: break; // no argument
    }
    TORCH_CHECK(i + n <= in.size(), "truncated pickle");
    if (pushes_od) {
      out.push_back('}'); // the class itself stands in as the empty dict that calling it makes
      stack.push_back(at);
      top_is_od = true;
      i += n;
      continue;
    }
    if (top_is_od && op == ')' && i + 1 < in.size() && in[i + 1] == 'R') {
      top_is_od = false; // `OrderedDict()`: the dict is already on the stack
      i += 2;
      continue;
    }
    if (!keeps_top) top_is_od = false;
    if (op == 'b') {
      size_t start = pop(1);
      static const std::string key = "__build_state__";
      std::string x(1, 'X');
      for (int b = 0; b < 4; b++) x.push_back((char)((key.size() >> (8 * b)) & 0xff));
      out.insert(start, x + key);
      out.push_back('s');
      i += n;
      continue;
    }
    out.append(in, i, n);
    switch (op) {
    case '(': stack.push_back(MARK); break;
    case '0': pop(1); break;
    case '1': pop_to_mark(); break;
    case '2': stack.push_back(at); break;
    case 't': case 'l': case 'd': case 0x91: case 'i': case 'o': {
      // pops to the mark, pushes one item that starts where the mark was
      size_t k = stack.size();
      while (k > 0 && stack[k - 1] != MARK) k--;
      TORCH_CHECK(k > 0, "pickle: no MARK");
      size_t start = k < stack.size() ? stack[k] : at;
      stack.resize(k - 1);
      stack.push_back(start);
      break;
    }
    case 'a': pop(1); break;
    case 's': pop(2); break;
    case 'e': case 'u': case 0x90: pop_to_mark(); break;
    case 0x85: break;
    case 0x86: stack.push_back(pop(2)); break;
    case 0x87: stack.push_back(pop(3)); break;
    case 'R': case 0x81: case 0x93: stack.push_back(pop(2)); break;
    case 0x92: stack.push_back(pop(3)); break;
    case 'Q': break; // BINPERSID: pops the id, pushes the object
    case 'q': case 'r': case 'p': case 0x94: case 0x80: case 0x95: case '.': break;
    default: stack.push_back(at); break; // every other opcode pushes one value
    }
    i += n;
  }
  return out;
}

// readArchiveAndTensors("data", ...) with the pickle rewritten as above.
static c10::IValue read_torch_save(caffe2::serialize::PyTorchStreamReader &reader) {
  auto [ptr, size] = reader.getRecord("data.pkl");
  std::string pickle = rewrite_ordered_dicts(std::string(static_cast<const char *>(ptr.get()), size));
  size_t pos = 0;
  auto read = [&](char *buf, size_t len) -> size_t {
    size_t n = std::min(len, pickle.size() - pos);
    std::memcpy(buf, pickle.data() + pos, n);
    pos += n;
    return n;
  };
  auto read_record = [&](const std::string &name) { return std::get<0>(reader.getRecord("data/" + name)); };
  torch::jit::Unpickler unpickler(read, nullptr, nullptr, read_record, at::Device(at::kCPU));
  unpickler.set_version(reader.version());
  return unpickler.parse_ivalue();
}

int ct_load_pickle(const char *path, ct_named_tensor_cb cb, void *ctx, ct_error *err) {
  CT_TRY(-1, {
    caffe2::serialize::PyTorchStreamReader reader(std::string{path});
    // Map every storage to the CPU so a checkpoint saved on a GPU loads anywhere.
    auto value = read_torch_save(reader);
    flatten(value, "", cb, ctx);
    return 0;
  })
}

int ct_save_pickle(const char *path, const char *const *names, const ct_tensor *ts, int n, ct_error *err) {
  CT_TRY(-1, {
    c10::Dict<std::string, Tensor> dict;
    for (int i = 0; i < n; i++) dict.insert(names[i], T(ts[i]).detach().to(at::kCPU));
    // torch.save's layout: data.pkl plus one record per storage. Aggregates are written untagged so
    // that torch.load(weights_only=True) accepts the file.
    std::vector<char> pickled;
    torch::jit::Pickler pickler([&](const char *buf, size_t len) { pickled.insert(pickled.end(), buf, buf + len); },
                                nullptr, nullptr, nullptr, nullptr, /*tag_aggregates=*/false);
    pickler.protocol();
    pickler.pushIValue(c10::IValue(dict));
    pickler.stop();
    caffe2::serialize::PyTorchStreamWriter writer{std::string(path)};
    torch::jit::writeArchiveAndTensors("data", pickled.data(), pickled.size(), pickler.tensorData(), writer);
    writer.writeEndOfFile();
    return 0;
  })
}

int ct_set_data(ct_tensor t, ct_tensor src, ct_error *err) {
  CT_TRY(-1, {
    T(t).set_data(T(src));
    return 0;
  })
}

int ct_silu_(ct_tensor t, ct_error *err) {
  CT_TRY(-1, {
    at::silu_(T(t));
    return 0;
  })
}

} // extern "C"
