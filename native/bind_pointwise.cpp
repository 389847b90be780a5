// Element-wise math: unary ops, binary ops against a tensor or a scalar (with broadcasting and
// PyTorch's type promotion), comparisons and logical ops.
#include "boundary.h"
#include "compat.h"
#include "registrars.h"

namespace {

#define TT_UNARY(name, call) \
  TT_BINDING(name) { return a.ret(at::call(a.tensor(0))); }

#define TT_UNARY_(name, method) \
  TT_BINDING(name) { return a.ret(a.tensor(0).method()); }

#define TT_BINARY(name, call) \
  TT_BINDING(name) { return a.ret(at::call(a.tensor(0), a.tensor(1))); }

#define TT_BINARY_SCALAR(name, call) \
  TT_BINDING(name) { return a.ret(at::call(a.tensor(0), a.scalar(1))); }

// ---- unary ----
TT_UNARY(neg, neg)
TT_UNARY(abs, abs)
TT_UNARY(exp, exp)
TT_UNARY(exp2, exp2)
TT_UNARY(expm1, expm1)
TT_UNARY(log, log)
TT_UNARY(log1p, log1p)
TT_UNARY(log2, log2)
TT_UNARY(log10, log10)
TT_UNARY(sqrt, sqrt)
TT_UNARY(rsqrt, rsqrt)
TT_UNARY(square, square)
TT_UNARY(sin, sin)
TT_UNARY(cos, cos)
TT_UNARY(tan, tan)
TT_UNARY(asin, asin)
TT_UNARY(acos, acos)
TT_UNARY(atan, atan)
TT_UNARY(sinh, sinh)
TT_UNARY(cosh, cosh)
TT_UNARY(tanh, tanh)
TT_UNARY(sigmoid, sigmoid)
TT_UNARY(relu, relu)
TT_UNARY(silu, silu)
TT_UNARY(erf, erf)
TT_UNARY(erfinv, erfinv)
TT_UNARY(sign, sign)
TT_UNARY(floor, floor)
TT_UNARY(ceil, ceil)
TT_UNARY(trunc, trunc)
TT_UNARY(frac, frac)
TT_UNARY(reciprocal, reciprocal)
TT_UNARY(logicalNot, logical_not)
TT_UNARY(bitwiseNot, bitwise_not)
TT_UNARY(isnan, isnan)
TT_UNARY(isinf, isinf)
TT_UNARY(isfinite, isfinite)

// round(h, decimals?): decimals as in torch.round(x, decimals=n).
TT_BINDING(round) {
  const at::Tensor& x = a.tensor(0);
  if (!a.has(1)) return a.ret(at::round(x));
  return a.ret(at::round(x, a.int64(1)));
}

// ---- unary, in place ----
TT_UNARY_(neg_, neg_)
TT_UNARY_(abs_, abs_)
TT_UNARY_(exp_, exp_)
TT_UNARY_(log_, log_)
TT_UNARY_(log1p_, log1p_)
TT_UNARY_(sqrt_, sqrt_)
TT_UNARY_(rsqrt_, rsqrt_)
TT_UNARY_(square_, square_)
TT_UNARY_(sin_, sin_)
TT_UNARY_(cos_, cos_)
TT_UNARY_(tanh_, tanh_)
TT_UNARY_(sigmoid_, sigmoid_)
TT_UNARY_(relu_, relu_)
TT_UNARY_(sign_, sign_)
TT_UNARY_(floor_, floor_)
TT_UNARY_(ceil_, ceil_)
TT_UNARY_(round_, round_)
TT_UNARY_(trunc_, trunc_)
TT_UNARY_(reciprocal_, reciprocal_)
TT_UNARY_(zero_, zero_)
TT_UNARY_(erfinv_, erfinv_)

// ---- binary against a tensor ----
// add/sub take alpha (x + alpha * y), as torch.add does.
TT_BINDING(add) {
  if (!a.has(2)) return a.ret(at::add(a.tensor(0), a.tensor(1)));
  return a.ret(at::add(a.tensor(0), a.tensor(1), a.scalar(2)));
}
TT_BINDING(sub) {
  if (!a.has(2)) return a.ret(at::sub(a.tensor(0), a.tensor(1)));
  return a.ret(at::sub(a.tensor(0), a.tensor(1), a.scalar(2)));
}
TT_BINARY(mul, mul)
// div(x, y, roundingMode?): roundingMode is 'trunc' or 'floor'; none is true division.
TT_BINDING(div) {
  if (!a.has(2)) return a.ret(at::div(a.tensor(0), a.tensor(1)));
  return a.ret(at::div(a.tensor(0), a.tensor(1), tt::compat::roundingMode(a.string(2))));
}
TT_BINARY(pow, pow)
TT_BINARY(maximum, maximum)
TT_BINARY(minimum, minimum)
TT_BINARY(remainder, remainder)
TT_BINARY(fmod, fmod)
TT_BINARY(atan2, atan2)
TT_BINARY(eq, eq)
TT_BINARY(ne, ne)
TT_BINARY(lt, lt)
TT_BINARY(le, le)
TT_BINARY(gt, gt)
TT_BINARY(ge, ge)
TT_BINARY(logicalAnd, logical_and)
TT_BINARY(logicalOr, logical_or)
TT_BINARY(logicalXor, logical_xor)
TT_BINARY(bitwiseAnd, bitwise_and)
TT_BINARY(bitwiseOr, bitwise_or)
TT_BINARY(bitwiseXor, bitwise_xor)

// equal(x, y): same shape and values (torch.equal).
TT_BINDING(equal) { return Napi::Boolean::New(a.env(), at::equal(a.tensor(0), a.tensor(1))); }

// allclose(x, y, rtol, atol, equalNan)
TT_BINDING(allclose) {
  return Napi::Boolean::New(a.env(), at::allclose(a.tensor(0), a.tensor(1), a.number(2), a.number(3), a.boolean(4, false)));
}

// ---- binary against a scalar ----
// add/sub/mul/div's Scalar overloads are C++-only in PyTorch: Python wraps the number into a
// 0-d "wrapped number" tensor and calls the Tensor overload. We do the same, so results, type
// promotion and autograd node names (AddBackward0) match Python's exactly.
TT_BINDING(addScalar) {
  at::Tensor s = tt::wrappedScalar(a.scalar(1));
  if (!a.has(2)) return a.ret(at::add(a.tensor(0), s));
  return a.ret(at::add(a.tensor(0), s, a.scalar(2)));
}
TT_BINDING(subScalar) {
  at::Tensor s = tt::wrappedScalar(a.scalar(1));
  if (!a.has(2)) return a.ret(at::sub(a.tensor(0), s));
  return a.ret(at::sub(a.tensor(0), s, a.scalar(2)));
}
TT_BINDING(mulScalar) { return a.ret(at::mul(a.tensor(0), tt::wrappedScalar(a.scalar(1)))); }
TT_BINDING(divScalar) {
  at::Tensor s = tt::wrappedScalar(a.scalar(1));
  if (!a.has(2)) return a.ret(at::div(a.tensor(0), s));
  return a.ret(at::div(a.tensor(0), s, tt::compat::roundingMode(a.string(2))));
}
TT_BINARY_SCALAR(powScalar, pow)
TT_BINARY_SCALAR(remainderScalar, remainder)
TT_BINARY_SCALAR(fmodScalar, fmod)
TT_BINARY_SCALAR(eqScalar, eq)
TT_BINARY_SCALAR(neScalar, ne)
TT_BINARY_SCALAR(ltScalar, lt)
TT_BINARY_SCALAR(leScalar, le)
TT_BINARY_SCALAR(gtScalar, gt)
TT_BINARY_SCALAR(geScalar, ge)

// Scalar on the left: s - x, s / x, s ** x (Python's __rsub__, __rtruediv__, __rpow__).
TT_BINDING(rsubScalar) { return a.ret(at::rsub(a.tensor(0), a.scalar(1))); }
TT_BINDING(rdivScalar) { return a.ret(at::reciprocal(a.tensor(0)).mul(a.scalar(1))); }
TT_BINDING(rpowScalar) { return a.ret(at::pow(a.scalar(1), a.tensor(0))); }

// maximum/minimum with a number: torch.clamp semantics keep the tensor's dtype.
TT_BINDING(maximumScalar) { return a.ret(at::clamp_min(a.tensor(0), a.scalar(1))); }
TT_BINDING(minimumScalar) { return a.ret(at::clamp_max(a.tensor(0), a.scalar(1))); }

// ---- binary, in place (x is modified and a new handle to it returned) ----
TT_BINDING(add_) {
  const at::Tensor& x = a.tensor(0);
  return a.ret(a.has(2) ? x.add_(a.tensor(1), a.scalar(2)) : x.add_(a.tensor(1)));
}
TT_BINDING(sub_) {
  const at::Tensor& x = a.tensor(0);
  return a.ret(a.has(2) ? x.sub_(a.tensor(1), a.scalar(2)) : x.sub_(a.tensor(1)));
}
TT_BINDING(mul_) { return a.ret(a.tensor(0).mul_(a.tensor(1))); }
TT_BINDING(div_) {
  const at::Tensor& x = a.tensor(0);
  if (!a.has(2)) return a.ret(x.div_(a.tensor(1)));
  return a.ret(x.div_(a.tensor(1), tt::compat::roundingMode(a.string(2))));
}
TT_BINDING(pow_) { return a.ret(a.tensor(0).pow_(a.tensor(1))); }
TT_BINDING(addScalar_) {
  const at::Tensor& x = a.tensor(0);
  at::Tensor s = tt::wrappedScalar(a.scalar(1));
  return a.ret(a.has(2) ? x.add_(s, a.scalar(2)) : x.add_(s));
}
TT_BINDING(subScalar_) {
  const at::Tensor& x = a.tensor(0);
  at::Tensor s = tt::wrappedScalar(a.scalar(1));
  return a.ret(a.has(2) ? x.sub_(s, a.scalar(2)) : x.sub_(s));
}
TT_BINDING(mulScalar_) { return a.ret(a.tensor(0).mul_(tt::wrappedScalar(a.scalar(1)))); }
TT_BINDING(divScalar_) {
  const at::Tensor& x = a.tensor(0);
  at::Tensor s = tt::wrappedScalar(a.scalar(1));
  if (!a.has(2)) return a.ret(x.div_(s));
  return a.ret(x.div_(s, tt::compat::roundingMode(a.string(2))));
}
TT_BINDING(powScalar_) { return a.ret(a.tensor(0).pow_(a.scalar(1))); }

}  // namespace

