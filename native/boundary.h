// The boundary between JavaScript and libtorch: the tensor handle table, argument readers and
// the one guard every binding runs inside. No C++ exception crosses into N-API: the guard turns
// each into a JS error (TorchError, its OutOfMemoryError subclass, TypeError or RangeError).
#pragma once
#include "pch.h"

namespace tt {

// A JavaScript argument of the wrong kind (TypeError) or with a bad value (RangeError).
struct ArgError : std::exception {
  enum Kind { Type, Range };
  Kind kind;
  std::string message;
  ArgError(Kind k, std::string m) : kind(k), message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

// Per-JavaScript-environment state. Each JS thread (main or worker) gets its own, so a handle
// is only meaningful on the thread that made it.
struct EnvState {
  std::vector<at::Tensor> slots;     // handle -> tensor; an undefined tensor marks a free slot
  std::vector<int64_t> slotBytes;    // bytes reported for each slot when it was filled
  std::vector<int32_t> freeSlots;
  int64_t live = 0;
  int64_t liveBytes = 0;
  int64_t unreportedBytes = 0;       // external-memory delta not yet told to V8 (batched)
  int64_t reportedBytes = 0;         // what V8 has been told (napi_adjust_external_memory)
  Napi::FunctionReference torchErrorCtor;
  Napi::FunctionReference oomErrorCtor;
  std::vector<std::string> warnings; // libtorch warnings raised on this thread, not yet emitted
};

EnvState& state();
void initState(Napi::Env env);

// Handle table. The EnvState& forms are the hot path (bindings get their state as function
// data, no thread-local lookup); the others use this thread's state.
int32_t put(EnvState& s, Napi::Env env, at::Tensor t);  // an undefined tensor becomes -1 (JS: null)
const at::Tensor& lookup(EnvState& s, int32_t handle, const char* fn, size_t argIndex);
void release(EnvState& s, Napi::Env env, int32_t handle);
inline int32_t put(Napi::Env env, at::Tensor t) { return put(state(), env, std::move(t)); }
inline const at::Tensor& lookup(int32_t handle, const char* fn, size_t argIndex) { return lookup(state(), handle, fn, argIndex); }
inline void release(Napi::Env env, int32_t handle) { release(state(), env, handle); }
// What a JS value is, for error messages: "a string", "the number 1.5", "an array" (args.cpp).
std::string kindOf(const Napi::Value& v);
// A tensor (or a bare handle) from a JS value that must be an exact int32 handle.
const at::Tensor& tensorFromValue(const Napi::Value& v, const char* fn, size_t argIndex);
int32_t handleFromValue(const Napi::Value& v, const char* fn, size_t argIndex);
int64_t tensorBytes(const at::Tensor& t);
// A number as Python passes it to Tensor overloads: a 0-d "wrapped number" tensor, which
// takes part in type promotion like a scalar (int32 tensor + 1 stays int32).
at::Tensor wrappedScalar(const c10::Scalar& s);
// Whether a c10::ScalarType code is one of the dtypes torchtrain supports (DESIGN.md section 3).
bool isSupportedDtypeCode(int64_t code);

// Reads and checks the arguments of one binding call; every failure names the function,
// the argument position and what was expected.
class Args {
 public:
  Args(const Napi::CallbackInfo& info, const char* fn)
      : info_(info), fn_(fn), state_(*static_cast<EnvState*>(info.Data())) {}
  Napi::Env env() const { return info_.Env(); }
  EnvState& state() const { return state_; }
  const char* fn() const { return fn_; }
  size_t size() const { return info_.Length(); }
  Napi::Value operator[](size_t i) const { return info_[i]; }
  bool has(size_t i) const {
    if (i >= info_.Length()) return false;
    napi_valuetype type;
    napi_typeof(info_.Env(), info_[i], &type);
    return type != napi_undefined && type != napi_null;
  }
  void atLeast(size_t n) const;

