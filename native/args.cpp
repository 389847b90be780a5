// Reading a binding's JavaScript arguments (tt::Args) and describing what was given when they
// are wrong: every TypeError and RangeError a binding raises about its arguments comes from here.
#include "boundary.h"

#include <sstream>

#include "optimizers.h"

namespace tt {

namespace {

constexpr double kMaxSafeInteger = 9007199254740992.0;  // 2^53: beyond it a JS number is no exact integer
constexpr double kTwoTo63 = 9223372036854775808.0;

}  // namespace

std::string numberText(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  std::ostringstream out;
  out.precision(15);
  out << d;
  if (std::stod(out.str()) != d) {
    out.str("");
    out.precision(17);
    out << d;
  }
  return out.str();
}

bool fitsDtype(int64_t v, c10::ScalarType t) {
  switch (t) {
    case at::kByte: return v <= 255 && v >= -255;
    case at::kChar: return v >= INT8_MIN && v <= INT8_MAX;
    case at::kShort: return v >= INT16_MIN && v <= INT16_MAX;
    case at::kInt: return v >= INT32_MIN && v <= INT32_MAX;
    default: return true;
  }
}

bool fitsDtype(double v, c10::ScalarType t) {
  if (!c10::isIntegralType(t, /*includeBool=*/false)) return true;
  if (!std::isfinite(v)) return false;
  // torch 2.x's bounds: the lowest value itself up to (not including) max + 1, so 127.9 truncates
  // to 127 but -128.5 is refused (1.13 also refused 127.9).
  switch (t) {
    case at::kByte: return v >= 0 && v < 256.0;
    case at::kChar: return v >= INT8_MIN && v < INT8_MAX + 1.0;
    case at::kShort: return v >= INT16_MIN && v < INT16_MAX + 1.0;
    case at::kInt: return v >= INT32_MIN && v < INT32_MAX + 1.0;
    default: return v >= -kTwoTo63 && v < kTwoTo63;
  }
}

std::string dtypeName(c10::ScalarType t) {
  switch (t) {
    case at::kByte: return "uint8";
    case at::kChar: return "int8";
    case at::kShort: return "int16";
    case at::kInt: return "int32";
    case at::kLong: return "int64";
    case at::kHalf: return "float16";
    case at::kFloat: return "float32";
    case at::kDouble: return "float64";
    case at::kBool: return "bool";
    case at::kBFloat16: return "bfloat16";
    default: return c10::toString(t);
  }
}

std::string kindOf(const Napi::Value& v) {
  switch (v.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "the number " + numberText(v.As<Napi::Number>().DoubleValue());
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_object: return v.IsArray() ? "an array" : "an object";
    case napi_function: return "a function";
    case napi_bigint: return "a bigint";
    default: return "an unknown value";
  }
}

std::string Args::where(size_t i) const { return std::string(fn_) + ": argument " + std::to_string(i + 1); }

void Args::typeError(size_t i, const std::string& expected) const {
  std::string got = i < info_.Length() ? kindOf(info_[i]) : "nothing";
  throw ArgError(ArgError::Type, where(i) + " must be " + expected + ", got " + got);
}

void Args::rangeError(size_t i, const std::string& problem) const {
  throw ArgError(ArgError::Range, where(i) + " " + problem);
}

void Args::atLeast(size_t n) const {
  if (info_.Length() < n)
    throw ArgError(ArgError::Type, std::string(fn_) + ": expected at least " + std::to_string(n) + " arguments, got " +
                                       std::to_string(info_.Length()));
}

bool exactHandle(const Napi::Value& v, int32_t* out) {
  if (!v.IsNumber()) return false;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= -1 && d <= 2147483647.0) || std::floor(d) != d) return false;
  *out = static_cast<int32_t>(d);
  return true;
}

