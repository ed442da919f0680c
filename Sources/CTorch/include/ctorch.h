// ctorch.h: a plain C view of libtorch, the pattern of tch-rs's torch_api.h.
// Every tensor is an opaque owned handle (ct_tensor); every function that makes one returns a
// new handle that the caller frees with ct_free. Errors never cross as C++ exceptions: a failing
// call returns NULL (or -1) and, when `err` is not NULL, stores a malloc'd message there that the
// caller frees with ct_free_error.
#ifndef CTORCH_H
#define CTORCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ct_tensor_s *ct_tensor;
typedef char *ct_error;

// dtype codes are c10::ScalarType values.
enum {
  CT_UINT8 = 0, CT_INT8 = 1, CT_INT16 = 2, CT_INT32 = 3, CT_INT64 = 4, CT_FLOAT16 = 5,
  CT_FLOAT32 = 6, CT_FLOAT64 = 7, CT_BOOL = 11, CT_BFLOAT16 = 15
};
// device types are c10::DeviceType values.
enum { CT_CPU = 0, CT_CUDA = 1 };

typedef enum {
  CT_NEG, CT_EXP, CT_LOG, CT_SQRT, CT_ABS, CT_RELU, CT_SILU, CT_SIGMOID,
  CT_LOG1P, CT_CEIL, CT_ROUND, CT_SIGN, CT_SQUARE
} ct_unary_op;

typedef enum {
  CT_ADD, CT_SUB, CT_MUL, CT_DIV, CT_POW, CT_MAXIMUM,
  CT_EQ, CT_NE, CT_LT, CT_LE, CT_GT, CT_GE, CT_LOGICAL_AND, CT_LOGICAL_OR
} ct_binary_op;

typedef enum { CT_SUM, CT_MEAN, CT_AMAX, CT_AMIN, CT_ARGMAX, CT_PROD, CT_STD, CT_VAR } ct_reduce_op;

void ct_free_error(ct_error err);
void ct_free(ct_tensor t);
const char *ct_torch_version(void);

// ---- threads, seeds, devices
void ct_set_num_threads(int n);
int ct_get_num_threads(void);
void ct_manual_seed(uint64_t seed);
// Loads libtorch_cuda.so (next to libtorch_cpu.so) so CUDA kernels register; 1 when loaded.
int ct_cuda_load(ct_error *err);
int ct_cuda_is_available(void);
int ct_cuda_device_count(void);
// Writes the device name into buf (via the CUDA driver); 0 on success.
int ct_cuda_device_name(int index, char *buf, int len);
void ct_cuda_synchronize(int index, ct_error *err);
// cuDNN's autotuner (torch.backends.cudnn.benchmark): picks the fastest algorithm per input shape.
void ct_set_cudnn_benchmark(int on);
int ct_cudnn_benchmark(void);

// ---- the caching CPU allocator (ctorch_alloc.cpp)
// Bytes of the large blocks: asked = what tensors requested, live = blocks in use (page-rounded, or a larger
// cached block reused), cached = free blocks kept for reuse, mapped = live + cached.
typedef struct {
  uint64_t asked_bytes, live_bytes, cached_bytes, mapped_bytes;
  uint64_t peak_asked_bytes, peak_mapped_bytes;
  uint64_t hits, misses, evictions;
} ct_cpu_cache_stats;
// Serves CPU tensors of at least min_bytes from the cache from now on (once per process; 1 the first time).
int ct_cpu_cache_install(uint64_t min_bytes);
// 0 when the cache is not installed.
int ct_cpu_cache_get_stats(ct_cpu_cache_stats *out);
// Unmaps every cached free block.
void ct_cpu_cache_release(void);
// A private cache with the same policy (not installed), for tests; take returns its blocks, give frees them.
typedef struct ct_cpu_cache_s *ct_cpu_cache;
ct_cpu_cache ct_cpu_cache_new(uint64_t min_bytes);
void ct_cpu_cache_delete(ct_cpu_cache c);
void *ct_cpu_cache_take(ct_cpu_cache c, uint64_t n, ct_error *err);
// 1 when p was a live block of c.
int ct_cpu_cache_give(ct_cpu_cache c, void *p);
void ct_cpu_cache_stats_of(ct_cpu_cache c, ct_cpu_cache_stats *out);
void ct_cpu_cache_release_of(ct_cpu_cache c);

