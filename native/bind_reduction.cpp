// Reductions: each takes optional dims and keepdim, as PyTorch's do. Those that return values
// and indices (max/min over a dim, topk, sort) return a pair of handles.
#include "boundary.h"
#include "compat.h"
#include "registrars.h"

namespace {

// dims at i: undefined/null means all dims; a number or an array of numbers otherwise.
c10::optional<std::vector<int64_t>> dimsArg(tt::Args& a, size_t i) {
  auto dims = a.optInts(i);
  if (!dims) return c10::optional<std::vector<int64_t>>();
  return *dims;
}

at::OptionalIntArrayRef dimsRef(const c10::optional<std::vector<int64_t>>& dims) {
  if (!dims) return c10::nullopt;
  return at::IntArrayRef(*dims);
}

// sum(x, dims?, keepdim?, dtype?) and mean(x, dims?, keepdim?, dtype?)
// With no dims these call the all-elements overloads, as Python's x.sum() does (SumBackward0).
TT_BINDING(sum) {
  if (!a.has(1) && !a.boolean(2, false)) return a.ret(at::sum(a.tensor(0), tt::compat::opt(a.optDtype(3))));
  auto dims = dimsArg(a, 1);
  return a.ret(at::sum(a.tensor(0), dimsRef(dims), a.boolean(2, false), tt::compat::opt(a.optDtype(3))));
}
TT_BINDING(mean) {
  if (!a.has(1) && !a.boolean(2, false)) return a.ret(at::mean(a.tensor(0), tt::compat::opt(a.optDtype(3))));
  auto dims = dimsArg(a, 1);
  return a.ret(at::mean(a.tensor(0), dimsRef(dims), a.boolean(2, false), tt::compat::opt(a.optDtype(3))));
}

// prod(x, dim?, keepdim?, dtype?): one dim or all, as in PyTorch.
TT_BINDING(prod) {
  auto dtype = tt::compat::opt(a.optDtype(3));
  if (!a.has(1)) return a.ret(at::prod(a.tensor(0), dtype));
  return a.ret(at::prod(a.tensor(0), a.int64(1), a.boolean(2, false), dtype));
}

// max(x) / min(x): the overall value; maxDim(x, dim, keepdim) / minDim: [values, indices].
TT_BINDING(max) { return a.ret(at::max(a.tensor(0))); }
TT_BINDING(min) { return a.ret(at::min(a.tensor(0))); }
TT_BINDING(maxDim) { return a.ret(at::max(a.tensor(0), a.int64(1), a.boolean(2, false))); }
TT_BINDING(minDim) { return a.ret(at::min(a.tensor(0), a.int64(1), a.boolean(2, false))); }

// amax/amin(x, dims?, keepdim?): values only, over several dims.
TT_BINDING(amax) {
  auto dims = a.optInts(1).value_or(std::vector<int64_t>{});
  return a.ret(at::amax(a.tensor(0), dims, a.boolean(2, false)));
}
TT_BINDING(amin) {
  auto dims = a.optInts(1).value_or(std::vector<int64_t>{});
  return a.ret(at::amin(a.tensor(0), dims, a.boolean(2, false)));
}

// argmax/argmin(x, dim?, keepdim?)
TT_BINDING(argmax) { return a.ret(at::argmax(a.tensor(0), tt::compat::opt(a.optInt64(1)), a.boolean(2, false))); }
TT_BINDING(argmin) { return a.ret(at::argmin(a.tensor(0), tt::compat::opt(a.optInt64(1)), a.boolean(2, false))); }

// std/var(x, dims?, correction?, keepdim?): correction 1 (Bessel) by default, as in PyTorch.
TT_BINDING(std) {
  auto dims = dimsArg(a, 1);
  double correction = a.has(2) ? a.number(2) : 1.0;
  return a.ret(at::std(a.tensor(0), dimsRef(dims), tt::compat::correction(correction), a.boolean(3, false)));
}
TT_BINDING(var) {
  auto dims = dimsArg(a, 1);
  double correction = a.has(2) ? a.number(2) : 1.0;
  return a.ret(at::var(a.tensor(0), dimsRef(dims), tt::compat::correction(correction), a.boolean(3, false)));
}

// norm(x, p?, dims?, keepdim?): the vector p-norm (torch.linalg.vector_norm); p may be Infinity.
TT_BINDING(norm) {
  double p = a.has(1) ? a.number(1) : 2.0;
  auto dims = dimsArg(a, 2);
  return a.ret(at::linalg_vector_norm(a.tensor(0), c10::Scalar(p), dimsRef(dims), a.boolean(3, false)));
}

// logsumexp(x, dims, keepdim?)
TT_BINDING(logsumexp) {
  const at::Tensor& x = a.tensor(0);
  std::vector<int64_t> dims = a.has(1) ? a.ints(1) : std::vector<int64_t>{};
  if (dims.empty())
    for (int64_t d = 0; d < x.dim(); d++) dims.push_back(d);
  return a.ret(at::logsumexp(x, dims, a.boolean(2, false)));
}

// cumsum/cumprod(x, dim, dtype?)
TT_BINDING(cumsum) { return a.ret(at::cumsum(a.tensor(0), a.int64(1), tt::compat::opt(a.optDtype(2)))); }
TT_BINDING(cumprod) { return a.ret(at::cumprod(a.tensor(0), a.int64(1), tt::compat::opt(a.optDtype(2)))); }

// topk(x, k, dim?, largest?, sorted?) -> [values, indices]
TT_BINDING(topk) {
  int64_t k = a.int64(1);
  int64_t dim = a.has(2) ? a.int64(2) : -1;
  return a.ret(at::topk(a.tensor(0), k, dim, a.boolean(3, true), a.boolean(4, true)));
}

// sort(x, dim?, descending?, stable?) -> [values, indices]
TT_BINDING(sort) {
  int64_t dim = a.has(1) ? a.int64(1) : -1;
  return a.ret(at::sort(a.tensor(0), c10::optional<bool>(a.boolean(3, false)), dim, a.boolean(2, false)));
}

TT_BINDING(argsort) {
  int64_t dim = a.has(1) ? a.int64(1) : -1;
  return a.ret(std::get<1>(at::sort(a.tensor(0), c10::optional<bool>(a.boolean(3, false)), dim, a.boolean(2, false))));
}

// all/any(x, dim?, keepdim?)
TT_BINDING(all) {
  if (!a.has(1)) return a.ret(at::all(a.tensor(0)));
  return a.ret(at::all(a.tensor(0), a.int64(1), a.boolean(2, false)));
}
TT_BINDING(any) {
  if (!a.has(1)) return a.ret(at::any(a.tensor(0)));
  return a.ret(at::any(a.tensor(0), a.int64(1), a.boolean(2, false)));
}

// countNonzero(x, dims?)
TT_BINDING(countNonzero) {
  if (!a.has(1)) return a.ret(at::count_nonzero(a.tensor(0)));
  return a.ret(at::count_nonzero(a.tensor(0), a.ints(1)));
}

}  // namespace

namespace tt {
void registerReduction(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, sum); TT_EXPORT(e, mean); TT_EXPORT(e, prod);
  TT_EXPORT(e, max); TT_EXPORT(e, min); TT_EXPORT(e, maxDim); TT_EXPORT(e, minDim);
  TT_EXPORT(e, amax); TT_EXPORT(e, amin); TT_EXPORT(e, argmax); TT_EXPORT(e, argmin);
  TT_EXPORT(e, std); TT_EXPORT(e, var); TT_EXPORT(e, norm); TT_EXPORT(e, logsumexp);
  TT_EXPORT(e, cumsum); TT_EXPORT(e, cumprod); TT_EXPORT(e, topk); TT_EXPORT(e, sort); TT_EXPORT(e, argsort);
  TT_EXPORT(e, all); TT_EXPORT(e, any); TT_EXPORT(e, countNonzero);
}
}  // namespace tt
