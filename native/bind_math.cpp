// Matrix products, softmax family, clamping, interpolation, and in-place fills.
#include "boundary.h"
#include "compat.h"
#include "registrars.h"

namespace {

TT_BINDING(matmul) { return a.ret(at::matmul(a.tensor(0), a.tensor(1))); }
TT_BINDING(mm) { return a.ret(at::mm(a.tensor(0), a.tensor(1))); }
TT_BINDING(bmm) { return a.ret(at::bmm(a.tensor(0), a.tensor(1))); }
TT_BINDING(outer) { return a.ret(at::outer(a.tensor(0), a.tensor(1))); }
TT_BINDING(dot) { return a.ret(at::dot(a.tensor(0), a.tensor(1))); }

// addmm(bias, x, w, beta?, alpha?): beta * bias + alpha * (x @ w).
TT_BINDING(addmm) {
  c10::Scalar beta = a.has(3) ? a.scalar(3) : c10::Scalar(1);
  c10::Scalar alpha = a.has(4) ? a.scalar(4) : c10::Scalar(1);
  return a.ret(at::addmm(a.tensor(0), a.tensor(1), a.tensor(2), beta, alpha));
}

// baddbmm(input, b1, b2, beta?, alpha?): beta * input + alpha * (b1 @ b2), batched.
TT_BINDING(baddbmm) {
  c10::Scalar beta = a.has(3) ? a.scalar(3) : c10::Scalar(1);
  c10::Scalar alpha = a.has(4) ? a.scalar(4) : c10::Scalar(1);
  return a.ret(at::baddbmm(a.tensor(0), a.tensor(1), a.tensor(2), beta, alpha));
}

// linear(x, weight, bias?): x @ weight.T + bias, the kernel nn.Linear uses.
TT_BINDING(linear) {
  auto bias = a.optTensor(2);
  return a.ret(at::linear(a.tensor(0), a.tensor(1), tt::compat::opt(bias)));
}

// softmax(x, dim, dtype?) and logSoftmax(x, dim, dtype?)
TT_BINDING(softmax) { return a.ret(at::softmax(a.tensor(0), a.int64(1), tt::compat::opt(a.optDtype(2)))); }
TT_BINDING(logSoftmax) { return a.ret(at::log_softmax(a.tensor(0), a.int64(1), tt::compat::opt(a.optDtype(2)))); }

c10::optional<c10::Scalar> optScalar(tt::Args& a, size_t i) {
  if (!a.has(i)) return c10::optional<c10::Scalar>();
  return a.scalar(i);
}

c10::optional<at::Tensor> optTensorArg(tt::Args& a, size_t i) { return tt::compat::opt(a.optTensor(i)); }

// clamp(x, min?, max?) with numbers; clampTensor(x, min?, max?) with tensors.
TT_BINDING(clamp) {
  auto lo = optScalar(a, 1), hi = optScalar(a, 2);
  if (!lo && !hi) a.typeError(1, "a min or a max (at least one of them)");
  return a.ret(at::clamp(a.tensor(0), lo, hi));
}
TT_BINDING(clampTensor) {
  auto lo = optTensorArg(a, 1), hi = optTensorArg(a, 2);
  if (!lo && !hi) a.typeError(1, "a min or a max tensor (at least one of them)");
  return a.ret(at::clamp(a.tensor(0), lo, hi));
}
TT_BINDING(clamp_) {
  auto lo = optScalar(a, 1), hi = optScalar(a, 2);
  if (!lo && !hi) a.typeError(1, "a min or a max (at least one of them)");
  return a.ret(a.tensor(0).clamp_(lo, hi));
}

// lerp(x, end, weight): weight is a number or a tensor.
TT_BINDING(lerp) {
  if (a.size() > 2 && a[2].IsNumber() && !a.has(3)) return a.ret(at::lerp(a.tensor(0), a.tensor(1), a.scalar(2)));
  return a.ret(at::lerp(a.tensor(0), a.tensor(1), a.tensor(2)));
}
TT_BINDING(lerpScalar_) { return a.ret(a.tensor(0).lerp_(a.tensor(1), a.scalar(2))); }

// addcmul(x, t1, t2, value?) = x + value * t1 * t2; addcdiv likewise with t1 / t2.
TT_BINDING(addcmul) {
  return a.ret(at::addcmul(a.tensor(0), a.tensor(1), a.tensor(2), a.has(3) ? a.scalar(3) : c10::Scalar(1)));
}
TT_BINDING(addcdiv) {
  return a.ret(at::addcdiv(a.tensor(0), a.tensor(1), a.tensor(2), a.has(3) ? a.scalar(3) : c10::Scalar(1)));
}
TT_BINDING(addcmul_) {
  return a.ret(a.tensor(0).addcmul_(a.tensor(1), a.tensor(2), a.has(3) ? a.scalar(3) : c10::Scalar(1)));
}
TT_BINDING(addcdiv_) {
  return a.ret(a.tensor(0).addcdiv_(a.tensor(1), a.tensor(2), a.has(3) ? a.scalar(3) : c10::Scalar(1)));
}

// nanToNum(x, nan?, posinf?, neginf?)
TT_BINDING(nanToNum) {
  auto num = [&](size_t i) { return a.has(i) ? c10::optional<double>(a.number(i)) : c10::optional<double>(); };
  return a.ret(at::nan_to_num(a.tensor(0), num(1), num(2), num(3)));
}

// ---- in-place fills and copies ----
TT_BINDING(copy_) { return a.ret(a.tensor(0).copy_(a.tensor(1), a.boolean(2, false))); }
TT_BINDING(fill_) { return a.ret(a.tensor(0).fill_(a.scalar(1))); }
TT_BINDING(fillTensor_) { return a.ret(a.tensor(0).fill_(a.tensor(1))); }

// uniform_(x, from, to), normal_(x, mean, std), bernoulli_(x, p), exponential_(x, lambda): draw
// from the default generator, so torch.manualSeed makes them repeatable.
TT_BINDING(uniform_) {
  double lo = a.has(1) ? a.number(1) : 0.0, hi = a.has(2) ? a.number(2) : 1.0;
  if (!(lo <= hi)) a.rangeError(1, "(from) must not exceed to; got from=" + std::to_string(lo) + ", to=" + std::to_string(hi));
  return a.ret(a.tensor(0).uniform_(lo, hi));
}
TT_BINDING(normal_) {
  double mean = a.has(1) ? a.number(1) : 0.0, std = a.has(2) ? a.number(2) : 1.0;
  if (!(std >= 0)) a.rangeError(2, "(std) must be non-negative, got " + std::to_string(std));
  return a.ret(a.tensor(0).normal_(mean, std));
}
TT_BINDING(bernoulli_) {
  double p = a.has(1) ? a.number(1) : 0.5;
  if (!(p >= 0 && p <= 1)) a.rangeError(1, "(p) must be in [0, 1], got " + std::to_string(p));
  return a.ret(a.tensor(0).bernoulli_(p));
}
TT_BINDING(exponential_) {
  double lambda = a.has(1) ? a.number(1) : 1.0;
  if (!(lambda > 0)) a.rangeError(1, "(lambda) must be positive");
  return a.ret(a.tensor(0).exponential_(lambda));
}
TT_BINDING(bernoulli) { return a.ret(at::bernoulli(a.tensor(0))); }

// multinomial(probs, numSamples, replacement)
TT_BINDING(multinomial) { return a.ret(at::multinomial(a.tensor(0), a.int64(1), a.boolean(2, false))); }

// scalarErf(x): libm's erf of a JS number (JS has no Math.erf; Python's math.erf is libm's, so
// nn.init.truncNormal_ computes the same bounds as PyTorch to the last bit).
TT_BINDING(scalarErf) { return Napi::Number::New(a.env(), std::erf(a.number(0))); }

}  // namespace

