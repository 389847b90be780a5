// Indexing (x[...] get and set, as Python's), gather/scatter, masked ops and where.
#include "boundary.h"
#include "compat.h"
#include "registrars.h"

namespace {

using at::indexing::TensorIndex;

c10::optional<int64_t> sliceBound(tt::Args& a, size_t argIndex, Napi::Value v, const char* part) {
  if (v.IsUndefined() || v.IsNull()) return c10::nullopt;
  if (!v.IsNumber()) a.typeError(argIndex, std::string("a slice whose ") + part + " is an integer or null");
  int64_t n;
  if (tt::readInt64(v, &n) != tt::IntRead::Ok)
    a.rangeError(argIndex, std::string("has a slice ") + part + " that is not an integer: " + tt::kindOf(v));
  return n;
}

// The index spec the JS layer builds: an array whose items are an integer, null (new axis),
// a boolean, '...', [start, stop, step] (a slice, null for omitted parts) or {tensor: handle}.
std::vector<TensorIndex> parseIndex(tt::Args& a, size_t i) {
  if (!a.has(i) || !a[i].IsArray()) a.typeError(i, "an index spec array");
  Napi::Array items = a[i].As<Napi::Array>();
  std::vector<TensorIndex> out;
  out.reserve(items.Length());
  for (uint32_t k = 0; k < items.Length(); k++) {
    Napi::Value v = items[k];
    if (v.IsNumber()) {
      int64_t n;
      if (tt::readInt64(v, &n) != tt::IntRead::Ok)
        a.rangeError(i, "has " + tt::kindOf(v) + " at position " + std::to_string(k) + "; indices must be integers");
      out.emplace_back(n);
    } else if (v.IsNull() || v.IsUndefined()) {
      out.emplace_back(at::indexing::None);
    } else if (v.IsBoolean()) {
      out.emplace_back(v.As<Napi::Boolean>().Value());
    } else if (v.IsString()) {
      std::string s = v.As<Napi::String>().Utf8Value();
      if (s != "...") a.rangeError(i, "has the string '" + s + "' at position " + std::to_string(k) + "; only '...' is allowed");
      out.emplace_back(at::indexing::Ellipsis);
    } else if (v.IsArray()) {
      Napi::Array s = v.As<Napi::Array>();
      auto step = sliceBound(a, i, s.Get(2u), "step");
      if (step && *step <= 0) a.rangeError(i, "has a slice step " + std::to_string(*step) + "; steps must be positive");
      out.emplace_back(at::indexing::Slice(sliceBound(a, i, s.Get(0u), "start"), sliceBound(a, i, s.Get(1u), "stop"), step));
    } else if (v.IsObject() && v.As<Napi::Object>().Has("tensor")) {
      out.emplace_back(tt::tensorFromValue(v.As<Napi::Object>().Get("tensor"), a.fn(), i));
    } else {
      a.typeError(i, "an index spec of integers, null, booleans, '...', slices and Tensors");
    }
  }
  return out;
}

// index(x, spec): x[spec] as in Python; integer and slice parts give views.
TT_BINDING(index) {
  auto idx = parseIndex(a, 1);
  return a.ret(a.tensor(0).index(idx));
}

// indexPut_(x, spec, value): x[spec] = value, value a Tensor handle or a number.
TT_BINDING(indexPut_) {
  at::Tensor x = a.tensor(0);  // index_put_ is a non-const member in libtorch 2.x
  auto idx = parseIndex(a, 1);
  if (a.size() > 3 && a[3].IsBoolean() && a[3].As<Napi::Boolean>().Value())
    return a.ret(x.index_put_(idx, a.tensor(2)));
  return a.ret(x.index_put_(idx, a.scalar(2)));
}

// gather(x, dim, index)
TT_BINDING(gather) { return a.ret(at::gather(a.tensor(0), a.int64(1), a.tensor(2))); }

// scatter(x, dim, index, src, reduce?) with a src Tensor; scatterValue with a number.
TT_BINDING(scatter) {
  if (a.has(4)) return a.ret(at::scatter(a.tensor(0), a.int64(1), a.tensor(2), a.tensor(3), a.string(4)));
  return a.ret(at::scatter(a.tensor(0), a.int64(1), a.tensor(2), a.tensor(3)));
}
TT_BINDING(scatterValue) { return a.ret(at::scatter(a.tensor(0), a.int64(1), a.tensor(2), a.scalar(3))); }
TT_BINDING(scatter_) { return a.ret(a.tensor(0).scatter_(a.int64(1), a.tensor(2), a.tensor(3))); }
TT_BINDING(scatterAdd) { return a.ret(at::scatter_add(a.tensor(0), a.int64(1), a.tensor(2), a.tensor(3))); }
TT_BINDING(scatterAdd_) { return a.ret(a.tensor(0).scatter_add_(a.int64(1), a.tensor(2), a.tensor(3))); }
// scatterReduce(x, dim, index, src, reduce, includeSelf?): reduce is sum, prod, mean, amax or amin.
TT_BINDING(scatterReduce) {
  return a.ret(at::scatter_reduce(a.tensor(0), a.int64(1), a.tensor(2), a.tensor(3), a.string(4), a.boolean(5, true)));
}

TT_BINDING(indexSelect) { return a.ret(at::index_select(a.tensor(0), a.int64(1), a.tensor(2))); }
TT_BINDING(indexAdd) { return a.ret(at::index_add(a.tensor(0), a.int64(1), a.tensor(2), a.tensor(3))); }

// maskedFill(x, mask, value): value a number, or a 0-d Tensor when given as a handle with flag.
TT_BINDING(maskedFill) {
  if (a.size() > 3 && a[3].IsBoolean() && a[3].As<Napi::Boolean>().Value())
    return a.ret(at::masked_fill(a.tensor(0), a.tensor(1), a.tensor(2)));
  return a.ret(at::masked_fill(a.tensor(0), a.tensor(1), a.scalar(2)));
}
TT_BINDING(maskedFill_) {
  if (a.size() > 3 && a[3].IsBoolean() && a[3].As<Napi::Boolean>().Value())
    return a.ret(a.tensor(0).masked_fill_(a.tensor(1), a.tensor(2)));
  return a.ret(a.tensor(0).masked_fill_(a.tensor(1), a.scalar(2)));
}
TT_BINDING(maskedSelect) { return a.ret(at::masked_select(a.tensor(0), a.tensor(1))); }
TT_BINDING(nonzero) { return a.ret(at::nonzero(a.tensor(0))); }

// where(cond, x, y): x and y each a Tensor handle or a number (flags say which).
TT_BINDING(where) {
  const at::Tensor& cond = a.tensor(0);
  bool xIsTensor = a.boolean(3), yIsTensor = a.boolean(4);
  if (xIsTensor && yIsTensor) return a.ret(at::where(cond, a.tensor(1), a.tensor(2)));
  if (xIsTensor) return a.ret(at::where(cond, a.tensor(1), a.scalar(2)));
  if (yIsTensor) return a.ret(at::where(cond, a.scalar(1), a.tensor(2)));
  return a.ret(at::where(cond, a.scalar(1), a.scalar(2)));
}

// oneHot(indices, numClasses?)
TT_BINDING(oneHot) {
  const at::Tensor& x = a.tensor(0);
  int64_t classes = a.has(1) ? a.int64(1) : -1;
  if (static_cast<long double>(x.numel()) * std::max<int64_t>(classes, 1) > static_cast<long double>(int64_t(1) << 48))
    a.rangeError(1, "(numClasses) would make more than 2^48 elements");
  return a.ret(at::one_hot(x, classes));
}

}  // namespace

namespace tt {
void registerIndexing(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, index); TT_EXPORT(e, indexPut_); TT_EXPORT(e, gather);
  TT_EXPORT(e, scatter); TT_EXPORT(e, scatterValue); TT_EXPORT(e, scatter_); TT_EXPORT(e, scatterAdd);
  TT_EXPORT(e, scatterAdd_); TT_EXPORT(e, scatterReduce); TT_EXPORT(e, indexSelect); TT_EXPORT(e, indexAdd);
  TT_EXPORT(e, maskedFill); TT_EXPORT(e, maskedFill_); TT_EXPORT(e, maskedSelect); TT_EXPORT(e, nonzero);
  TT_EXPORT(e, where); TT_EXPORT(e, oneHot);
}
}  // namespace tt
