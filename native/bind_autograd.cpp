// Autograd: requires-grad flags, .grad, backward, torch.autograd.grad.
#include "boundary.h"
#include "registrars.h"

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

}  // namespace

namespace tt {
void registerAutograd(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, requiresGrad); TT_EXPORT(e, requiresGrad_); TT_EXPORT(e, isLeaf); TT_EXPORT(e, retainsGrad);
  TT_EXPORT(e, retainGrad); TT_EXPORT(e, grad); TT_EXPORT(e, setGrad); TT_EXPORT(e, gradFn);
  TT_EXPORT(e, backward); TT_EXPORT(e, autogradGrad); TT_EXPORT(e, version);
}
}  // namespace tt