IntRead readInt64(const Napi::Value& v, int64_t* out) {
  napi_valuetype type;
  napi_typeof(v.Env(), v, &type);
  if (type == napi_bigint) {
    bool lossless = false;
    *out = v.As<Napi::BigInt>().Int64Value(&lossless);
    return lossless ? IntRead::Ok : IntRead::Overflow;
  }
  if (type != napi_number) return IntRead::NotANumber;
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d) return IntRead::NotAnInteger;
  if (std::fabs(d) >= kTwoTo63) return IntRead::Overflow;
  if (std::fabs(d) > kMaxSafeInteger) return IntRead::Unsafe;
  *out = static_cast<int64_t>(d);
  return IntRead::Ok;
}

void throwBadInt(IntRead why, const std::string& subject, const Napi::Value& v) {
  switch (why) {
    case IntRead::NotANumber: throw ArgError(ArgError::Type, subject + " must be an integer, got " + kindOf(v));
    case IntRead::NotAnInteger: throw ArgError(ArgError::Range, subject + " must be an integer, got " + kindOf(v));
    case IntRead::Unsafe:
      throw ArgError(ArgError::Range, subject + " is " + kindOf(v) + ", beyond 2^53 where JavaScript numbers are no exact integers; pass a bigint");
    default: {
      // PyTorch's words for the same refusal; the value as JavaScript prints it.
      std::string text = v.IsBigInt() ? v.ToString().Utf8Value() : numberText(v.As<Napi::Number>().DoubleValue());
      throw ArgError(ArgError::Range, subject + ": value cannot be converted to type int64 without overflow (got " + text + ")");
    }
  }
}

const at::Tensor& tensorFromValue(const Napi::Value& v, const char* fn, size_t argIndex) {
  int32_t handle;
  if (!exactHandle(v, &handle))
    throw ArgError(ArgError::Type, std::string(fn) + ": argument " + std::to_string(argIndex + 1) + " must be a Tensor, got " + kindOf(v));
  return lookup(handle, fn, argIndex);
}

int32_t handleFromValue(const Napi::Value& v, const char* fn, size_t argIndex) {
  int32_t handle;
  if (!exactHandle(v, &handle))
    throw ArgError(ArgError::Type, std::string(fn) + ": argument " + std::to_string(argIndex + 1) + " must be a tensor handle, got " + kindOf(v));
  return handle;
}

// The hot path: one napi call (napi_get_value_double fails for non-numbers) and no thread-local.
const at::Tensor& Args::tensor(size_t i) const {
  double d;
  if (i >= info_.Length() || napi_get_value_double(info_.Env(), info_[i], &d) != napi_ok || !(d >= -1 && d <= 2147483647.0) ||
      std::floor(d) != d)
    typeError(i, "a Tensor");
  return lookup(state_, static_cast<int32_t>(d), fn_, i);
}

std::optional<at::Tensor> Args::optTensor(size_t i) const {
  if (!has(i)) return std::nullopt;
  if (info_[i].IsNumber() && info_[i].As<Napi::Number>().DoubleValue() == -1) return std::nullopt;
  return tensor(i);
}

std::vector<at::Tensor> Args::tensors(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsArray()) typeError(i, "an array of Tensors");
  Napi::Array arr = info_[i].As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr[k];
    int32_t handle;
    if (!exactHandle(v, &handle))
      throw ArgError(ArgError::Type, where(i) + "[" + std::to_string(k) + "] must be a Tensor, got " + kindOf(v));
    out.push_back(lookup(handle, fn_, i));
  }
  return out;
}

double Args::number(size_t i) const {
  if (i >= info_.Length()) typeError(i, "a number");
  if (info_[i].IsNumber()) return info_[i].As<Napi::Number>().DoubleValue();
  if (info_[i].IsBoolean()) return info_[i].As<Napi::Boolean>().Value() ? 1.0 : 0.0;
  typeError(i, "a number");
}

int64_t Args::int64(size_t i) const {
  if (i >= info_.Length()) typeError(i, "an integer");
  int64_t out;
  IntRead read = readInt64(info_[i], &out);
  if (read != IntRead::Ok) throwBadInt(read, where(i), info_[i]);
  return out;
}

std::optional<int64_t> Args::optInt64(size_t i) const {
  if (!has(i)) return std::nullopt;
  return int64(i);
}

bool Args::boolean(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsBoolean()) typeError(i, "a boolean");
  return info_[i].As<Napi::Boolean>().Value();
}

