// Autograd: requires-grad flags, .grad, backward, torch.autograd.grad.
#include "boundary.h"
#include "registrars.h"

#include <torch/csrc/autograd/functions/utils.h>

#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>

namespace {

TT_BINDING(requiresGrad) { return Napi::Boolean::New(a.env(), a.tensor(0).requires_grad()); }

// requiresGrad_(x, flag): only leaves may change it, as in PyTorch (a clear c10 error otherwise).
TT_BINDING(requiresGrad_) {
  const at::Tensor& x = a.tensor(0);
  x.requires_grad_(a.boolean(1, true));
  return a.undefined();
}

TT_BINDING(isLeaf) { return Napi::Boolean::New(a.env(), a.tensor(0).is_leaf()); }
TT_BINDING(retainsGrad) { return Napi::Boolean::New(a.env(), a.tensor(0).retains_grad()); }

TT_BINDING(retainGrad) {
  a.tensor(0).retain_grad();
  return a.undefined();
}

// grad(x): a handle to x.grad, or -1 when it has none.
TT_BINDING(grad) { return Napi::Number::New(a.env(), tt::put(a.env(), a.tensor(0).grad())); }

// setGrad(x, g or -1): assigns x.grad (as `x.grad = g` in Python) or clears it.
TT_BINDING(setGrad) {
  const at::Tensor& x = a.tensor(0);
  auto g = a.optTensor(1);
  if (g) {
    if (g->sizes() != x.sizes())
      throw std::invalid_argument("assigned grad has shape " + c10::str(g->sizes()) + " but the tensor has shape " + c10::str(x.sizes()));
    if (g->scalar_type() != x.scalar_type())
      throw std::invalid_argument(std::string("assigned grad has dtype ") + c10::toString(g->scalar_type()) +
                                  " but the tensor has dtype " + c10::toString(x.scalar_type()));
    x.mutable_grad() = *g;
  } else {
    x.mutable_grad() = at::Tensor();
  }
  return a.undefined();
}

// gradFn(x): the name of the node that made x (e.g. 'AddBackward0'), or undefined for leaves.
TT_BINDING(gradFn) {
  const at::Tensor& x = a.tensor(0);
  auto fn = x.grad_fn();
  if (!fn) return a.undefined();
  return Napi::String::New(a.env(), fn->name());
}

// backward(x, gradient or -1, retainGraph?, createGraph?)
TT_BINDING(backward) {
  const at::Tensor& x = a.tensor(0);
  auto gradient = a.optTensor(1);
  bool createGraph = a.boolean(3, false);
  c10::optional<bool> retain = a.has(2) ? c10::optional<bool>(a.boolean(2)) : c10::optional<bool>();
  x.backward(gradient ? *gradient : at::Tensor(), retain, createGraph);
  return a.undefined();
}

// autogradGrad(outputs, inputs, gradOutputs or null, retainGraph?, createGraph?, allowUnused?)
// -> handles, -1 where an input is unused (with allowUnused).
TT_BINDING(autogradGrad) {
  auto outputs = a.tensors(0);
  auto inputs = a.tensors(1);
  std::vector<at::Tensor> gradOutputs;
  if (a.has(2)) {
    if (!a[2].IsArray()) a.typeError(2, "an array of gradients (a Tensor or null for each output)");
    Napi::Array arr = a[2].As<Napi::Array>();
    if (arr.Length() != outputs.size())
      a.rangeError(2, "has " + std::to_string(arr.Length()) + " gradients for " + std::to_string(outputs.size()) + " outputs");
    for (uint32_t k = 0; k < arr.Length(); k++) {
      Napi::Value v = arr[k];
      if (v.IsNull() || v.IsUndefined() || (v.IsNumber() && v.As<Napi::Number>().DoubleValue() == -1)) gradOutputs.emplace_back();
      else if (v.IsNumber()) gradOutputs.push_back(tt::tensorFromValue(v, a.fn(), 2));
      else a.typeError(2, "an array of Tensors or nulls");
    }
  }
  bool createGraph = a.boolean(4, false);
  c10::optional<bool> retain = a.has(3) ? c10::optional<bool>(a.boolean(3)) : c10::optional<bool>();
  bool allowUnused = a.boolean(5, false);
  auto grads = torch::autograd::grad(outputs, inputs, gradOutputs, retain, createGraph, allowUnused);
  Napi::Array out = Napi::Array::New(a.env(), grads.size());
  for (size_t k = 0; k < grads.size(); k++) out.Set(static_cast<uint32_t>(k), Napi::Number::New(a.env(), tt::put(a.env(), grads[k])));
  return out;
}

// version(x): the in-place modification counter autograd checks (useful in error reports).
TT_BINDING(version) { return Napi::Number::New(a.env(), static_cast<double>(a.tensor(0)._version())); }


// ---- activation checkpointing (torch.utils.checkpoint's reentrant variant) ----
//
// checkpointAttach(output, inputs, id) gives `output` (computed under no_grad by the caller) a
// grad_fn whose backward asks JavaScript to recompute the block: the JS dispatcher registered
// with checkpointSetDispatcher(fn) is called as fn(id, gradOutput, detachedInputs), runs the
// block again with grad on and calls backward on it (parameter grads accumulate as usual); the
// node then returns the detached inputs' grads. JS can only run on the thread that owns the
// environment, and libtorch runs a CUDA node's backward on a device thread, so the graph is two
// nodes: CheckpointBackward (runs where the engine puts it; keeps the incoming gradient) feeds a
// CPU scalar to CheckpointRecompute, which the engine therefore schedules on the CPU queue,
// which the thread that called backward (the JS thread) works through.
namespace autograd = torch::autograd;
using NodeRef = decltype(autograd::Edge::function);  // std::shared_ptr (1.13) or c10::intrusive_ptr (2.x)

template <typename T, typename... A>
NodeRef makeNode(A&&... args) {
  if constexpr (std::is_same_v<NodeRef, std::shared_ptr<autograd::Node>>) return std::make_shared<T>(std::forward<A>(args)...);
  else return c10::make_intrusive<T>(std::forward<A>(args)...);
}

struct Dispatcher {
  napi_env env = nullptr;
  std::thread::id thread;
  Napi::FunctionReference* fn = nullptr;  // deliberately never freed: lives as long as the environment
};
thread_local Dispatcher dispatcher;

// Ids whose graph was freed (on whatever thread), per environment; JS drains them to drop its closures.
std::mutex releasedMutex;
std::unordered_map<napi_env, std::vector<double>> releasedIds;

struct CheckpointShared {
  double id;
  napi_env env;
  std::thread::id thread;
  std::vector<at::Tensor> inputs;  // saved (detached) as torch.utils.checkpoint saves them; no activations
  std::vector<bool> needsGrad;
  at::Tensor gradOutput;
  ~CheckpointShared() {
    std::lock_guard<std::mutex> lock(releasedMutex);
    releasedIds[env].push_back(id);
  }
};

struct CheckpointRecompute : autograd::Node {
  std::shared_ptr<CheckpointShared> s;
  explicit CheckpointRecompute(std::shared_ptr<CheckpointShared> shared, autograd::edge_list&& next)
      : autograd::Node(std::move(next)), s(std::move(shared)) {}
  std::string name() const override { return "CheckpointRecomputeBackward"; }
  void release_variables() override { s->inputs.clear(); s->needsGrad.clear(); }

