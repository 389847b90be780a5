// The boundary between JavaScript and libtorch: the per-environment handle tables, argument readers and
// the one guard every binding runs inside. No C++ exception crosses into N-API: the guard turns
// each into a JS error (TorchError, its OutOfMemoryError subclass, TypeError or RangeError).
#pragma once
#include "pch.h"

#include <memory>
#include <unordered_map>

namespace tt {

// A JavaScript argument of the wrong kind (TypeError) or with a bad value (RangeError).
struct ArgError : std::exception {
  enum Kind { Type, Range };
  Kind kind;
  std::string message;
  ArgError(Kind k, std::string m) : kind(k), message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

namespace optim {
class Optimizer;
}

// Objects a JS environment addresses by integer id (optimizers, TorchScript modules, operator
// overloads). Ids start at 1 and are never reused, so a stale id cannot reach a newer object.
template <typename T>
class IdTable {
 public:
  int64_t add(T item) {
    int64_t id = next_++;
    items_.emplace(id, std::move(item));
    return id;
  }
  T* find(int64_t id) {
    auto it = items_.find(id);
    return it == items_.end() ? nullptr : &it->second;
  }
  void erase(int64_t id) { items_.erase(id); }
  size_t size() const { return items_.size(); }

 private:
  std::unordered_map<int64_t, T> items_;
  int64_t next_ = 1;
};

// Per-JavaScript-environment state: every handle table and everything else an environment owns.
// Each JS thread (main or worker) gets its own, so a handle is only meaningful on the thread
// that made it. One lifetime rule: the environment's cleanup hook (initState) deletes it, and
// with it every tensor reference, optimizer, module and operator handle it still holds.
struct EnvState {
  EnvState();
  ~EnvState();
  EnvState(const EnvState&) = delete;
  EnvState& operator=(const EnvState&) = delete;

  // Tensors: the hot path, so slots are reused (a free list) rather than ids kept unique.
  std::vector<at::Tensor> slots;     // handle -> tensor; an undefined tensor marks a free slot
  std::vector<int64_t> slotBytes;    // bytes reported for each slot when it was filled
  std::vector<int32_t> freeSlots;
  int64_t live = 0;
  int64_t liveBytes = 0;
  int64_t unreportedBytes = 0;       // external-memory delta not yet told to V8 (batched)
  int64_t reportedBytes = 0;         // what V8 has been told (napi_adjust_external_memory)

  IdTable<std::unique_ptr<optim::Optimizer>> optimizers;  // bind_optimizer.cpp
  IdTable<torch::jit::Module> modules;                    // bind_jit.cpp; a submodule shares its parent's object
  IdTable<c10::OperatorHandle> operators;                 // bind_dispatch.cpp (opSchema)

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
// The live tensor behind a handle, or null (a free slot, or no slot at all).
const at::Tensor* findTensor(const EnvState& s, int32_t handle);
// What a JS value is, for error messages: "a string", "the number 1.5", "an array" (args.cpp).
std::string kindOf(const Napi::Value& v);
// The first line of a (libtorch) message, without trailing white space.
std::string firstLine(const std::string& s);
// Whether v is a number holding an exact int32 handle (-1 included); napi's Int32Value would
// wrap 1e300 or truncate 1.5 into some other live handle.
bool exactHandle(const Napi::Value& v, int32_t* out);
// A tensor (or a bare handle) from a JS value that must be an exact int32 handle.
const at::Tensor& tensorFromValue(const Napi::Value& v, const char* fn, size_t argIndex);
int32_t handleFromValue(const Napi::Value& v, const char* fn, size_t argIndex);

// The one rule for reading a JS value as an int64, for every binding argument and every IValue:
// a bigint in the int64 range, or a number holding an exact integer of at most 2^53.
enum class IntRead { Ok, NotANumber, NotAnInteger, Unsafe, Overflow };
IntRead readInt64(const Napi::Value& v, int64_t* out);
// The error for a failed readInt64 (TypeError for a value that is no number, RangeError for a
// number or bigint that is no int64); `subject` names the value ("zeros: argument 1[0]").
[[noreturn]] void throwBadInt(IntRead why, const std::string& subject, const Napi::Value& v);
int64_t tensorBytes(const at::Tensor& t);
// PyTorch's rule for putting a value into an integer dtype (c10::overflows): an integer must lie in
// the dtype's range (uint8 also takes -255..-1, which wrap, as in PyTorch); a float must be finite
// and at least the dtype's lowest value and below its max + 1 (127.9 fits int8 as 127,
// -128.5 does not), as in torch 2.x. Floating and bool dtypes take
// anything.
bool fitsDtype(int64_t v, c10::ScalarType t);
bool fitsDtype(double v, c10::ScalarType t);
// torchtrain's name of a dtype ('int8', 'float32'), as error messages use it.
std::string dtypeName(c10::ScalarType t);
// A number as JavaScript prints it: 1.5, NaN, -Infinity, 1e+300.
std::string numberText(double d);
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
  // Ids into this environment's other tables (EnvState).
  optim::Optimizer& optimizer(size_t i) const;
  torch::jit::Module& scriptModule(size_t i) const;
  const c10::OperatorHandle& op(size_t i) const;
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
  friend class OptionsArg;
};

// The fields of an options-object argument ({ maxNorm, normType, ... }); undefined and null
// fields are absent, and errors name the function and the option.
class OptionsArg {
 public:
  OptionsArg(const Args& a, size_t i);
  Napi::Value get(const char* key) const { return object_.Get(key); }
  bool has(const char* key) const;
  double number(const char* key, double fallback) const;
  bool boolean(const char* key, bool fallback) const;
  int64_t int64(const char* key, int64_t fallback) const;
  std::optional<at::Tensor> tensor(const char* key) const;
  [[noreturn]] void typeError(const char* key, const std::string& expected) const;
  [[noreturn]] void rangeError(const char* key, const std::string& problem) const;

 private:
  std::string where(const char* key) const;
  bool present(const char* key, Napi::Value* out) const;  // neither undefined nor null
  const Args& a_;
  size_t index_;
  Napi::Object object_;
};

// Converts the exception being handled into a pending JS exception. It throws nothing itself:
// where no JS error can be made or thrown (an environment being torn down by worker.terminate()
// or process exit, where napi_throw fails), the binding just returns.
void throwCurrentException(napi_env env, const char* fn) noexcept;
void flushWarnings(Napi::Env env);

// Every binding runs inside this: no C++ exception crosses into N-API (one that did would abort
// the whole process, all worker threads with it).
template <typename Body>
napi_value guard(napi_env rawEnv, napi_callback_info rawInfo, const char* fn, Body body) noexcept {
  try {
    Napi::CallbackInfo info(rawEnv, rawInfo);
    Args args(info, fn);
    Napi::Value result = body(args);
    if (!args.state().warnings.empty()) flushWarnings(Napi::Env(rawEnv));
    return result;
  } catch (...) {
    throwCurrentException(rawEnv, fn);
  }
  return nullptr;
}

// JS environments (the main thread and each worker) whose torchtrain state is alive in this
// process: an environment's cleanup hook ends it, and with it every tensor it held.
int64_t liveEnvironments();

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
