// Shape and layout: views (reshape, view, permute, ...), joins and splits, dtype/device moves.
#include "boundary.h"
#include "compat.h"
#include "registrars.h"

namespace {

TT_BINDING(reshape) { return a.ret(a.tensor(0).reshape(a.sizes(1, tt::Args::Infer::One))); }
TT_BINDING(view) { return a.ret(a.tensor(0).view(a.sizes(1, tt::Args::Infer::One))); }
TT_BINDING(viewDtype) { return a.ret(a.tensor(0).view(a.dtype(1))); }

// flatten(x, startDim?, endDim?)
TT_BINDING(flatten) {
  int64_t start = a.has(1) ? a.int64(1) : 0, end = a.has(2) ? a.int64(2) : -1;
  return a.ret(at::flatten(a.tensor(0), start, end));
}
TT_BINDING(unflatten) { return a.ret(a.tensor(0).unflatten(a.int64(1), a.sizes(2, tt::Args::Infer::One))); }

// squeeze(x, dims?): all size-1 dims, or the ones named (non-1 ones are left alone, as in PyTorch).
TT_BINDING(squeeze) {
  if (!a.has(1)) return a.ret(at::squeeze(a.tensor(0)));
  return a.ret(tt::compat::squeezeDims(a.tensor(0), a.ints(1)));
}
TT_BINDING(unsqueeze) { return a.ret(at::unsqueeze(a.tensor(0), a.int64(1))); }
TT_BINDING(permute) { return a.ret(a.tensor(0).permute(a.ints(1))); }
TT_BINDING(transpose) { return a.ret(at::transpose(a.tensor(0), a.int64(1), a.int64(2))); }
TT_BINDING(t) { return a.ret(a.tensor(0).t()); }
TT_BINDING(movedim) { return a.ret(at::movedim(a.tensor(0), a.ints(1), a.ints(2))); }
TT_BINDING(expand) { return a.ret(a.tensor(0).expand(a.sizes(1, tt::Args::Infer::Any))); }
TT_BINDING(broadcastTo) { return a.ret(at::broadcast_to(a.tensor(0), a.sizes(1, tt::Args::Infer::Any))); }

// repeat(x, sizes): tiles; sizes must have at least x.dim() entries.
TT_BINDING(repeat) {
  const at::Tensor& x = a.tensor(0);
  auto repeats = a.sizes(1);
  long double count = static_cast<long double>(x.numel());
  for (int64_t r : repeats) count *= static_cast<long double>(r);
  if (count > static_cast<long double>(int64_t(1) << 48)) a.rangeError(1, "would make more than 2^48 elements");
  return a.ret(x.repeat(repeats));
}
TT_BINDING(repeatInterleave) {
  const at::Tensor& x = a.tensor(0);
  int64_t repeats = a.int64(1);
  if (static_cast<long double>(x.numel()) * std::max<int64_t>(repeats, 1) > static_cast<long double>(int64_t(1) << 48))
    a.rangeError(1, "(repeats) would make more than 2^48 elements");
  return a.ret(at::repeat_interleave(x, repeats, tt::compat::opt(a.optInt64(2))));
}
TT_BINDING(flip) { return a.ret(at::flip(a.tensor(0), a.ints(1))); }
TT_BINDING(roll) {
  std::vector<int64_t> dims = a.has(2) ? a.ints(2) : std::vector<int64_t>{};
  return a.ret(at::roll(a.tensor(0), a.ints(1), dims));
}

// cat/stack(tensors, dim?)
TT_BINDING(cat) {
  auto list = a.tensors(0);
  if (list.empty()) a.rangeError(0, "must hold at least one Tensor");
  return a.ret(at::cat(list, a.has(1) ? a.int64(1) : 0));
}
TT_BINDING(stack) {
  auto list = a.tensors(0);
  if (list.empty()) a.rangeError(0, "must hold at least one Tensor");
  return a.ret(at::stack(list, a.has(1) ? a.int64(1) : 0));
}

// split(x, sizeOrSizes, dim?): one size gives equal pieces (the last may be smaller); an array
// gives pieces of exactly those sizes.
TT_BINDING(split) {
  const at::Tensor& x = a.tensor(0);
  int64_t dim = a.has(2) ? a.int64(2) : 0;
  if (a.size() > 1 && a[1].IsArray()) return a.ret(at::split_with_sizes(x, a.ints(1), dim));
  int64_t size = a.int64(1);
  if (size <= 0) a.rangeError(1, "(split size) must be positive, got " + std::to_string(size));
  return a.ret(at::split(x, size, dim));
}
TT_BINDING(chunk) {
  int64_t chunks = a.int64(1);
  if (chunks <= 0) a.rangeError(1, "(chunks) must be positive, got " + std::to_string(chunks));
  return a.ret(at::chunk(a.tensor(0), chunks, a.has(2) ? a.int64(2) : 0));
}
TT_BINDING(unbind) { return a.ret(at::unbind(a.tensor(0), a.has(1) ? a.int64(1) : 0)); }
TT_BINDING(narrow) { return a.ret(at::narrow(a.tensor(0), a.int64(1), a.int64(2), a.int64(3))); }
TT_BINDING(select) { return a.ret(at::select(a.tensor(0), a.int64(1), a.int64(2))); }

TT_BINDING(contiguous) { return a.ret(a.tensor(0).contiguous()); }
TT_BINDING(clone) { return a.ret(a.tensor(0).clone()); }
TT_BINDING(detach) { return a.ret(a.tensor(0).detach()); }
TT_BINDING(tril) { return a.ret(at::tril(a.tensor(0), a.has(1) ? a.int64(1) : 0)); }
TT_BINDING(triu) { return a.ret(at::triu(a.tensor(0), a.has(1) ? a.int64(1) : 0)); }
TT_BINDING(diag) {
  const at::Tensor& x = a.tensor(0);
  int64_t diagonal = a.has(1) ? a.int64(1) : 0;
  long double side = static_cast<long double>(x.dim() == 1 ? x.numel() : 0) + std::fabs(static_cast<long double>(diagonal));
  if (side * side > static_cast<long double>(int64_t(1) << 48)) a.rangeError(1, "(diagonal) would make more than 2^48 elements");
  return a.ret(at::diag(x, diagonal));
}

// to(x, dtype?, device?, nonBlocking?, copy?): a no-op returns the same tensor (a new handle).
TT_BINDING(to) {
  const at::Tensor& x = a.tensor(0);
  auto opts = x.options();
  if (a.has(1)) opts = opts.dtype(a.dtype(1));
  if (a.has(2)) opts = opts.device(a.device(2));
  return a.ret(x.to(opts, a.boolean(3, false), a.boolean(4, false)));
}

// pad(x, pads, mode?, value?): pads run from the last dim backwards, as in F.pad.
TT_BINDING(pad) {
  std::string mode = a.has(2) ? a.string(2) : "constant";
  double value = a.has(3) ? a.number(3) : 0.0;
  auto pads = a.ints(1);
  const at::Tensor& x = a.tensor(0);
  if (pads.size() % 2 != 0) a.rangeError(1, "(pads) must have an even length (before/after pairs), got " + std::to_string(pads.size()));
  if (pads.size() / 2 > static_cast<size_t>(x.dim())) a.rangeError(1, "(pads) pads more dims than the tensor has");
  long double count = 1;
  for (int64_t d = 0; d < x.dim(); d++) {
    int64_t k = x.dim() - 1 - d;  // pads run from the last dim backwards
    long double size = static_cast<long double>(x.size(d));
    if (static_cast<size_t>(2 * k + 1) < pads.size()) size += pads[2 * k] + pads[2 * k + 1];
    count *= std::max<long double>(size, 0);
  }
  if (count > static_cast<long double>(int64_t(1) << 48)) a.rangeError(1, "(pads) would make more than 2^48 elements");
  return a.ret(tt::compat::pad(x, pads, mode, value));
}

}  // namespace

namespace tt {
void registerShape(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, reshape); TT_EXPORT(e, view); TT_EXPORT(e, viewDtype); TT_EXPORT(e, flatten); TT_EXPORT(e, unflatten);
  TT_EXPORT(e, squeeze); TT_EXPORT(e, unsqueeze); TT_EXPORT(e, permute); TT_EXPORT(e, transpose); TT_EXPORT(e, t);
  TT_EXPORT(e, movedim); TT_EXPORT(e, expand); TT_EXPORT(e, broadcastTo); TT_EXPORT(e, repeat);
  TT_EXPORT(e, repeatInterleave); TT_EXPORT(e, flip); TT_EXPORT(e, roll);
  TT_EXPORT(e, cat); TT_EXPORT(e, stack); TT_EXPORT(e, split); TT_EXPORT(e, chunk); TT_EXPORT(e, unbind);
  TT_EXPORT(e, narrow); TT_EXPORT(e, select);
  TT_EXPORT(e, contiguous); TT_EXPORT(e, clone); TT_EXPORT(e, detach);
  TT_EXPORT(e, tril); TT_EXPORT(e, triu); TT_EXPORT(e, diag); TT_EXPORT(e, to); TT_EXPORT(e, pad);
}
}  // namespace tt
