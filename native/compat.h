// Version differences between the libtorch targets (Debian's 1.13 and PyPI's 2.x), in one place.
// Everything else in native/ is written once against the API both versions share.
#pragma once
#include "pch.h"

#define TT_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace tt::compat {

// std/var: libtorch 2.x takes the correction as an optional Scalar, 1.13 as an optional int.
#if TT_TORCH_AT_LEAST(2, 0)
using Correction = std::optional<c10::Scalar>;
inline Correction correction(double c) { return c10::Scalar(c); }
#else
using Correction = c10::optional<int64_t>;
inline Correction correction(double c) { return static_cast<int64_t>(c); }
#endif

// The warning handler's virtual signature changed in 2.0 (a Warning object instead of three args).
#if TT_TORCH_AT_LEAST(2, 0)
struct WarningHandlerBase : c10::WarningHandler {
  virtual void onWarning(const std::string& msg) = 0;
  void process(const c10::Warning& w) override { onWarning(w.msg()); }
};
inline void setWarningHandler(c10::WarningHandler* h) { c10::WarningUtils::set_warning_handler(h); }
#else
struct WarningHandlerBase : c10::WarningHandler {
  virtual void onWarning(const std::string& msg) = 0;
  void process(const c10::SourceLocation&, const std::string& msg, const bool) override { onWarning(msg); }
};
inline void setWarningHandler(c10::WarningHandler* h) { c10::Warning::set_warning_handler(h); }
#endif

// at::pad (all modes in one op) arrived in 2.0; the C++ frontend's functional pad exists in both.
inline at::Tensor pad(const at::Tensor& x, std::vector<int64_t> pads, const std::string& mode, double value) {
  namespace F = torch::nn::functional;
  auto opts = F::PadFuncOptions(pads).value(value);
  if (mode == "constant") return F::pad(x, opts.mode(torch::kConstant));
  if (mode == "reflect") return F::pad(x, opts.mode(torch::kReflect));
  if (mode == "replicate") return F::pad(x, opts.mode(torch::kReplicate));
  if (mode == "circular") return F::pad(x, opts.mode(torch::kCircular));
  throw std::invalid_argument("pad: mode must be one of constant, reflect, replicate, circular; got '" + mode + "'");
}

}  // namespace tt::compat

namespace tt::compat {

// c10::optional is its own class in 1.13 and std::optional in 2.x; the readers return std::optional.
template <typename T>
c10::optional<T> opt(const std::optional<T>& v) {
  return v ? c10::optional<T>(*v) : c10::optional<T>();
}

inline c10::optional<c10::string_view> roundingMode(const std::optional<std::string>& mode) {
  if (!mode) return c10::optional<c10::string_view>();
  return c10::optional<c10::string_view>(c10::string_view(mode->data(), mode->size()));
}

// squeeze over several dims arrived in 2.0; 1.13 squeezes them one at a time, last first.
inline at::Tensor squeezeDims(const at::Tensor& x, std::vector<int64_t> dims) {
#if TT_TORCH_AT_LEAST(2, 0)
  return at::squeeze(x, dims);
#else
  for (auto& d : dims) d = c10::maybe_wrap_dim(d, x.dim());
  std::sort(dims.rbegin(), dims.rend());
  at::Tensor out = x;
  for (int64_t d : dims) out = at::squeeze(out, d);
  return out;
#endif
}

}  // namespace tt::compat

namespace tt::compat {

// rms_norm arrived in 2.4; before that, the same composite its implementation uses.
inline at::Tensor rmsNorm(const at::Tensor& x, at::IntArrayRef shape, const c10::optional<at::Tensor>& weight,
                          c10::optional<double> eps) {
#if TT_TORCH_AT_LEAST(2, 4)
  return at::rms_norm(x, shape, weight, eps);
#else
  std::vector<int64_t> dims;
  for (size_t i = 0; i < shape.size(); i++) dims.push_back(x.dim() - static_cast<int64_t>(i) - 1);
  bool reduced = x.scalar_type() == at::kHalf || x.scalar_type() == at::kBFloat16;
  at::Tensor up = reduced ? x.to(at::kFloat) : x;
  double e = eps ? *eps : (up.scalar_type() == at::kDouble ? std::numeric_limits<double>::epsilon() : std::numeric_limits<float>::epsilon());
  at::Tensor out = up.mul(at::rsqrt(at::pow(up, 2).mean(dims, true).add_(e))).type_as(x);
  return weight ? out.mul(*weight) : out;
#endif
}

// Scaled dot-product attention: libtorch's fused dispatch from 2.1; before that, the math
// reference in PyTorch's documentation, step for step.
inline at::Tensor scaledDotProductAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                            const c10::optional<at::Tensor>& mask, double dropout, bool causal,
                                            c10::optional<double> scale) {
#if TT_TORCH_AT_LEAST(2, 1)
  return at::scaled_dot_product_attention(q, k, v, mask, dropout, causal, scale);
#else
  int64_t L = q.size(-2), S = k.size(-2);
  double factor = scale ? *scale : 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  at::Tensor bias = at::zeros({L, S}, q.options());
  double ninf = -std::numeric_limits<double>::infinity();
  if (causal) bias.masked_fill_(at::ones({L, S}, q.options().dtype(at::kBool)).tril(0).logical_not(), ninf);
  if (mask) {
    if (mask->scalar_type() == at::kBool) bias.masked_fill_(mask->logical_not(), ninf);
    else bias = *mask + bias;
  }
  at::Tensor w = q.matmul(k.transpose(-2, -1)) * factor;
  w += bias;
  w = at::softmax(w, -1);
  w = at::dropout(w, dropout, true);
  return w.matmul(v);
#endif
}

}  // namespace tt::compat