namespace tt {
void registerMath(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, matmul); TT_EXPORT(e, mm); TT_EXPORT(e, bmm); TT_EXPORT(e, outer); TT_EXPORT(e, dot);
  TT_EXPORT(e, addmm); TT_EXPORT(e, baddbmm); TT_EXPORT(e, linear); TT_EXPORT(e, softmax); TT_EXPORT(e, logSoftmax);
  TT_EXPORT(e, clamp); TT_EXPORT(e, clampTensor); TT_EXPORT(e, clamp_);
  TT_EXPORT(e, lerp); TT_EXPORT(e, lerpScalar_);
  TT_EXPORT(e, addcmul); TT_EXPORT(e, addcdiv); TT_EXPORT(e, addcmul_); TT_EXPORT(e, addcdiv_);
  TT_EXPORT(e, nanToNum);
  TT_EXPORT(e, copy_); TT_EXPORT(e, fill_); TT_EXPORT(e, fillTensor_);
  TT_EXPORT(e, uniform_); TT_EXPORT(e, normal_); TT_EXPORT(e, bernoulli_); TT_EXPORT(e, exponential_);
  TT_EXPORT(e, bernoulli); TT_EXPORT(e, multinomial); TT_EXPORT(e, scalarErf);
}
}  // namespace tt
