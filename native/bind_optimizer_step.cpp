// optimizerStep: every optimizer update in one native call, in the order a PyTorch loop does it:
//   grads *= 1 / (scale * gradDivisor): scaler.unscale_ and the accumulation's item count in one
//       fused pass per gradient (the scaler's kernel), which also flags inf/NaN into foundInf
//   -> clip_grad_norm_ (if maxNorm)
//   -> with a GradScaler: read foundInf (the one device sync of an update, as
//      torch.amp.GradScaler.step), optimizer.step() unless non-finite, scaler.update();
//      without one: optimizer.step(), and nothing is read to the host
//   -> zero_grad().
// The learning-rate schedule is no part of it: the TS scheduler sets rates, the only place that does.
#include "boundary.h"
#include "optimizers.h"
#include "registrars.h"

namespace {

// A GradScaler's state: given whole or not at all.
struct ScalerState {
  at::Tensor scale, growthTracker;
  double growthFactor, backoffFactor;
  int64_t growthInterval;
};

std::optional<ScalerState> scalerOf(const tt::OptionsArg& o) {
  static const char* const keys[] = {"scale", "growthTracker", "growthFactor", "backoffFactor", "growthInterval"};
  int present = 0;
  for (const char* key : keys) present += o.has(key) ? 1 : 0;
  if (present == 0) return std::nullopt;
  for (const char* key : keys)
    if (!o.has(key))
      o.typeError(key, "given with the rest of a GradScaler's state (scale, growthTracker, growthFactor, backoffFactor, "
                       "growthInterval: all or none)");
  return ScalerState{*o.tensor("scale"), *o.tensor("growthTracker"), o.number("growthFactor", 2.0), o.number("backoffFactor", 0.5),
                     o.int64("growthInterval", 2000)};
}

// gradDivisor: a positive number, or { tensor } (a 0-d tensor of any numeric dtype on the grads'
// device, e.g. an item count accumulated there); default 1.
struct Divisor {
  double number = 1.0;
  std::optional<at::Tensor> tensor;
};

Divisor divisorOf(const tt::Args& a, const tt::OptionsArg& o) {
  Divisor d;
  Napi::Value v = o.get("gradDivisor");
  if (v.IsUndefined() || v.IsNull()) return d;
  if (v.IsNumber()) {
    d.number = v.As<Napi::Number>().DoubleValue();
    if (!(d.number > 0)) o.rangeError("gradDivisor", "must be positive, got " + tt::kindOf(v));
    return d;
  }
  int32_t handle;
  if (!v.IsObject() || v.IsArray() || !tt::exactHandle(v.As<Napi::Object>().Get("tensor"), &handle))
    o.typeError("gradDivisor", "a number or { tensor } (a 0-d Tensor)");
  const at::Tensor* t = tt::findTensor(a.state(), handle);
  if (!t) o.typeError("gradDivisor", "a live Tensor (this one was disposed)");
  if (t->dim() != 0) o.rangeError("gradDivisor", "must be a 0-d tensor, got shape " + c10::str(t->sizes()));
  if (t->scalar_type() == at::kBool || at::isComplexType(t->scalar_type()))
    o.typeError("gradDivisor", "a tensor of a real numeric dtype, not " + std::string(c10::toString(t->scalar_type())));
  d.tensor = *t;
  return d;
}

// 1 / (scale * divisor), computed in float64 and rounded once to float32, as GradScaler's inv_scale.
at::Tensor inverseOf(const std::optional<ScalerState>& scaler, const Divisor& d, at::Device device) {
  if (d.tensor) {
    at::Tensor divisor = d.tensor->to(at::kDouble);
    return (scaler ? scaler->scale.to(at::kDouble).reciprocal().div(divisor) : divisor.reciprocal()).to(at::kFloat);
  }
  if (scaler) return scaler->scale.to(at::kDouble).reciprocal().mul(1.0 / d.number).to(at::kFloat);
  return at::full({}, 1.0 / d.number, at::TensorOptions().dtype(at::kFloat).device(device));
}

// optimizerStep(id, options) -> { gradNorm, foundInf, skipped }
// options: { scale?, growthTracker?, growthFactor?, backoffFactor?, growthInterval? (a GradScaler's
//   state: all or none), gradDivisor? (number | { tensor }), maxNorm?, normType? (2),
//   errorIfNonfinite? (false; true reads the norm to the host), setToNone? (true) }
// gradNorm: the total norm before clipping, a 0-d tensor (null without maxNorm; unclipped when
//   skipped); foundInf: a 0-d float32 tensor on the grads' device, 1 where a gradient was inf/NaN;
// skipped: whether the scaler skipped the update, null without a scaler (never skipped).
TT_BINDING(optimizerStep) {
  tt::optim::Optimizer& opt = a.optimizer(0);
  tt::OptionsArg o(a, 1);
  std::optional<ScalerState> scaler = scalerOf(o);
  Divisor divisor = divisorOf(a, o);
  double maxNorm = o.number("maxNorm", 0.0);
  double normType = o.number("normType", 2.0);
  bool errorIfNonfinite = o.boolean("errorIfNonfinite", false);
  bool setToNone = o.boolean("setToNone", true);

  at::NoGradGuard noGrad;
  auto grads = tt::optim::gradsOf(opt.allParams());
  at::Device device = !grads.empty() ? grads.front().device()
                      : scaler       ? scaler->scale.device()
                      : divisor.tensor ? divisor.tensor->device()
                                       : at::Device(at::kCPU);
  if (divisor.tensor && !grads.empty() && divisor.tensor->device() != device)
    o.rangeError("gradDivisor", "is on " + divisor.tensor->device().str() + " but the gradients are on " + device.str() +
                                    "; keep the count on their device");
  at::Tensor foundInf = at::zeros({}, at::TensorOptions().dtype(at::kFloat).device(device));
  tt::optim::unscaleAndCheck(grads, foundInf, inverseOf(scaler, divisor, device));
  std::optional<bool> skipped;
  if (scaler) skipped = foundInf.item<float>() != 0;  // the one host read, and only with a scaler
  bool skip = skipped.value_or(false);
  at::Tensor gradNorm;
  if (maxNorm > 0)
    gradNorm = skip ? tt::optim::totalNorm(grads, normType) : tt::optim::clipGradNorm(grads, maxNorm, normType, errorIfNonfinite);
  if (!skip) opt.step();
  if (scaler)
    tt::optim::updateScale(scaler->scale, scaler->growthTracker, foundInf, scaler->growthFactor, scaler->backoffFactor,
                           scaler->growthInterval);
  opt.zeroGrad(setToNone);

  Napi::Object out = Napi::Object::New(a.env());
  out.Set("gradNorm", gradNorm.defined() ? a.ret(gradNorm) : a.env().Null());
  out.Set("foundInf", a.ret(foundInf));
  out.Set("skipped", skipped ? Napi::Value(Napi::Boolean::New(a.env(), *skipped)) : a.env().Null());
  return out;
}

}  // namespace

namespace tt {
void registerOptimizerStep(Napi::Env, Napi::Object e) { TT_EXPORT(e, optimizerStep); }
}  // namespace tt