  autograd::variable_list apply(autograd::variable_list&&) override {
    size_t n = s->inputs.size();
    autograd::variable_list grads(num_outputs());
    if (!s->gradOutput.defined()) return grads;  // the output did not reach the loss
    if (std::this_thread::get_id() != s->thread || dispatcher.fn == nullptr || dispatcher.env != s->env)
      throw std::runtime_error("activation checkpoint: backward reached a checkpointed block on a thread other than the JavaScript thread "
                               "that ran its forward; call backward() on that thread");
    if (n != num_outputs()) throw std::runtime_error("activation checkpoint: the saved inputs were already freed (backward through the graph a second time needs retainGraph: true)");
    Napi::Env env(s->env);
    Napi::HandleScope scope(env);
    tt::EnvState& es = tt::state();
    std::vector<at::Tensor> detached;
    Napi::Array handles = Napi::Array::New(env, n);
    for (size_t k = 0; k < n; k++) {
      const at::Tensor& x = s->inputs[k];
      at::Tensor d = x.detach();
      if (s->needsGrad[k]) d.requires_grad_(true);
      detached.push_back(d);
      handles.Set(static_cast<uint32_t>(k), Napi::Number::New(env, tt::put(es, env, d)));
    }
    int32_t g = tt::put(es, env, s->gradOutput);
    s->gradOutput = at::Tensor();
    // A JS exception comes back as a Napi::Error, which the engine carries to the backward()
    // call, whose guard throws the original JS error again.
    dispatcher.fn->Call({Napi::Number::New(env, s->id), Napi::Number::New(env, g), handles});
    for (size_t k = 0; k < n && k < grads.size(); k++) {
      if (detached[k].requires_grad()) grads[k] = detached[k].grad();
    }
    return grads;
  }
};

struct CheckpointBackward : autograd::Node {
  std::shared_ptr<CheckpointShared> s;
  explicit CheckpointBackward(std::shared_ptr<CheckpointShared> shared, autograd::edge_list&& next)
      : autograd::Node(std::move(next)), s(std::move(shared)) {}
  std::string name() const override { return "CheckpointBackward"; }
  void release_variables() override {}
  autograd::variable_list apply(autograd::variable_list&& grads) override {
    s->gradOutput = grads.empty() ? at::Tensor() : grads[0];
    return {at::zeros({}, at::kFloat)};
  }
};

// checkpointSetDispatcher(fn): the JS function every recompute is routed through (once per environment).
TT_BINDING(checkpointSetDispatcher) {
  if (!a[0].IsFunction()) a.typeError(0, "a function");
  if (dispatcher.fn) dispatcher.fn->Reset(a[0].As<Napi::Function>(), 1);
  else dispatcher.fn = new Napi::FunctionReference(Napi::Persistent(a[0].As<Napi::Function>()));
  dispatcher.env = a.env();
  dispatcher.thread = std::this_thread::get_id();
  return a.undefined();
}

// checkpointReleased() -> ids of checkpoints whose graph is gone (so JS can drop their closures).
TT_BINDING(checkpointReleased) {
  std::vector<double> ids;
  {
    std::lock_guard<std::mutex> lock(releasedMutex);
    auto it = releasedIds.find(a.env());
    if (it != releasedIds.end()) ids.swap(it->second);
  }
  Napi::Array out = Napi::Array::New(a.env(), ids.size());
  for (size_t k = 0; k < ids.size(); k++) out.Set(static_cast<uint32_t>(k), Napi::Number::New(a.env(), ids[k]));
  return out;
}

// checkpointAttach(output, inputs, id) -> a new handle: output (detached) with the recompute grad_fn.
TT_BINDING(checkpointAttach) {
  const at::Tensor& output = a.tensor(0);
  auto inputs = a.tensors(1);
  double id = a.number(2);
  if (!dispatcher.fn || dispatcher.env != static_cast<napi_env>(a.env())) a.rangeError(2, "needs checkpointSetDispatcher to be called first on this thread");
  if (!at::isFloatingType(output.scalar_type()) && !at::isComplexType(output.scalar_type()))
    a.typeError(0, std::string("a floating-point output (autograd cannot differentiate ") + tt::dtypeName(output.scalar_type()) + ")");
  auto shared = std::make_shared<CheckpointShared>();
  shared->id = id;
  shared->env = a.env();
  shared->thread = std::this_thread::get_id();
  autograd::edge_list next;
  for (const auto& x : inputs) {
    shared->inputs.push_back(x.detach());
    shared->needsGrad.push_back(x.requires_grad());
    next.push_back(x.requires_grad() ? autograd::impl::gradient_edge(x) : autograd::Edge());
  }
  at::Tensor out = output.detach();
  if (!autograd::GradMode::is_enabled()) return a.ret(out);
  NodeRef recompute = makeNode<CheckpointRecompute>(shared, std::move(next));
  recompute->add_input_metadata(at::zeros({}, at::kFloat));
  NodeRef stash = makeNode<CheckpointBackward>(shared, autograd::edge_list{autograd::Edge(recompute, 0)});
  autograd::set_history(out, stash);
  return a.ret(out);
}

}  // namespace

namespace tt {
void registerAutograd(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, requiresGrad); TT_EXPORT(e, requiresGrad_); TT_EXPORT(e, isLeaf); TT_EXPORT(e, retainsGrad);
  TT_EXPORT(e, retainGrad); TT_EXPORT(e, grad); TT_EXPORT(e, setGrad); TT_EXPORT(e, gradFn);
  TT_EXPORT(e, backward); TT_EXPORT(e, autogradGrad); TT_EXPORT(e, version);
  TT_EXPORT(e, checkpointSetDispatcher); TT_EXPORT(e, checkpointAttach); TT_EXPORT(e, checkpointReleased);
}
}  // namespace tt
