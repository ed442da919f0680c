// The shim's nn functional, shape, reduction and in-place ops.
#include "shim.h"

using namespace ctorch;

extern "C" {

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

// python's `param.data = src` (channels-last weights).
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