bool Args::boolean(size_t i, bool fallback) const { return has(i) ? boolean(i) : fallback; }

c10::Scalar Args::scalar(size_t i) const {
  if (i < info_.Length() && info_[i].IsBoolean()) return c10::Scalar(info_[i].As<Napi::Boolean>().Value());
  if (i < info_.Length() && info_[i].IsBigInt()) return c10::Scalar(int64(i));
  if (i >= info_.Length() || !info_[i].IsNumber()) typeError(i, "a number");
  // A JS number with an integer value acts like a Python int (keeps integer tensors integral).
  int64_t n;
  if (readInt64(info_[i], &n) == IntRead::Ok) return c10::Scalar(n);
  return c10::Scalar(info_[i].As<Napi::Number>().DoubleValue());
}

std::vector<int64_t> Args::ints(size_t i) const {
  if (i < info_.Length() && (info_[i].IsNumber() || info_[i].IsBigInt())) return {int64(i)};
  if (i >= info_.Length() || !info_[i].IsArray()) typeError(i, "an array of integers");
  Napi::Array arr = info_[i].As<Napi::Array>();
  std::vector<int64_t> out(arr.Length());
  for (uint32_t k = 0; k < arr.Length(); k++) {
    Napi::Value v = arr[k];
    IntRead read = readInt64(v, &out[k]);
    if (read != IntRead::Ok) throwBadInt(read, where(i) + "[" + std::to_string(k) + "]", v);
  }
  return out;
}

std::vector<int64_t> Args::sizes(size_t i, Infer infer) const {
  std::vector<int64_t> shape = ints(i);
  long double count = 1;
  bool inferred = false;
  for (size_t k = 0; k < shape.size(); k++) {
    if (shape[k] == -1 && (infer == Infer::Any || (infer == Infer::One && !inferred))) {
      inferred = true;
      continue;
    }
    if (shape[k] < 0) rangeError(i, "has the invalid size " + std::to_string(shape[k]) + " at dimension " + std::to_string(k));
    count *= static_cast<long double>(shape[k]);
  }
  // libtorch 1.13 does not check element counts for overflow, and a wrapped count would crash.
  if (count > static_cast<long double>(int64_t(1) << 48))
    rangeError(i, "asks for more than 2^48 elements; that is no tensor this machine can hold");
  return shape;
}

std::optional<std::vector<int64_t>> Args::optInts(size_t i) const {
  if (!has(i)) return std::nullopt;
  return ints(i);
}

std::string Args::string(size_t i) const {
  if (i >= info_.Length() || !info_[i].IsString()) typeError(i, "a string");
  return info_[i].As<Napi::String>().Utf8Value();
}

at::Tensor wrappedScalar(const c10::Scalar& s) {
  at::Tensor t = c10::scalar_to_tensor(s);
  t.unsafeGetTensorImpl()->set_wrapped_number(true);
  return t;
}

bool isSupportedDtypeCode(int64_t code) {
  switch (code) {
    case static_cast<int64_t>(at::kByte): case static_cast<int64_t>(at::kChar): case static_cast<int64_t>(at::kShort):
    case static_cast<int64_t>(at::kInt): case static_cast<int64_t>(at::kLong): case static_cast<int64_t>(at::kHalf):
    case static_cast<int64_t>(at::kFloat): case static_cast<int64_t>(at::kDouble): case static_cast<int64_t>(at::kBool):
    case static_cast<int64_t>(at::kBFloat16):
      return true;
    default:
      return false;
  }
}

c10::ScalarType Args::dtype(size_t i) const {
  int64_t code = int64(i);
  if (!isSupportedDtypeCode(code)) rangeError(i, "is not a supported dtype code (" + std::to_string(code) + ")");
  return static_cast<c10::ScalarType>(code);
}

std::optional<c10::ScalarType> Args::optDtype(size_t i) const {
  if (!has(i)) return std::nullopt;
  return dtype(i);
}

c10::Device Args::device(size_t i) const {
  std::string spec = string(i);
  try {
    return c10::Device(spec);
  } catch (const c10::Error&) {
    rangeError(i, "is not a device: '" + spec + "' (use 'cpu', 'cuda' or 'cuda:N')");
  }
}

