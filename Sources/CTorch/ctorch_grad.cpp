// The shim's autograd, optimizer kernels and autocast scopes (per-thread state in libtorch).
#include "shim.h"

#include <ATen/autocast_mode.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

using namespace ctorch;

namespace {
// silu(batch_norm(x)) in training mode, saving what BatchNorm's backward needs (x and the batch statistics)
// and not the normalised output that SiLU's backward reads: that is recomputed in backward (one pass over
// x). The autograd graph of the two ops saves both x and y, a full activation more per pair (EfficientNet:
// a quarter of what a training step keeps).
struct BatchNormSiLU : torch::autograd::Function<BatchNormSiLU> {
  static Tensor forward(torch::autograd::AutogradContext *ctx, const Tensor &x, const Tensor &w, const Tensor &b,
                        const Tensor &running_mean, const Tensor &running_var, double momentum, double eps) {
    auto [y, mean, invstd] = at::native_batch_norm(x, w, b, running_mean, running_var, true, momentum, eps);
    ctx->save_for_backward({x, w, b, mean, invstd});
    ctx->saved_data["eps"] = eps;
    return at::silu_(y); // y is this function's own buffer: nothing else reads it
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list grads) {
    auto s = ctx->get_saved_variables();
    const Tensor &x = s[0], &w = s[1], &b = s[2], &mean = s[3], &invstd = s[4];
    std::vector<int64_t> shape(x.dim(), 1);
    shape[1] = x.size(1);
    // y = x * alpha + beta per channel, the form of the CPU kernel's forward transform.
    auto alpha = invstd * w;
    auto beta = b - mean * alpha;
    Tensor gy = at::silu_backward(grads[0], at::addcmul(beta.view(shape), x, alpha.view(shape)));
    auto [gx, gw, gb] = at::native_batch_norm_backward(
        gy, x, w, std::nullopt, std::nullopt, mean, invstd, true, ctx->saved_data["eps"].toDouble(),
        {ctx->needs_input_grad(0), ctx->needs_input_grad(1), ctx->needs_input_grad(2)});
    return {gx, gw, gb, Tensor(), Tensor(), Tensor(), Tensor()};
  }
};

// conv1x1(x * gate, w) (squeeze-excitation's gate, then the block's 1x1 projection) saving x, gate and w:
// the gated activation x * gate, which the two ops would keep for the convolution's backward, is recomputed
// there (one multiply).
struct GatedConv1x1 : torch::autograd::Function<GatedConv1x1> {
  static Tensor forward(torch::autograd::AutogradContext *ctx, const Tensor &x, const Tensor &gate, const Tensor &w) {
    ctx->save_for_backward({x, gate, w});
    return at::conv2d(x * gate, w);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx,
                                                 torch::autograd::variable_list grads) {
    auto s = ctx->get_saved_variables();
    const Tensor &x = s[0], &gate = s[1], &w = s[2];
    auto [gin, gw, gb] = at::convolution_backward(grads[0], x * gate, w, std::nullopt, {1, 1}, {0, 0}, {1, 1}, false,
                                                  {0, 0}, 1, {true, ctx->needs_input_grad(2), false});
    Tensor gx = ctx->needs_input_grad(0) ? gin * gate : Tensor();
    Tensor gg = ctx->needs_input_grad(1) ? (gin * x).sum({2, 3}, true) : Tensor();
    return {gx, gg, gw};
  }
};
} // namespace

extern "C" {

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
int ct_autograd_grad(ct_tensor output, const ct_tensor *inputs, int n, ct_tensor *grads, ct_error *err) {
  CT_TRY(-1, {
    auto in = list(inputs, n);
    auto gs = torch::autograd::grad({T(output)}, in, /*grad_outputs=*/{}, /*retain_graph=*/false,
                                    /*create_graph=*/false, /*allow_unused=*/true);
    for (int i = 0; i < n; i++) grads[i] = wrap(gs[i].defined() ? gs[i] : at::zeros_like(in[i]));
    return 0;
  })
}
ct_tensor ct_interpolate_bilinear(ct_tensor x, int64_t h, int64_t w, int align_corners, ct_error *err) {
  CT_TRY(nullptr, return wrap(at::upsample_bilinear2d(T(x), {h, w}, align_corners != 0));)
}
ct_tensor ct_batch_norm_silu(ct_tensor x, ct_tensor w, ct_tensor b, ct_tensor running_mean, ct_tensor running_var,
                             double momentum, double eps, ct_error *err) {
  CT_TRY(nullptr, {
    const Tensor &in = T(x);
    TORCH_CHECK(in.scalar_type() == at::kFloat && in.device().is_cpu() && in.dim() >= 2,
                "batch_norm_silu: float32 CPU input of at least 2 dimensions, got ", in.scalar_type(), " on ",
                in.device(), " with ", in.dim());
    return wrap(BatchNormSiLU::apply(in, T(w), T(b), T(running_mean), T(running_var), momentum, eps));
  })
}
ct_tensor ct_gated_conv1x1(ct_tensor x, ct_tensor gate, ct_tensor w, ct_error *err) {
  CT_TRY(nullptr, {
    const Tensor &in = T(x), &k = T(w);
    TORCH_CHECK(in.scalar_type() == at::kFloat && in.device().is_cpu() && in.dim() == 4 && k.dim() == 4 &&
                    k.size(2) == 1 && k.size(3) == 1,
                "gated_conv1x1: float32 CPU NCHW input and a 1x1 kernel");
    return wrap(GatedConv1x1::apply(in, T(gate), k));
  })
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

} // extern "C"
