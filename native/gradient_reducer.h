// GradientReducer: data parallelism's gradient all-reduce overlapped with backward, as DDP's Reducer
// (torch/csrc/distributed/c10d/reducer.cpp) does it. A post hook on every parameter's gradient
// accumulator marks the parameter ready; once every parameter of a bucket is, the bucket's
// gradients are copied into one flat buffer and its all-reduce starts (async c10d work), while
// backward goes on with earlier layers. Buckets start strictly in order (bucket i after buckets
// < i), so every rank issues the same collectives in the same order. finalize(), called from JS
// after backward, starts what is left, waits for all, and writes the sums back into .grad.
//
// Why not c10d::Reducer itself: its constructor wants the Python-side bucket plan, a logger and a
// comm hook interface, and its gradient-as-bucket-view and division policy differ from ours (we sum
// and divide by the global item count afterwards); this is the part of it we need.
//
// Correctness never depends on a hook firing: a parameter whose hook did not fire in this backward
// (its gradient came in an earlier micro-batch of the window, or it was not used at all) is taken
// from .grad at finalize, or as zeros when it has none (then it gets the reduced gradient, so every
// rank's optimizer sees the same parameters). Hooks run on the autograd engine's threads: they
// touch no JS, only this struct under its mutex. Hooks are armed only for the backward of a
// window's last micro-batch (DDP's no_sync elsewhere).
//
// Included by bind_distributed.cpp only, inside its TT_DISTRIBUTED_GLOO block.
#pragma once

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/utils/lambda_post_hook.h>
#include <torch/csrc/autograd/variable.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tt::dist {

#if TT_TORCH_AT_LEAST(2, 0)
using ReducerBackend = c10d::Backend;
#else
using ReducerBackend = c10d::ProcessGroup;
#endif

// shared_ptr<Node> in 1.13, intrusive_ptr<Node> in recent releases.
using GradAccumulator = decltype(torch::autograd::impl::grad_accumulator(std::declval<const at::Tensor&>()));

class GradientReducer : public std::enable_shared_from_this<GradientReducer> {
 public:
  // `buckets` holds indices into `params`, each bucket of one dtype and device.
  GradientReducer(c10::intrusive_ptr<ReducerBackend> backend, std::chrono::milliseconds timeout, std::vector<at::Tensor> params,
                  std::vector<std::vector<size_t>> buckets)
      : backend_(std::move(backend)), timeout_(timeout), params_(std::move(params)), buckets_(std::move(buckets)) {
    bucketOf_.assign(params_.size(), 0);
    for (size_t b = 0; b < buckets_.size(); b++)
      for (size_t i : buckets_[b]) bucketOf_[i] = b;
  }

  // Hooks hold a weak reference: a reducer that is gone (a new attach, the group destroyed) leaves
  // hooks that do nothing, and no cycle through the accumulators it keeps alive.
  void installHooks() {
    std::weak_ptr<GradientReducer> weak = weak_from_this();
    for (size_t i = 0; i < params_.size(); i++) {
      auto acc = torch::autograd::impl::grad_accumulator(params_[i]);
      if (!acc) throw std::runtime_error("parameter #" + std::to_string(i) + " does not require grad (or is not a leaf)");
      acc->add_post_hook(std::make_unique<torch::autograd::utils::LambdaPostHook>(
          [weak, i](const torch::autograd::variable_list& outputs, const torch::autograd::variable_list&) {
            if (auto self = weak.lock()) self->markReady(i);
            return outputs;
          }));
      // The variable holds its accumulator weakly: keep it alive, or the next graph makes a new one without our hook.
      accumulators_.push_back(std::move(acc));
    }
  }

  // Before the backward of a window's last micro-batch.
  void arm() {
    std::lock_guard<std::mutex> lock(mutex_);
    resetStep();
    armed_ = true;
  }