// ---- creation and inspection
ct_tensor ct_from_data(const void *data, const int64_t *shape, int ndim, int dtype, ct_error *err);
ct_tensor ct_full(const int64_t *shape, int ndim, double value, int dtype, int device_type, int device_index, ct_error *err);
// A CPU tensor whose values are whatever the memory held (for a caller that writes every element);
// pinned = page-locked, for asynchronous copies to a GPU (needs CUDA).
ct_tensor ct_empty_cpu(const int64_t *shape, int ndim, int dtype, int pinned, ct_error *err);
ct_tensor ct_arange(double start, double end, double step, int dtype, ct_error *err);
ct_tensor ct_randn(const int64_t *shape, int ndim, int dtype, ct_error *err);
ct_tensor ct_rand(const int64_t *shape, int ndim, int dtype, ct_error *err);
ct_tensor ct_randint(int64_t low, int64_t high, const int64_t *shape, int ndim, ct_error *err);
int ct_ndim(ct_tensor t);
void ct_shape(ct_tensor t, int64_t *out);
int64_t ct_numel(ct_tensor t);
int ct_dtype(ct_tensor t);
int ct_device_type(ct_tensor t);
int ct_device_index(ct_tensor t);
int ct_is_contiguous(ct_tensor t);
// Copies the elements (converted to contiguous CPU memory of the tensor's dtype) into dst.
int ct_copy_out(ct_tensor t, void *dst, size_t nbytes, ct_error *err);
// Raw pointer to the data of a contiguous CPU tensor (NULL otherwise); valid while t lives.
void *ct_data_ptr(ct_tensor t);
double ct_item(ct_tensor t, ct_error *err);

// ---- elementwise
ct_tensor ct_unary(ct_tensor a, ct_unary_op op, ct_error *err);
ct_tensor ct_binary(ct_tensor a, ct_tensor b, ct_binary_op op, ct_error *err);
ct_tensor ct_binary_scalar(ct_tensor a, double s, ct_binary_op op, ct_error *err);
ct_tensor ct_rsub_scalar(double s, ct_tensor a, ct_error *err);
ct_tensor ct_clamp(ct_tensor a, double lo, double hi, int has_lo, int has_hi, ct_error *err);
ct_tensor ct_where(ct_tensor cond, ct_tensor a, ct_tensor b, ct_error *err);

// ---- linear algebra and nn functional
ct_tensor ct_matmul(ct_tensor a, ct_tensor b, ct_error *err);
ct_tensor ct_linear(ct_tensor x, ct_tensor w, ct_tensor b /* nullable */, ct_error *err);
ct_tensor ct_conv2d(ct_tensor x, ct_tensor w, ct_tensor b /* nullable */, const int64_t *stride,
                    const int64_t *padding, const int64_t *dilation, int64_t groups, ct_error *err);
// pads holds (left, right, top, bottom, ...) as torch.nn.functional.pad.
ct_tensor ct_pad(ct_tensor x, const int64_t *pads, int npads, double value, ct_error *err);
ct_tensor ct_batch_norm(ct_tensor x, ct_tensor w, ct_tensor b, ct_tensor running_mean, ct_tensor running_var,
                        int training, double momentum, double eps, ct_error *err);
ct_tensor ct_max_pool2d(ct_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                        int ceil_mode, ct_error *err);
ct_tensor ct_avg_pool2d(ct_tensor x, const int64_t *kernel, const int64_t *stride, const int64_t *padding,
                        int ceil_mode, int count_include_pad, ct_error *err);
ct_tensor ct_adaptive_avg_pool2d(ct_tensor x, const int64_t *out_size, ct_error *err);
ct_tensor ct_softmax(ct_tensor x, int64_t dim, ct_error *err);
ct_tensor ct_log_softmax(ct_tensor x, int64_t dim, ct_error *err);
ct_tensor ct_dropout(ct_tensor x, double p, int training, ct_error *err);
// reduction: 0 none, 1 mean, 2 sum
ct_tensor ct_cross_entropy(ct_tensor logits, ct_tensor target, int reduction, ct_error *err);

// ---- shapes
ct_tensor ct_cat(const ct_tensor *ts, int n, int64_t dim, ct_error *err);
ct_tensor ct_stack(const ct_tensor *ts, int n, int64_t dim, ct_error *err);
ct_tensor ct_reshape(ct_tensor x, const int64_t *shape, int ndim, ct_error *err);
ct_tensor ct_permute(ct_tensor x, const int64_t *dims, int ndim, ct_error *err);
ct_tensor ct_transpose(ct_tensor x, int64_t d0, int64_t d1, ct_error *err);
ct_tensor ct_flip(ct_tensor x, const int64_t *dims, int ndim, ct_error *err);
ct_tensor ct_narrow(ct_tensor x, int64_t dim, int64_t start, int64_t length, ct_error *err);
ct_tensor ct_slice(ct_tensor x, int64_t dim, int64_t start, int64_t end, int64_t step, ct_error *err);
ct_tensor ct_select(ct_tensor x, int64_t dim, int64_t index, ct_error *err);
ct_tensor ct_index_select(ct_tensor x, int64_t dim, ct_tensor index, ct_error *err);
ct_tensor ct_squeeze(ct_tensor x, int64_t dim, ct_error *err);
ct_tensor ct_unsqueeze(ct_tensor x, int64_t dim, ct_error *err);
ct_tensor ct_contiguous(ct_tensor x, int channels_last, ct_error *err);
ct_tensor ct_to(ct_tensor x, int device_type, int device_index, int dtype, int non_blocking, ct_error *err);
ct_tensor ct_detach(ct_tensor x, ct_error *err);
// A copy in page-locked host memory (CUDA's caching host allocator), so a non_blocking copy to the GPU is
// asynchronous. Needs libtorch_cuda loaded and a device; an error otherwise.
ct_tensor ct_pin_memory(ct_tensor x, ct_error *err);
int ct_is_pinned(ct_tensor x); // 0 where CUDA is absent