optim::Optimizer& Args::optimizer(size_t i) const {
  auto* found = state_.optimizers.find(int64(i));
  if (!found) rangeError(i, "is not a live optimizer (it was freed, or never made)");
  return **found;
}

torch::jit::Module& Args::scriptModule(size_t i) const {
  auto* found = state_.modules.find(int64(i));
  if (!found) typeError(i, "a loaded TorchScript module id (this one was disposed or never loaded)");
  return *found;
}

const c10::OperatorHandle& Args::op(size_t i) const {
  auto* found = state_.operators.find(int64(i));
  if (!found) rangeError(i, "is not an operator id from opSchema()");
  return *found;
}

at::TensorOptions Args::options(size_t i, c10::ScalarType fallback) const {
  auto opts = at::TensorOptions().dtype(has(i) ? dtype(i) : fallback);
  if (has(i + 1)) opts = opts.device(device(i + 1));
  if (has(i + 2)) opts = opts.requires_grad(boolean(i + 2));
  return opts;
}

Napi::Value Args::ret(at::Tensor t) const {
  napi_value out;
  napi_create_int32(info_.Env(), put(state_, info_.Env(), std::move(t)), &out);
  return Napi::Value(info_.Env(), out);
}

Napi::Value Args::ret(const std::vector<at::Tensor>& ts) const {
  Napi::Array arr = Napi::Array::New(env(), ts.size());
  for (size_t k = 0; k < ts.size(); k++) arr.Set(static_cast<uint32_t>(k), Napi::Number::New(env(), put(state_, env(), ts[k])));
  return arr;
}

Napi::Value Args::ret(const std::tuple<at::Tensor, at::Tensor>& pair) const {
  return ret(std::vector<at::Tensor>{std::get<0>(pair), std::get<1>(pair)});
}

// ---- options objects ----

OptionsArg::OptionsArg(const Args& a, size_t i) : a_(a), index_(i) {
  if (i >= a.size() || !a[i].IsObject() || a[i].IsArray()) a.typeError(i, "an options object");
  object_ = a[i].As<Napi::Object>();
}

std::string OptionsArg::where(const char* key) const { return a_.where(index_) + " (options) field " + key; }

void OptionsArg::typeError(const char* key, const std::string& expected) const {
  throw ArgError(ArgError::Type, where(key) + " must be " + expected + ", got " + kindOf(get(key)));
}

void OptionsArg::rangeError(const char* key, const std::string& problem) const {
  throw ArgError(ArgError::Range, where(key) + " " + problem);
}

bool OptionsArg::present(const char* key, Napi::Value* out) const {
  *out = get(key);
  return !out->IsUndefined() && !out->IsNull();
}

bool OptionsArg::has(const char* key) const {
  Napi::Value v;
  return present(key, &v);
}

double OptionsArg::number(const char* key, double fallback) const {
  Napi::Value v;
  if (!present(key, &v)) return fallback;
  if (!v.IsNumber()) typeError(key, "a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool OptionsArg::boolean(const char* key, bool fallback) const {
  Napi::Value v;
  if (!present(key, &v)) return fallback;
  if (!v.IsBoolean()) typeError(key, "a boolean");
  return v.As<Napi::Boolean>().Value();
}

int64_t OptionsArg::int64(const char* key, int64_t fallback) const {
  Napi::Value v;
  if (!present(key, &v)) return fallback;
  int64_t out;
  IntRead read = readInt64(v, &out);
  if (read != IntRead::Ok) throwBadInt(read, where(key), v);
  return out;
}

std::optional<at::Tensor> OptionsArg::tensor(const char* key) const {
  Napi::Value v;
  if (!present(key, &v)) return std::nullopt;
  int32_t handle;
  if (!exactHandle(v, &handle)) typeError(key, "a Tensor");
  const at::Tensor* t = findTensor(a_.state(), handle);
  if (!t) throw ArgError(ArgError::Type, where(key) + " is a disposed Tensor (freed by dispose() or by the end of its torch.scope)");
  return *t;
}

}  // namespace tt
