// Bindings for the native optimizers (optimizers.h): creating and freeing them, their param
// groups and options, step/zero_grad, and their per-parameter state for state dicts. Optimizers
// live in this environment's table (EnvState::optimizers), addressed by integer ids.
#include "boundary.h"
#include "optimizers.h"
#include "registrars.h"

namespace {

using tt::optim::Kind;
using tt::optim::Optimizer;
using tt::optim::ParamGroup;

// Group options as the JS layer passes them (already validated there).
void applyOptions(const tt::OptionsArg& o, ParamGroup& g) {
  g.lr = o.number("lr", g.lr);
  g.weightDecay = o.number("weightDecay", g.weightDecay);
  g.beta1 = o.number("beta1", g.beta1);
  g.beta2 = o.number("beta2", g.beta2);
  g.eps = o.number("eps", g.eps);
  g.amsgrad = o.boolean("amsgrad", g.amsgrad);
  g.momentum = o.number("momentum", g.momentum);
  g.dampening = o.number("dampening", g.dampening);
  g.nesterov = o.boolean("nesterov", g.nesterov);
  g.maximize = o.boolean("maximize", g.maximize);
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

ParamGroup& groupArg(tt::Args& a, Optimizer& opt, size_t i) {
  int64_t index = a.int64(i);
  if (index < 0 || static_cast<size_t>(index) >= opt.groups().size())
    a.rangeError(i, "is not a param group index (there are " + std::to_string(opt.groups().size()) + ")");
  return opt.groups()[index];
}

// optimCreate(kind: 'adamw' | 'sgd') -> id
TT_BINDING(optimCreate) {
  std::string kind = a.string(0);
  if (kind != "adamw" && kind != "sgd") a.rangeError(0, "must be 'adamw' or 'sgd', got '" + kind + "'");
  int64_t id = a.state().optimizers.add(std::make_unique<Optimizer>(kind == "adamw" ? Kind::AdamW : Kind::SGD));
  return Napi::Number::New(a.env(), static_cast<double>(id));
}

TT_BINDING(optimFree) {
  a.state().optimizers.erase(a.int64(0));
  return a.undefined();
}

// optimAddGroup(id, params: handles, options) -> group index
TT_BINDING(optimAddGroup) {
  Optimizer& opt = a.optimizer(0);
  ParamGroup g;
  g.params = a.tensors(1);
  applyOptions(tt::OptionsArg(a, 2), g);
  opt.groups().push_back(std::move(g));
  return Napi::Number::New(a.env(), static_cast<double>(opt.groups().size() - 1));
}

// optimSetGroup(id, index, options): changes some options of one group.
TT_BINDING(optimSetGroup) {
  Optimizer& opt = a.optimizer(0);
  ParamGroup& g = groupArg(a, opt, 1);
  applyOptions(tt::OptionsArg(a, 2), g);
  return a.undefined();
}

TT_BINDING(optimGetGroup) {
  Optimizer& opt = a.optimizer(0);
  return optionsObject(a.env(), groupArg(a, opt, 1));
}

TT_BINDING(optimStep) {
  a.optimizer(0).step();
  return a.undefined();
}

TT_BINDING(optimZeroGrad) {
  a.optimizer(0).zeroGrad(a.boolean(1, true));
  return a.undefined();
}

// optimGetState(id) -> per parameter (all groups in order): { step, exp_avg, ... } handles to
// the state tensors themselves (a state dict refers to them, as PyTorch's does).
TT_BINDING(optimGetState) {
  Optimizer& opt = a.optimizer(0);
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
  Optimizer& opt = a.optimizer(0);
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

}  // namespace

namespace tt {
void registerOptimizer(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, optimCreate); TT_EXPORT(e, optimFree); TT_EXPORT(e, optimAddGroup); TT_EXPORT(e, optimSetGroup);
  TT_EXPORT(e, optimGetGroup); TT_EXPORT(e, optimStep); TT_EXPORT(e, optimZeroGrad); TT_EXPORT(e, optimGetState);
  TT_EXPORT(e, optimSetState);
}
}  // namespace tt