  const at::Tensor& tensor(size_t i) const;
  std::optional<at::Tensor> optTensor(size_t i) const;  // undefined, null or -1 -> none
  std::vector<at::Tensor> tensors(size_t i) const;      // an array of handles
  double number(size_t i) const;
  int64_t int64(size_t i) const;                        // a finite integer
  std::optional<int64_t> optInt64(size_t i) const;
  bool boolean(size_t i) const;
  bool boolean(size_t i, bool fallback) const;
  c10::Scalar scalar(size_t i) const;                   // integer-valued numbers become int64 Scalars, as Python ints do
  std::vector<int64_t> ints(size_t i) const;            // an array of integers, or one integer
  std::optional<std::vector<int64_t>> optInts(size_t i) const;
  // A shape: non-negative sizes with a sane element count; -1 ("infer"/"keep") allowed once for
  // view/reshape, anywhere for expand.
  enum class Infer { None, One, Any };
  std::vector<int64_t> sizes(size_t i, Infer infer = Infer::None) const;
  std::string string(size_t i) const;
  c10::ScalarType dtype(size_t i) const;                // a ScalarType code
  std::optional<c10::ScalarType> optDtype(size_t i) const;
  c10::Device device(size_t i) const;                   // 'cpu', 'cuda', 'cuda:1', ...
  // dtype code, device string and requiresGrad flag at i, i+1, i+2 (each optional).
  at::TensorOptions options(size_t i, c10::ScalarType fallback = at::kFloat) const;

  Napi::Value ret(at::Tensor t) const;
  Napi::Value ret(const std::vector<at::Tensor>& ts) const;
  Napi::Value ret(const std::tuple<at::Tensor, at::Tensor>& pair) const;
  Napi::Value ret(double v) const { return Napi::Number::New(env(), v); }
  Napi::Value ret(bool v) const { return Napi::Boolean::New(env(), v); }
  Napi::Value ret(const std::string& v) const { return Napi::String::New(env(), v); }
  Napi::Value undefined() const { return env().Undefined(); }

  [[noreturn]] void typeError(size_t i, const std::string& expected) const;
  [[noreturn]] void rangeError(size_t i, const std::string& problem) const;

 private:
  std::string where(size_t i) const;
  const Napi::CallbackInfo& info_;
  const char* fn_;
  EnvState& state_;
};

// Converts the exception being handled into a pending JS exception.
void throwCurrentException(Napi::Env env, const char* fn);
void flushWarnings(Napi::Env env);

template <typename Body>
napi_value guard(napi_env rawEnv, napi_callback_info rawInfo, const char* fn, Body body) {
  Napi::Env env(rawEnv);
  try {
    Napi::CallbackInfo info(rawEnv, rawInfo);
    Args args(info, fn);
    Napi::Value result = body(args);
    if (!args.state().warnings.empty()) flushWarnings(env);
    return result;
  } catch (...) {
    throwCurrentException(env, fn);
  }
  return nullptr;
}

// Registers a raw N-API callback whose data is this environment's state (see Args::state).
void exportFunction(Napi::Object exports, const char* name, napi_callback callback);

using Registrar = void (*)(Napi::Env, Napi::Object);

}  // namespace tt

// Defines a binding `name` whose body reads its arguments from `a` (a tt::Args&).
// The C++ names carry a prefix so that bindings named like C functions (exp, free, std) never
// collide with them. Bindings are raw N-API callbacks (no node-addon-api function wrapper in
// between: the tiny-op path is dominated by such per-call costs).
#define TT_BINDING(name)                                                     \
  static Napi::Value body_##name(tt::Args& a);                               \
  static napi_value bind_##name(napi_env env, napi_callback_info info) {     \
    return tt::guard(env, info, #name, body_##name);                         \
  }                                                                          \
  static Napi::Value body_##name(tt::Args& a)

#define TT_EXPORT(exports, name) tt::exportFunction((exports), #name, bind_##name)