  // After that backward: starts the buckets not started yet, waits for all, writes back; returns how
  // many buckets had started during backward. Throws on a failure (the message is completed by the
  // caller with the group's description).
  size_t finalize() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!armed_) throw std::runtime_error("the gradient reducer was not armed before backward");
    armed_ = false;
    if (twice_ >= 0) {
      size_t p = static_cast<size_t>(twice_);
      resetStep();
      throw std::runtime_error("parameter #" + std::to_string(p) + " received its gradient twice in one backward (backward called twice on "
                               "a window's last micro-batch, or a parameter shared by two re-entrant checkpointed segments); "
                               "train with config.distributed { overlap: false }, which reduces after backward");
    }
    if (!launchError_.empty()) {
      std::string why = launchError_;
      resetStep();
      throw std::runtime_error(why);
    }
    size_t duringBackward = nextLaunch_;
    while (nextLaunch_ < buckets_.size()) launch(nextLaunch_++);
    for (size_t b = 0; b < buckets_.size(); b++) {
      if (!works_[b]->wait(timeout_)) throw std::runtime_error("timed out");
    }
    for (size_t b = 0; b < buckets_.size(); b++) {
      int64_t offset = 0;
      for (size_t i : buckets_[b]) {
        at::Tensor& p = params_[i];
        at::Tensor sum = flats_[b].narrow(0, offset, p.numel()).view(p.sizes());
        offset += p.numel();
        if (p.grad().defined()) {
          p.mutable_grad().copy_(sum);
        } else {
          p.mutable_grad() = sum.clone();
        }
      }
    }
    resetStep();
    return duringBackward;
  }

  size_t buckets() const { return buckets_.size(); }

 private:
  // Runs on an autograd thread.
  void markReady(size_t i) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!armed_) return;
    if (ready_[i]) {
      if (twice_ < 0) twice_ = static_cast<int64_t>(i);
      return;
    }
    ready_[i] = 1;
    size_t b = bucketOf_[i];
    if (--waiting_[b] > 0) return;
    // A launch failure must not throw into the autograd engine mid-graph: finalize reports it.
    try {
      while (nextLaunch_ < buckets_.size() && waiting_[nextLaunch_] == 0) launch(nextLaunch_++);
    } catch (const std::exception& e) {
      if (launchError_.empty()) launchError_ = e.what();
    }
  }

  // Copies bucket b's gradients (zeros for a parameter without one) into a flat buffer and starts
  // its all-reduce (sum). Called with the mutex held.
  void launch(size_t b) {
    std::vector<at::Tensor> pieces;
    pieces.reserve(buckets_[b].size());
    for (size_t i : buckets_[b]) {
      const at::Tensor& g = params_[i].grad();
      pieces.push_back(g.defined() ? g.reshape({-1}) : at::zeros({params_[i].numel()}, params_[i].options()));
    }
    flats_[b] = at::cat(pieces);
    std::vector<at::Tensor> tensors{flats_[b]};
    c10d::AllreduceOptions opts;
    opts.reduceOp = c10d::ReduceOp::SUM;
    opts.timeout = timeout_;
    works_[b] = backend_->allreduce(tensors, opts);
  }

  void resetStep() {
    ready_.assign(params_.size(), 0);
    waiting_.assign(buckets_.size(), 0);
    for (size_t b = 0; b < buckets_.size(); b++) waiting_[b] = buckets_[b].size();
    flats_.assign(buckets_.size(), at::Tensor());
    works_.assign(buckets_.size(), c10::intrusive_ptr<c10d::Work>());
    nextLaunch_ = 0;
    twice_ = -1;
    launchError_.clear();
  }

  std::mutex mutex_;
  c10::intrusive_ptr<ReducerBackend> backend_;
  std::chrono::milliseconds timeout_;
  std::vector<at::Tensor> params_;
  std::vector<std::vector<size_t>> buckets_;
  std::vector<size_t> bucketOf_;
  std::vector<GradAccumulator> accumulators_;
  bool armed_ = false;
  std::vector<char> ready_;
  std::vector<size_t> waiting_;
  std::vector<at::Tensor> flats_;
  std::vector<c10::intrusive_ptr<c10d::Work>> works_;
  size_t nextLaunch_ = 0;
  int64_t twice_ = -1;
  std::string launchError_;
};

}  // namespace tt::dist