namespace tt {
void registerPointwise(Napi::Env, Napi::Object e) {
  // unary
  TT_EXPORT(e, neg); TT_EXPORT(e, abs); TT_EXPORT(e, exp); TT_EXPORT(e, exp2); TT_EXPORT(e, expm1);
  TT_EXPORT(e, log); TT_EXPORT(e, log1p); TT_EXPORT(e, log2); TT_EXPORT(e, log10);
  TT_EXPORT(e, sqrt); TT_EXPORT(e, rsqrt); TT_EXPORT(e, square);
  TT_EXPORT(e, sin); TT_EXPORT(e, cos); TT_EXPORT(e, tan); TT_EXPORT(e, asin); TT_EXPORT(e, acos); TT_EXPORT(e, atan);
  TT_EXPORT(e, sinh); TT_EXPORT(e, cosh); TT_EXPORT(e, tanh); TT_EXPORT(e, sigmoid); TT_EXPORT(e, relu); TT_EXPORT(e, silu);
  TT_EXPORT(e, erf); TT_EXPORT(e, erfinv); TT_EXPORT(e, sign); TT_EXPORT(e, floor); TT_EXPORT(e, ceil);
  TT_EXPORT(e, trunc); TT_EXPORT(e, frac); TT_EXPORT(e, round); TT_EXPORT(e, reciprocal);
  TT_EXPORT(e, logicalNot); TT_EXPORT(e, bitwiseNot); TT_EXPORT(e, isnan); TT_EXPORT(e, isinf); TT_EXPORT(e, isfinite);
  // unary in place
  TT_EXPORT(e, neg_); TT_EXPORT(e, abs_); TT_EXPORT(e, exp_); TT_EXPORT(e, log_); TT_EXPORT(e, log1p_);
  TT_EXPORT(e, sqrt_); TT_EXPORT(e, rsqrt_); TT_EXPORT(e, square_); TT_EXPORT(e, sin_); TT_EXPORT(e, cos_);
  TT_EXPORT(e, tanh_); TT_EXPORT(e, sigmoid_); TT_EXPORT(e, relu_); TT_EXPORT(e, sign_); TT_EXPORT(e, floor_);
  TT_EXPORT(e, ceil_); TT_EXPORT(e, round_); TT_EXPORT(e, trunc_); TT_EXPORT(e, reciprocal_); TT_EXPORT(e, zero_); TT_EXPORT(e, erfinv_);
  // binary
  TT_EXPORT(e, add); TT_EXPORT(e, sub); TT_EXPORT(e, mul); TT_EXPORT(e, div); TT_EXPORT(e, pow);
  TT_EXPORT(e, maximum); TT_EXPORT(e, minimum); TT_EXPORT(e, remainder); TT_EXPORT(e, fmod); TT_EXPORT(e, atan2);
  TT_EXPORT(e, eq); TT_EXPORT(e, ne); TT_EXPORT(e, lt); TT_EXPORT(e, le); TT_EXPORT(e, gt); TT_EXPORT(e, ge);
  TT_EXPORT(e, logicalAnd); TT_EXPORT(e, logicalOr); TT_EXPORT(e, logicalXor);
  TT_EXPORT(e, bitwiseAnd); TT_EXPORT(e, bitwiseOr); TT_EXPORT(e, bitwiseXor);
  TT_EXPORT(e, equal); TT_EXPORT(e, allclose);
  // scalar
  TT_EXPORT(e, addScalar); TT_EXPORT(e, subScalar); TT_EXPORT(e, mulScalar); TT_EXPORT(e, divScalar);
  TT_EXPORT(e, powScalar); TT_EXPORT(e, remainderScalar); TT_EXPORT(e, fmodScalar);
  TT_EXPORT(e, eqScalar); TT_EXPORT(e, neScalar); TT_EXPORT(e, ltScalar); TT_EXPORT(e, leScalar);
  TT_EXPORT(e, gtScalar); TT_EXPORT(e, geScalar);
  TT_EXPORT(e, rsubScalar); TT_EXPORT(e, rdivScalar); TT_EXPORT(e, rpowScalar);
  TT_EXPORT(e, maximumScalar); TT_EXPORT(e, minimumScalar);
  // binary in place
  TT_EXPORT(e, add_); TT_EXPORT(e, sub_); TT_EXPORT(e, mul_); TT_EXPORT(e, div_); TT_EXPORT(e, pow_);
  TT_EXPORT(e, addScalar_); TT_EXPORT(e, subScalar_); TT_EXPORT(e, mulScalar_); TT_EXPORT(e, divScalar_);
  TT_EXPORT(e, powScalar_);
}
}  // namespace tt
