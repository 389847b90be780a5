// Bindings for the native optimizers, clipping, the loss scaler, and the step function: one
// native call per optimizer update (unscale, non-finite check, clip, update unless skipped,
// scaler update, next learning rates, zero grad).
#include <memory>
#include <mutex>
#include <unordered_map>

#include "boundary.h"
#include "optimizers.h"
#include "registrars.h"

namespace {

using tt::optim::Kind;
using tt::optim::Optimizer;
using tt::optim::ParamGroup;

// Optimizers of each JS environment, addressed by integer ids like tensors.
std::mutex tablesMutex;
std::unordered_map<tt::EnvState*, std::vector<std::unique_ptr<Optimizer>>>& tables() {
  static std::unordered_map<tt::EnvState*, std::vector<std::unique_ptr<Optimizer>>> t;
  return t;
}

std::vector<std::unique_ptr<Optimizer>>& tableOf(tt::Args& a) {
  std::lock_guard<std::mutex> lock(tablesMutex);
  auto it = tables().find(&a.state());
  if (it == tables().end()) {
    it = tables().emplace(&a.state(), std::vector<std::unique_ptr<Optimizer>>{}).first;
    tt::EnvState* key = &a.state();
    a.env().AddCleanupHook([key]() {
      std::lock_guard<std::mutex> l(tablesMutex);
      tables().erase(key);
    });
  }
  return it->second;
}

Optimizer& optimizerArg(tt::Args& a, size_t i) {
  int64_t id = a.int64(i);
  auto& table = tableOf(a);
  if (id < 0 || static_cast<size_t>(id) >= table.size() || !table[id]) a.rangeError(i, "is not a live optimizer (it was freed, or never made)");
  return *table[id];
}

double numberField(tt::Args& a, Napi::Object o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw tt::ArgError(tt::ArgError::Type, std::string(a.fn()) + ": option " + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool boolField(tt::Args& a, Napi::Object o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) throw tt::ArgError(tt::ArgError::Type, std::string(a.fn()) + ": option " + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

// Group options as the JS layer passes them (already validated there).
void applyOptions(tt::Args& a, ParamGroup& g, Napi::Object o) {
  g.lr = numberField(a, o, "lr", g.lr);
  g.weightDecay = numberField(a, o, "weightDecay", g.weightDecay);
  g.beta1 = numberField(a, o, "beta1", g.beta1);
  g.beta2 = numberField(a, o, "beta2", g.beta2);
  g.eps = numberField(a, o, "eps", g.eps);
  g.amsgrad = boolField(a, o, "amsgrad", g.amsgrad);
  g.momentum = numberField(a, o, "momentum", g.momentum);
  g.dampening = numberField(a, o, "dampening", g.dampening);
  g.nesterov = boolField(a, o, "nesterov", g.nesterov);
  g.maximize = boolField(a, o, "maximize", g.maximize);
}

Napi::Object optionsObject(Napi::Env env, const ParamGroup& g) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("lr", g.lr);
  o.Set("weightDecay", g.weightDecay);
  o.Set("beta1", g.beta1);
  o.Set("beta2", g.beta2);
  o.Set("eps", g.eps);
  o.Set("amsgrad", g.amsgrad);
  o.Set("momentum", g.momentum);
  o.Set("dampening", g.dampening);
  o.Set("nesterov", g.nesterov);
  o.Set("maximize", g.maximize);
  return o;
}

// optimCreate(kind: 'adamw' | 'sgd') -> id
TT_BINDING(optimCreate) {
  std::string kind = a.string(0);
  if (kind != "adamw" && kind != "sgd") a.rangeError(0, "must be 'adamw' or 'sgd', got '" + kind + "'");
  auto& table = tableOf(a);
  table.push_back(std::make_unique<Optimizer>(kind == "adamw" ? Kind::AdamW : Kind::SGD));
  return Napi::Number::New(a.env(), static_cast<double>(table.size() - 1));
}

TT_BINDING(optimFree) {
  int64_t id = a.int64(0);
  auto& table = tableOf(a);
  if (id >= 0 && static_cast<size_t>(id) < table.size()) table[id].reset();
  return a.undefined();
}

// optimAddGroup(id, params: handles, options) -> group index
TT_BINDING(optimAddGroup) {
  Optimizer& opt = optimizerArg(a, 0);
  ParamGroup g;
  g.params = a.tensors(1);
  if (!a[2].IsObject()) a.typeError(2, "an options object");
  applyOptions(a, g, a[2].As<Napi::Object>());
  opt.groups().push_back(std::move(g));
  return Napi::Number::New(a.env(), static_cast<double>(opt.groups().size() - 1));
}

ParamGroup& groupArg(tt::Args& a, Optimizer& opt, size_t i) {
  int64_t index = a.int64(i);
  if (index < 0 || static_cast<size_t>(index) >= opt.groups().size())
    a.rangeError(i, "is not a param group index (there are " + std::to_string(opt.groups().size()) + ")");
  return opt.groups()[index];
}

// optimSetGroup(id, index, options): changes some options of one group.
TT_BINDING(optimSetGroup) {
  Optimizer& opt = optimizerArg(a, 0);
  ParamGroup& g = groupArg(a, opt, 1);
  if (!a[2].IsObject()) a.typeError(2, "an options object");
  applyOptions(a, g, a[2].As<Napi::Object>());
  return a.undefined();
}

TT_BINDING(optimGetGroup) {
  Optimizer& opt = optimizerArg(a, 0);
  return optionsObject(a.env(), groupArg(a, opt, 1));
}

TT_BINDING(optimStep) {
  optimizerArg(a, 0).step();
  return a.undefined();
}

TT_BINDING(optimZeroGrad) {
  optimizerArg(a, 0).zeroGrad(a.boolean(1, true));
  return a.undefined();
}

// optimGetState(id) -> per parameter (all groups in order): { step, exp_avg, ... } handles to
// the state tensors themselves (a state dict refers to them, as PyTorch's does).
TT_BINDING(optimGetState) {
  Optimizer& opt = optimizerArg(a, 0);
  auto params = opt.allParams();
  Napi::Array out = Napi::Array::New(a.env(), params.size());
  for (size_t k = 0; k < params.size(); k++) {
    const auto* s = opt.findState(params[k]);
    Napi::Object o = Napi::Object::New(a.env());
    auto add = [&](const char* name, const at::Tensor& t) {
      if (t.defined()) o.Set(name, Napi::Number::New(a.env(), tt::put(a.state(), a.env(), t)));
    };
    if (s) {
      add("step", s->step);
      add("exp_avg", s->expAvg);
      add("exp_avg_sq", s->expAvgSq);
      add("max_exp_avg_sq", s->maxExpAvgSq);
      add("momentum_buffer", s->momentumBuffer);
    }
    out.Set(static_cast<uint32_t>(k), o);
  }
  return out;
}

// optimSetState(id, paramIndex, name, tensor): loads one state tensor (a copy, moved to the
// parameter's device; floating state also to its dtype, except the step count).
TT_BINDING(optimSetState) {
  Optimizer& opt = optimizerArg(a, 0);
  auto params = opt.allParams();
  int64_t index = a.int64(1);
  if (index < 0 || static_cast<size_t>(index) >= params.size()) a.rangeError(1, "is not a parameter index");
  std::string name = a.string(2);
  const at::Tensor& value = a.tensor(3);
  const at::Tensor& p = params[index];
  auto& s = opt.state(p);
  at::Tensor copy = name == "step" ? value.to(p.device()).clone() : value.to(p.device(), p.scalar_type()).clone();
  if (name == "step") s.step = copy;
  else if (name == "exp_avg") s.expAvg = copy;
  else if (name == "exp_avg_sq") s.expAvgSq = copy;
  else if (name == "max_exp_avg_sq") s.maxExpAvgSq = copy;
  else if (name == "momentum_buffer") s.momentumBuffer = copy;
  else a.rangeError(2, "is not an optimizer state name: '" + name + "'");
  if (name != "step" && !copy.sizes().equals(p.sizes()))
    a.rangeError(3, "has shape " + c10::str(copy.sizes()) + " but parameter " + std::to_string(index) + " has shape " + c10::str(p.sizes()));
  return a.undefined();
}

std::vector<at::Tensor> gradsOf(const std::vector<at::Tensor>& params) {
  std::vector<at::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

// clipGradNorm(params, maxNorm, normType, errorIfNonfinite) -> total norm
TT_BINDING(clipGradNorm) {
  auto grads = gradsOf(a.tensors(0));
  return a.ret(tt::optim::clipGradNorm(grads, a.number(1), a.number(2), a.boolean(3, false)));
}

TT_BINDING(clipGradValue) {
  tt::optim::clipGradValue(gradsOf(a.tensors(0)), a.number(1));
  return a.undefined();
}

// gradScalerUnscale(params, foundInf, invScale)
TT_BINDING(gradScalerUnscale) {
  at::Tensor foundInf = a.tensor(1);
  tt::optim::unscaleAndCheck(gradsOf(a.tensors(0)), foundInf, a.tensor(2));
  return a.undefined();
}

// gradScalerUpdate(scale, growthTracker, foundInf, growthFactor, backoffFactor, growthInterval)
TT_BINDING(gradScalerUpdate) {
  at::Tensor scale = a.tensor(0), tracker = a.tensor(1);
  tt::optim::updateScale(scale, tracker, a.tensor(2), a.number(3), a.number(4), a.int64(5));
  return a.undefined();
}

// optimTrainStep(id, options) -> { gradNorm, skipped, scale }: the whole optimizer update in one
// native call, in the order a PyTorch loop does it:
//   grads /= gradDivisor * scale (scaler.unscale_, plus the accumulation's item count)
//   -> non-finite check -> clip_grad_norm_ (if maxNorm) -> optimizer.step() unless non-finite
//   -> scaler.update() -> next learning rates / momenta (the schedule) -> zero_grad().
// options: { scale?, growthTracker?, growthFactor, backoffFactor, growthInterval (a scaler),
//   gradDivisor?, maxNorm?, normType?, errorIfNonfinite?, nextLrs?, nextMomenta?, setToNone? }
TT_BINDING(optimTrainStep) {
  Optimizer& opt = optimizerArg(a, 0);
  if (!a[1].IsObject()) a.typeError(1, "an options object");
  Napi::Object o = a[1].As<Napi::Object>();
  auto handleField = [&](const char* key) -> std::optional<at::Tensor> {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined() || v.IsNull()) return std::nullopt;
    return tt::tensorFromValue(v, a.fn(), 1);
  };
  auto scale = handleField("scale"), tracker = handleField("growthTracker");
  double divisor = numberField(a, o, "gradDivisor", 1.0);
  if (!(divisor > 0)) a.rangeError(1, "has gradDivisor " + std::to_string(divisor) + "; it must be positive");
  double maxNorm = numberField(a, o, "maxNorm", 0.0);
  at::NoGradGuard noGrad;
  auto grads = gradsOf(opt.allParams());
  // One multiply undoes both the loss scale and the accumulation's normalisation.
  auto device = grads.empty() ? at::Device(at::kCPU) : grads[0].device();
  at::Tensor foundInf = at::zeros({}, at::TensorOptions().dtype(at::kFloat).device(device));
  // One fused pass per gradient (the scaler's kernel): multiply by 1 / (scale * divisor) and
  // flag any inf/NaN, rather than a division pass and a separate check.
  at::Tensor inv = scale ? scale->to(at::kDouble).reciprocal().mul(1.0 / divisor).to(at::kFloat)
                         : at::full({}, 1.0 / divisor, at::TensorOptions().dtype(at::kFloat).device(device));
  tt::optim::unscaleAndCheck(grads, foundInf, inv);
  bool skipped = foundInf.item<float>() != 0;
  Napi::Value gradNorm = a.env().Null();
  if (maxNorm > 0) {
    double normType = numberField(a, o, "normType", 2.0);
    at::Tensor total = skipped ? tt::optim::totalNorm(grads, normType)
                               : tt::optim::clipGradNorm(grads, maxNorm, normType, boolField(a, o, "errorIfNonfinite", false));
    gradNorm = Napi::Number::New(a.env(), total.item<double>());
  }
  if (!skipped) opt.step();
  Napi::Value scaleOut = a.env().Null();
  if (scale && tracker) {
    at::Tensor s = *scale, t = *tracker;
    tt::optim::updateScale(s, t, foundInf, numberField(a, o, "growthFactor", 2.0), numberField(a, o, "backoffFactor", 0.5),
                           static_cast<int64_t>(numberField(a, o, "growthInterval", 2000)));
    scaleOut = Napi::Number::New(a.env(), s.item<double>());
  }
  auto perGroup = [&](const char* key, auto apply) {
    Napi::Value v = o.Get(key);
    if (v.IsUndefined()) return;
    if (!v.IsArray() || v.As<Napi::Array>().Length() != opt.groups().size())
      throw tt::ArgError(tt::ArgError::Type, std::string(a.fn()) + ": " + key + " must hold one number per param group");
    Napi::Array arr = v.As<Napi::Array>();
    for (uint32_t k = 0; k < arr.Length(); k++) apply(opt.groups()[k], arr.Get(k).As<Napi::Number>().DoubleValue());
  };
  perGroup("nextLrs", [](ParamGroup& g, double x) { g.lr = x; });
  perGroup("nextMomenta", [&](ParamGroup& g, double x) {
    if (opt.kind() == Kind::AdamW) g.beta1 = x;
    else g.momentum = x;
  });
  opt.zeroGrad(boolField(a, o, "setToNone", true));
  Napi::Object out = Napi::Object::New(a.env());
  out.Set("gradNorm", gradNorm);
  out.Set("skipped", Napi::Boolean::New(a.env(), skipped));
  out.Set("scale", scaleOut);
  return out;
}

}  // namespace

namespace tt {
void registerOptim(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, optimCreate); TT_EXPORT(e, optimFree); TT_EXPORT(e, optimAddGroup); TT_EXPORT(e, optimSetGroup);
  TT_EXPORT(e, optimGetGroup); TT_EXPORT(e, optimStep); TT_EXPORT(e, optimZeroGrad); TT_EXPORT(e, optimGetState);
  TT_EXPORT(e, optimSetState); TT_EXPORT(e, clipGradNorm); TT_EXPORT(e, clipGradValue);
  TT_EXPORT(e, gradScalerUnscale); TT_EXPORT(e, gradScalerUpdate); TT_EXPORT(e, optimTrainStep);
}
}  // namespace tt
