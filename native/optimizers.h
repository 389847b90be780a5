// Native optimizers (AdamW, SGD), gradient clipping and loss-scaler arithmetic. Each mirrors
// PyTorch's Python implementation op for op (torch/optim/adam.py's _single_tensor_adam with
// decoupled weight decay, sgd.py's _single_tensor_sgd, nn/utils/clip_grad.py, amp's
// GradScaler kernels), so trajectories match PyTorch's to the bit where the kernels are shared.
#pragma once
#include <unordered_map>

#include "pch.h"

namespace tt::optim {

enum class Kind { AdamW, SGD };

struct ParamGroup {
  std::vector<at::Tensor> params;
  double lr = 1e-3;
  double weightDecay = 0;
  // AdamW
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool amsgrad = false;
  // SGD
  double momentum = 0, dampening = 0;
  bool nesterov = false;
  bool maximize = false;
};

// Per-parameter state, named as PyTorch's optimizer state dict names it.
struct ParamState {
  at::Tensor step;             // AdamW: a float32 scalar tensor, as PyTorch keeps it
  at::Tensor expAvg, expAvgSq, maxExpAvgSq;
  at::Tensor momentumBuffer;   // SGD
};

class Optimizer {
 public:
  explicit Optimizer(Kind kind) : kind_(kind) {}
  Kind kind() const { return kind_; }
  std::vector<ParamGroup>& groups() { return groups_; }
  // State of a parameter (created empty on first use).
  ParamState& state(const at::Tensor& param) { return state_[param.unsafeGetTensorImpl()]; }
  const ParamState* findState(const at::Tensor& param) const {
    auto it = state_.find(param.unsafeGetTensorImpl());
    return it == state_.end() ? nullptr : &it->second;
  }
  // One update of every parameter that has a gradient (under no_grad).
  void step();
  void zeroGrad(bool setToNone);
  // Every parameter of every group, in order (the indices of the state dict).
  std::vector<at::Tensor> allParams() const;

 private:
  void stepAdamW(ParamGroup& g);
  void stepSGD(ParamGroup& g);
  Kind kind_;
  std::vector<ParamGroup> groups_;
  std::unordered_map<c10::TensorImpl*, ParamState> state_;
};

// The gradients of those parameters that have one (the tensors themselves, for in-place updates).
std::vector<at::Tensor> gradsOf(const std::vector<at::Tensor>& params);

// clip_grad_norm_: returns the total norm (a 0-d tensor) after scaling the gradients by
// min(1, maxNorm / (total + 1e-6)); throws on a non-finite norm when asked to.
at::Tensor clipGradNorm(const std::vector<at::Tensor>& grads, double maxNorm, double normType, bool errorIfNonfinite);
// The total norm alone (no clipping).
at::Tensor totalNorm(const std::vector<at::Tensor>& grads, double normType);
void clipGradValue(const std::vector<at::Tensor>& grads, double clipValue);

// GradScaler's kernels: grads *= invScale, and foundInf = 1 if any gradient was non-finite.
void unscaleAndCheck(const std::vector<at::Tensor>& grads, at::Tensor& foundInf, const at::Tensor& invScale);
// _amp_update_scale_: back off on overflow, grow after growthInterval clean steps.
void updateScale(at::Tensor& scale, at::Tensor& growthTracker, const at::Tensor& foundInf, double growthFactor,
                 double backoffFactor, int64_t growthInterval);

}  // namespace tt::optim