namespace tt::compat {

inline std::vector<at::Tensor> foreachNorm(const std::vector<at::Tensor>& tensors, double ord) {
  return at::_foreach_norm(tensors, ord);
}

// GradScaler's kernels have CPU implementations from 2.3; before that (and always equivalently)
// the same arithmetic written out: multiply by invScale, flag any non-finite gradient.
inline void nonFiniteCheckAndUnscale(const std::vector<at::Tensor>& grads, at::Tensor& foundInf, const at::Tensor& invScale) {
#if TT_TORCH_AT_LEAST(2, 3)
  constexpr bool kernelEverywhere = true;
#else
  constexpr bool kernelEverywhere = false;
#endif
  if (grads.empty()) return;
  if (kernelEverywhere || grads.front().is_cuda()) {
    at::_amp_foreach_non_finite_check_and_unscale_(grads, foundInf, invScale);
    return;
  }
  for (const auto& g : grads) {
    foundInf.masked_fill_(at::isfinite(g).all().logical_not(), 1.0);  // no host read, like the kernel
    g.mul_(invScale);
  }
}

inline void ampUpdateScale(at::Tensor& scale, at::Tensor& growthTracker, const at::Tensor& foundInf, double growthFactor,
                           double backoffFactor, int64_t growthInterval) {
#if TT_TORCH_AT_LEAST(2, 3)
  constexpr bool kernelEverywhere = true;
#else
  constexpr bool kernelEverywhere = false;
#endif
  if (kernelEverywhere || scale.is_cuda()) {
    at::_amp_update_scale_(scale, growthTracker, foundInf, growthFactor, backoffFactor, growthInterval);
    return;
  }
  float current = scale.item<float>();
  if (foundInf.item<float>() != 0) {
    scale.fill_(static_cast<float>(current * backoffFactor));
    growthTracker.fill_(0);
    return;
  }
  int64_t successful = growthTracker.item<int64_t>() + 1;
  if (successful == growthInterval) {
    float grown = static_cast<float>(current * growthFactor);
    if (std::isfinite(grown)) scale.fill_(grown);
    growthTracker.fill_(0);
  } else {
    growthTracker.fill_(successful);
  }
}

}  // namespace tt::compat

#include <ATen/autocast_mode.h>

namespace tt::compat {

// Autocast state per device type: 2.4 made the API device-generic; 1.13 has CPU/GPU pairs.
inline bool autocastEnabled(at::DeviceType d) {
#if TT_TORCH_AT_LEAST(2, 4)
  return at::autocast::is_autocast_enabled(d);
#else
  return d == at::kCPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}
inline void setAutocastEnabled(at::DeviceType d, bool on) {
#if TT_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_enabled(d, on);
#else
  if (d == at::kCPU) at::autocast::set_cpu_enabled(on);
  else at::autocast::set_enabled(on);
#endif
}
inline at::ScalarType autocastDtype(at::DeviceType d) {
#if TT_TORCH_AT_LEAST(2, 4)
  return at::autocast::get_autocast_dtype(d);
#else
  return d == at::kCPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
}
inline void setAutocastDtype(at::DeviceType d, at::ScalarType t) {
#if TT_TORCH_AT_LEAST(2, 4)
  at::autocast::set_autocast_dtype(d, t);
#else
  if (d == at::kCPU) at::autocast::set_autocast_cpu_dtype(t);
  else at::autocast::set_autocast_gpu_dtype(t);
#endif
}

}  // namespace tt::compat