// ---- reductions (dims NULL / ndim 0 = all)
ct_tensor ct_reduce(ct_tensor x, ct_reduce_op op, const int64_t *dims, int ndim, int keepdim, ct_error *err);

// ---- in place
int ct_copy_(ct_tensor dst, ct_tensor src, ct_error *err);
int ct_fill_(ct_tensor t, double v, ct_error *err);
int ct_normal_(ct_tensor t, double mean, double std, ct_error *err);
int ct_uniform_(ct_tensor t, double lo, double hi, ct_error *err);
int ct_mul_scalar_(ct_tensor t, double s, ct_error *err);
int ct_add_(ct_tensor t, ct_tensor other, double alpha, ct_error *err);

// ---- autograd
int ct_requires_grad(ct_tensor t);
int ct_set_requires_grad(ct_tensor t, int on, ct_error *err);
int ct_backward(ct_tensor t, ct_error *err);
ct_tensor ct_grad(ct_tensor t); // NULL when no gradient
int ct_zero_grad(ct_tensor t);  // drops the gradient, as set_to_none=True
// torch::autograd::grad of the scalar `output` w.r.t. `inputs` (leaf or not), without touching any .grad;
// writes n new handles to grads (an input the output does not depend on gets zeros). Frees the graph.
int ct_autograd_grad(ct_tensor output, const ct_tensor *inputs, int n, ct_tensor *grads, ct_error *err);
// F.interpolate(x, size=(h, w), mode="bilinear", align_corners=...) on an NCHW tensor.
ct_tensor ct_interpolate_bilinear(ct_tensor x, int64_t h, int64_t w, int align_corners, ct_error *err);
// silu(batch_norm(x)) in training mode (running statistics updated) for float32 CPU input, saving one
// activation less for backward than the two ops: the normalised values are recomputed there.
ct_tensor ct_batch_norm_silu(ct_tensor x, ct_tensor w, ct_tensor b, ct_tensor running_mean, ct_tensor running_var,
                             double momentum, double eps, ct_error *err);
// conv2d(x * gate, w) for a 1x1 kernel (stride 1, no padding, no bias) on float32 CPU input, recomputing
// x * gate in backward instead of keeping it.
ct_tensor ct_gated_conv1x1(ct_tensor x, ct_tensor gate, ct_tensor w, ct_error *err);
int ct_grad_enabled(void);
void ct_set_grad_enabled(int on);
// Sum of squares of all grads -> clip in place to max_norm; returns the total norm (or -1).
double ct_clip_grad_norm(const ct_tensor *params, int n, double max_norm, ct_error *err);
// torch.optim.Adam's fused kernel over all parameters at once (steps are float32 scalars).
int ct_adam_step(const ct_tensor *params, const ct_tensor *exp_avg, const ct_tensor *exp_avg_sq,
                 const ct_tensor *steps, int n, double lr, double beta1, double beta2, double eps,
                 double weight_decay, ct_error *err);

// ---- autocast (thread local, as in libtorch)
int ct_autocast_enter(int device_type, int dtype, ct_error *err);
int ct_autocast_exit(int device_type, int was_enabled, int prev_dtype, ct_error *err);
int ct_autocast_enabled(int device_type);
int ct_autocast_dtype(int device_type);

// ---- serialization (torch.save zip archives)
typedef void (*ct_named_tensor_cb)(void *ctx, const char *name, ct_tensor t);
// Loads a file written by torch.save: a (nested) dict of tensors; nested keys are joined with '.'.
int ct_load_pickle(const char *path, ct_named_tensor_cb cb, void *ctx, ct_error *err);
// Writes an ordered dict name -> tensor that torch.load reads.
int ct_save_pickle(const char *path, const char *const *names, const ct_tensor *ts, int n, ct_error *err);

// ---- in-place helpers the models use
// Points t at src's data (any shape, strides or memory format), keeping t's identity, autograd leaf
// status and gradient flag, as python's `param.data = src` (used for channels-last weights).
int ct_set_data(ct_tensor t, ct_tensor src, ct_error *err);
// x = silu(x) in place (inference: saves a buffer per activation, as nn.SiLU(inplace=True)).
int ct_silu_(ct_tensor t, ct_error *err);

#ifdef __cplusplus
}
#endif
#endif
