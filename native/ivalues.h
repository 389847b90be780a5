// The one converter between JavaScript values and libtorch IValues, for every caller that goes
// by a schema: the dispatcher entry point (bind_dispatch.cpp, torch.ops) and TorchScript method
// calls (bind_jit.cpp). Going in, the schema's type decides what each value becomes (a JS 2 is an
// int only where the schema asks for an int); coming out, the IValue's own tag does.
//   null/undefined <-> None; booleans, numbers, strings as themselves; a bigint -> int (an int
//   beyond 2^53 comes back as a bigint); arrays <-> lists and tuples;
//   { kind: 'dict', keys: [...], values: [...] } <-> Dict; a device <- its string.
// Integers follow readInt64 (boundary.h) everywhere: a bigint outside int64 or a fractional,
// NaN or infinite number where an int is expected is refused, never wrapped or truncated.
#pragma once
#include <string_view>

#include "boundary.h"

namespace tt {

// How tensors travel. The dispatcher's JS layer binds arguments by schema first, so a tensor is
// a bare handle there; TorchScript values may be numbers where a schema says Any, so tensors
// travel tagged ({ kind: 'tensor', handle }, lib/jit/values.ts).
enum class TensorForm { Handle, Tagged };

// Names the value being converted for errors ("forward: argument 'xs'[1]"), as text only when
// an error is thrown: the path is a chain of the enclosing values, each on the caller's stack.
class ValuePath {
 public:
  ValuePath(std::string_view fn, std::string_view argument) : fn_(fn), argument_(argument) {}
  ValuePath(const ValuePath& parent, int64_t index) : parent_(&parent), index_(index) {}
  ValuePath(const ValuePath& parent, std::string suffix) : parent_(&parent), suffix_(std::move(suffix)) {}
  std::string str() const;

 private:
  const ValuePath* parent_ = nullptr;
  std::string_view fn_, argument_;
  int64_t index_ = -1;
  std::string suffix_;
};

class IValueConverter {
 public:
  IValueConverter(EnvState& s, Napi::Env env, TensorForm form) : s_(s), env_(env), form_(form) {}

  // Converts one JS value to the schema type `type`.
  c10::IValue toIValue(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const;
  // Throws (before any tensor handle is made) when a result holds something JS cannot receive.
  static void checkReturnable(const c10::IValue& v, const std::string& fn);
  // Converts a result; tensors get fresh handles in this environment's table.
  Napi::Value fromIValue(const c10::IValue& v) const;

 private:
  c10::IValue list(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const;
  c10::IValue dict(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const;
  std::pair<Napi::Array, Napi::Array> dictEntries(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const;
  c10::IValue unionOf(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const;
  c10::IValue infer(const Napi::Value& v, const ValuePath& where) const;
  at::Tensor tensor(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const;
  int64_t int64(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const;
  double real(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const;
  c10::IValue scalar(const Napi::Value& v, const c10::TypePtr& type, const ValuePath& where) const;
  std::string typeName(const c10::TypePtr& type) const;
  [[noreturn]] void bad(const ValuePath& where, const c10::TypePtr& type, const std::string& expected, const Napi::Value& v) const;

  EnvState& s_;
  Napi::Env env_;
  TensorForm form_;
};

}  // namespace tt
