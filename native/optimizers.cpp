#include "optimizers.h"

#include "compat.h"

namespace tt::optim {

std::vector<at::Tensor> Optimizer::allParams() const {
  std::vector<at::Tensor> out;
  for (const auto& g : groups_) out.insert(out.end(), g.params.begin(), g.params.end());
  return out;
}

void Optimizer::step() {
  at::NoGradGuard noGrad;
  for (auto& g : groups_) {
    if (kind_ == Kind::AdamW) stepAdamW(g);
    else stepSGD(g);
  }
}

void Optimizer::zeroGrad(bool setToNone) {
  for (auto& g : groups_) {
    for (auto& p : g.params) {
      at::Tensor& grad = p.mutable_grad();
      if (!grad.defined()) continue;
      if (setToNone) grad = at::Tensor();
      else {
        if (grad.grad_fn()) grad = grad.detach();
        else grad.requires_grad_(false);
        grad.zero_();
      }
    }
  }
}

// torch/optim/adam.py, _single_tensor_adam with decoupled_weight_decay=True (AdamW), the
// non-capturable branch (1.13: adamw.py's _single_tensor_adamw): scalar arithmetic in double,
// exactly as Python computes it.
void Optimizer::stepAdamW(ParamGroup& g) {
  for (auto& param : g.params) {
    if (!param.grad().defined()) continue;
    at::Tensor grad = g.maximize ? param.grad().neg() : param.grad();
    ParamState& s = state(param);
    if (!s.step.defined()) {
      s.step = at::zeros({}, at::TensorOptions().dtype(at::kFloat));
      s.expAvg = at::zeros_like(param, at::MemoryFormat::Preserve);
      s.expAvgSq = at::zeros_like(param, at::MemoryFormat::Preserve);
      if (g.amsgrad) s.maxExpAvgSq = at::zeros_like(param, at::MemoryFormat::Preserve);
    }
    s.step.add_(1);
    if (g.weightDecay != 0) param.mul_(1 - g.lr * g.weightDecay);
    // PyTorch 2 moved the first moment to lerp_ and the bias correction to ** 0.5; 1.13 used
    // mul_/add_ and math.sqrt. Each target follows its own PyTorch, to the bit.
#if TT_TORCH_AT_LEAST(2, 0)
    s.expAvg.lerp_(grad, 1 - g.beta1);
#else
    s.expAvg.mul_(g.beta1).add_(grad, 1 - g.beta1);
#endif
    s.expAvgSq.mul_(g.beta2).addcmul_(grad, grad, 1 - g.beta2);
    double step = s.step.item<double>();
    double biasCorrection1 = 1 - std::pow(g.beta1, step);
    double biasCorrection2 = 1 - std::pow(g.beta2, step);
    double stepSize = g.lr / biasCorrection1;
#if TT_TORCH_AT_LEAST(2, 0)
    double biasCorrection2Sqrt = std::pow(biasCorrection2, 0.5);
#else
    double biasCorrection2Sqrt = std::sqrt(biasCorrection2);
#endif
    at::Tensor denom;
    if (g.amsgrad) {
      if (!s.maxExpAvgSq.defined()) s.maxExpAvgSq = at::zeros_like(param, at::MemoryFormat::Preserve);
      at::maximum_out(s.maxExpAvgSq, s.maxExpAvgSq, s.expAvgSq);
      denom = (s.maxExpAvgSq.sqrt() / biasCorrection2Sqrt).add_(g.eps);
    } else {
      denom = (s.expAvgSq.sqrt() / biasCorrection2Sqrt).add_(g.eps);
    }
    param.addcdiv_(s.expAvg, denom, -stepSize);
  }
}

// torch/optim/sgd.py, _single_tensor_sgd.
void Optimizer::stepSGD(ParamGroup& g) {
  for (auto& param : g.params) {
    if (!param.grad().defined()) continue;
    at::Tensor grad = g.maximize ? param.grad().neg() : param.grad();
    if (g.weightDecay != 0) grad = grad.add(param, g.weightDecay);
    if (g.momentum != 0) {
      ParamState& s = state(param);
      if (!s.momentumBuffer.defined()) s.momentumBuffer = grad.detach().clone();
      else s.momentumBuffer.mul_(g.momentum).add_(grad, 1 - g.dampening);
      grad = g.nesterov ? grad.add(s.momentumBuffer, g.momentum) : s.momentumBuffer;
    }
    param.add_(grad, -g.lr);
  }
}

std::vector<at::Tensor> gradsOf(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

// nn/utils/clip_grad.py, _get_total_norm: per-tensor norms (torch._foreach_norm where libtorch
// has it, as Python uses it), then the norm of their stack.
at::Tensor totalNorm(const std::vector<at::Tensor>& grads, double normType) {
  if (grads.empty()) return at::zeros({});
  std::vector<at::Tensor> norms = compat::foreachNorm(grads, normType);
  auto device = grads.front().device();
  for (auto& n : norms) n = n.to(device);
  return at::linalg_vector_norm(at::stack(norms), normType);
}

at::Tensor clipGradNorm(const std::vector<at::Tensor>& grads, double maxNorm, double normType, bool errorIfNonfinite) {
  at::NoGradGuard noGrad;
  at::Tensor total = totalNorm(grads, normType);
  if (errorIfNonfinite && (total.isnan().item<bool>() || total.isinf().item<bool>())) {
    throw std::runtime_error("The total norm of order " + std::to_string(normType) +
                             " for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this "
                             "error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false");
  }
  if (grads.empty()) return total;
  // Python's `max_norm / (total + 1e-6)` is Tensor.__rtruediv__: reciprocal, then multiply.
  at::Tensor coef = at::reciprocal(total.add(1e-6)).mul(maxNorm);
  at::Tensor clamped = at::clamp(coef, c10::nullopt, 1.0);
  for (const auto& g : grads) g.mul_(clamped.to(g.device()));
  return total;
}

void clipGradValue(const std::vector<at::Tensor>& grads, double clipValue) {
  at::NoGradGuard noGrad;
  for (const auto& g : grads) g.clamp_(-clipValue, clipValue);
}

void unscaleAndCheck(const std::vector<at::Tensor>& grads, at::Tensor& foundInf, const at::Tensor& invScale) {
  at::NoGradGuard noGrad;
  compat::nonFiniteCheckAndUnscale(grads, foundInf, invScale);
}

void updateScale(at::Tensor& scale, at::Tensor& growthTracker, const at::Tensor& foundInf, double growthFactor,
                 double backoffFactor, int64_t growthInterval) {
  at::NoGradGuard noGrad;
  compat::ampUpdateScale(scale, growthTracker, foundInf, growthFactor, backoffFactor, growthInterval);
}

}  // namespace tt::optim
