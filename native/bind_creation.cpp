// Tensor creation: from JS typed arrays, constant and random factories, and their *Like forms.
// Factories go through torch:: (not at::) because only those honour requires_grad in the options.
#include "boundary.h"
#include "registrars.h"

namespace {

std::vector<int64_t> shapeArg(tt::Args& a, size_t i) { return a.sizes(i); }

at::ScalarType typedArrayDtype(napi_typedarray_type type) {
  switch (type) {
    case napi_float32_array: return at::kFloat;
    case napi_float64_array: return at::kDouble;
    case napi_int8_array: return at::kChar;
    case napi_uint8_array: case napi_uint8_clamped_array: return at::kByte;
    case napi_int16_array: return at::kShort;
    case napi_int32_array: return at::kInt;
    case napi_bigint64_array: return at::kLong;
    default: throw std::invalid_argument("unsupported typed array kind (use Float32Array, Float64Array, Int8Array, "
                                         "Uint8Array, Int16Array, Int32Array or BigInt64Array)");
  }
}

// "[1][2]" for the flat position k of a tensor of this shape ("" for a 0-d one).
std::string elementPosition(int64_t k, const std::vector<int64_t>& shape) {
  std::string out;
  for (size_t d = shape.size(); d-- > 0;) {
    out = "[" + std::to_string(k % shape[d]) + "]" + out;
    k /= shape[d];
  }
  return out;
}

template <typename T>
int64_t firstMisfit(const T* values, int64_t count, at::ScalarType target) {
  for (int64_t k = 0; k < count; k++) {
    if constexpr (std::is_floating_point_v<T>) {
      double v = values[k];
      // An integer-valued number acts as a Python int does (-1 fits uint8, as 255).
      bool fits = std::floor(v) == v && std::fabs(v) < 9223372036854775808.0 ? tt::fitsDtype(static_cast<int64_t>(v), target) : tt::fitsDtype(v, target);
      if (!fits) return k;
    } else if (!tt::fitsDtype(static_cast<int64_t>(values[k]), target)) {
      return k;
    }
  }
  return -1;
}

// Casting refuses values an integer dtype cannot hold, as torch.tensor does ("value cannot be
// converted to type int8 without overflow"), instead of wrapping them (at::Tensor::to wraps).
void checkElementsFit(const void* data, at::ScalarType source, int64_t count, at::ScalarType target, const std::vector<int64_t>& shape,
                      const std::string& caller) {
  int64_t bad = -1;
  std::string text;
  switch (source) {
    case at::kFloat: if ((bad = firstMisfit(static_cast<const float*>(data), count, target)) >= 0) text = tt::numberText(static_cast<const float*>(data)[bad]); break;
    case at::kDouble: if ((bad = firstMisfit(static_cast<const double*>(data), count, target)) >= 0) text = tt::numberText(static_cast<const double*>(data)[bad]); break;
    case at::kLong: if ((bad = firstMisfit(static_cast<const int64_t*>(data), count, target)) >= 0) text = std::to_string(static_cast<const int64_t*>(data)[bad]); break;
    case at::kInt: if ((bad = firstMisfit(static_cast<const int32_t*>(data), count, target)) >= 0) text = std::to_string(static_cast<const int32_t*>(data)[bad]); break;
    case at::kShort: if ((bad = firstMisfit(static_cast<const int16_t*>(data), count, target)) >= 0) text = std::to_string(static_cast<const int16_t*>(data)[bad]); break;
    case at::kChar: if ((bad = firstMisfit(static_cast<const int8_t*>(data), count, target)) >= 0) text = std::to_string(static_cast<const int8_t*>(data)[bad]); break;
    case at::kByte: if ((bad = firstMisfit(static_cast<const uint8_t*>(data), count, target)) >= 0) text = std::to_string(static_cast<const uint8_t*>(data)[bad]); break;
    default: break;
  }
  if (bad < 0) return;
  throw tt::ArgError(tt::ArgError::Range, caller + ": data" + elementPosition(bad, shape) + " is " + text + ": value cannot be converted to type " +
                                              tt::dtypeName(target) + " without overflow");
}

// fromData(typedArray, dtype?, shape, device?, requiresGrad?, caller?): copies the array into a new
// tensor; `caller` names the function in errors (torch.tensor's checks).
TT_BINDING(fromData) {
  if (a.size() < 1 || !a[0].IsTypedArray()) a.typeError(0, "a TypedArray");
  Napi::TypedArray arr = a[0].As<Napi::TypedArray>();
  at::ScalarType source = typedArrayDtype(arr.TypedArrayType());
  std::vector<int64_t> shape = shapeArg(a, 2);
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  std::string caller = a.has(5) ? a.string(5) : std::string(a.fn());
  if (count != static_cast<int64_t>(arr.ElementLength()))
    throw tt::ArgError(tt::ArgError::Range, caller + ": the shape holds " + std::to_string(count) + " elements but the data has " +
                                                std::to_string(arr.ElementLength()));
  at::ScalarType target = a.has(1) ? a.dtype(1) : source;
  void* data = static_cast<uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
  if (target != source && c10::isIntegralType(target, /*includeBool=*/false)) checkElementsFit(data, source, count, target, shape, caller);
  at::Tensor view = at::from_blob(data, shape, at::TensorOptions().dtype(source));
  auto opts = at::TensorOptions().dtype(target);
  if (a.has(3)) opts = opts.device(a.device(3));
  at::Tensor out = view.to(opts, /*non_blocking=*/false, /*copy=*/true);
  if (a.boolean(4, false)) out.set_requires_grad(true);
  return a.ret(out);
}

// scalarTensor(value, dtype?, device?, requiresGrad?): a 0-d tensor.
TT_BINDING(scalarTensor) {
  c10::Scalar value = a.scalar(0);
  at::ScalarType fallback = value.isBoolean() ? at::kBool : at::kFloat;
  return a.ret(torch::scalar_tensor(value, a.options(1, fallback)));
}

#define TT_SHAPE_FACTORY(name, call)                      \
  TT_BINDING(name) {                                      \
    auto shape = shapeArg(a, 0);                          \
    return a.ret(torch::call(shape, a.options(1)));       \
  }

TT_SHAPE_FACTORY(zeros, zeros)
TT_SHAPE_FACTORY(ones, ones)
TT_SHAPE_FACTORY(empty, empty)
TT_SHAPE_FACTORY(rand, rand)
TT_SHAPE_FACTORY(randn, randn)

// full(shape, value, dtype?, device?, requiresGrad?)
TT_BINDING(full) {
  auto shape = shapeArg(a, 0);
  c10::Scalar value = a.scalar(1);
  at::ScalarType fallback = value.isBoolean() ? at::kBool : at::kFloat;
  return a.ret(torch::full(shape, value, a.options(2, fallback)));
}

// randint(low, high, shape, dtype?, device?, requiresGrad?)
TT_BINDING(randint) {
  int64_t low = a.int64(0), high = a.int64(1);
  if (high <= low) a.rangeError(1, "(high) must be greater than low; got low=" + std::to_string(low) + ", high=" + std::to_string(high));
  auto shape = shapeArg(a, 2);
  return a.ret(torch::randint(low, high, shape, a.options(3, at::kLong)));
}

// arange(start, end, step, dtype?, device?, requiresGrad?): with no dtype, integer arguments give
// int64 and any fractional one gives float32, as in PyTorch.
TT_BINDING(arange) {
  c10::Scalar start = a.scalar(0), end = a.scalar(1), step = a.scalar(2);
  if (step.toDouble() == 0) a.rangeError(2, "(step) must be non-zero");
  double n = std::ceil((end.toDouble() - start.toDouble()) / step.toDouble());
  if (n > static_cast<double>(int64_t(1) << 48)) a.rangeError(1, "gives more than 2^48 elements");
  auto opts = at::TensorOptions();
  if (a.has(3)) opts = opts.dtype(a.dtype(3));
  else if (!(start.isIntegral(false) && end.isIntegral(false) && step.isIntegral(false))) opts = opts.dtype(at::kFloat);
  if (a.has(4)) opts = opts.device(a.device(4));
  if (a.has(5)) opts = opts.requires_grad(a.boolean(5));
  return a.ret(torch::arange(start, end, step, opts));
}

// linspace(start, end, steps, dtype?, device?, requiresGrad?)
TT_BINDING(linspace) {
  c10::Scalar start = a.scalar(0), end = a.scalar(1);
  int64_t steps = a.int64(2);
  if (steps < 0 || steps > (int64_t(1) << 48)) a.rangeError(2, "(steps) must be between 0 and 2^48, got " + std::to_string(steps));
  return a.ret(torch::linspace(start, end, steps, a.options(3)));
}

// eye(n, m?, dtype?, device?, requiresGrad?)
TT_BINDING(eye) {
  int64_t n = a.int64(0);
  int64_t m = a.has(1) ? a.int64(1) : n;
  if (n < 0 || m < 0) a.rangeError(0, "sizes must be non-negative");
  if (static_cast<long double>(n) * m > static_cast<long double>(int64_t(1) << 48)) a.rangeError(0, "asks for more than 2^48 elements");
  return a.ret(torch::eye(n, m, a.options(2)));
}

// The *Like factories keep the source's dtype and device unless told otherwise.
at::TensorOptions likeOptions(tt::Args& a, const at::Tensor& like, size_t i) {
  auto opts = like.options();
  if (a.has(i)) opts = opts.dtype(a.dtype(i));
  if (a.has(i + 1)) opts = opts.device(a.device(i + 1));
  opts = opts.requires_grad(a.boolean(i + 2, false));
  return opts;
}

#define TT_LIKE_FACTORY(name, call)                                         \
  TT_BINDING(name) {                                                        \
    const at::Tensor& like = a.tensor(0);                                   \
    return a.ret(torch::call(like, likeOptions(a, like, 1)));               \
  }

TT_LIKE_FACTORY(zerosLike, zeros_like)
TT_LIKE_FACTORY(onesLike, ones_like)
TT_LIKE_FACTORY(emptyLike, empty_like)
TT_LIKE_FACTORY(randLike, rand_like)
TT_LIKE_FACTORY(randnLike, randn_like)

TT_BINDING(fullLike) {
  const at::Tensor& like = a.tensor(0);
  return a.ret(torch::full_like(like, a.scalar(1), likeOptions(a, like, 2)));
}

TT_BINDING(randintLike) {
  const at::Tensor& like = a.tensor(0);
  int64_t low = a.int64(1), high = a.int64(2);
  if (high <= low) a.rangeError(2, "(high) must be greater than low");
  return a.ret(torch::randint_like(like, low, high, likeOptions(a, like, 3)));
}

}  // namespace

namespace tt {
void registerCreation(Napi::Env, Napi::Object e) {
  TT_EXPORT(e, fromData);
  TT_EXPORT(e, scalarTensor);
  TT_EXPORT(e, zeros);
  TT_EXPORT(e, ones);
  TT_EXPORT(e, empty);
  TT_EXPORT(e, rand);
  TT_EXPORT(e, randn);
  TT_EXPORT(e, full);
  TT_EXPORT(e, randint);
  TT_EXPORT(e, arange);
  TT_EXPORT(e, linspace);
  TT_EXPORT(e, eye);
  TT_EXPORT(e, zerosLike);
  TT_EXPORT(e, onesLike);
  TT_EXPORT(e, emptyLike);
  TT_EXPORT(e, randLike);
  TT_EXPORT(e, randnLike);
  TT_EXPORT(e, fullLike);
  TT_EXPORT(e, randintLike);
}
}  // namespace tt
