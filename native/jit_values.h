// Values crossing between JavaScript and TorchScript methods. JavaScript has one number type
// and tensors travel as integer handles, so both directions use a tagged form the TypeScript
// layer (lib/jit/values.ts) produces and reads:
//   null <-> None; booleans, numbers, strings as themselves; a bigint -> int;
//   arrays <-> lists and tuples;
//   { kind: 'tensor', handle } <-> Tensor;
//   { kind: 'dict', keys: [...], values: [...] } <-> Dict.
// Going in, the method's schema decides what each value becomes (a JS 2 is an int only where
// the schema asks for an int); coming out, the IValue's own tag does.
#pragma once
#include "boundary.h"

namespace tt::jit {

// Converts one tagged JS value to the schema type `type`; `where` names it in errors
// ("forward: argument 'x'").
c10::IValue toIValue(EnvState& s, const Napi::Value& v, const c10::TypePtr& type, const std::string& where);

// Throws (before any tensor handle is made) when a result holds something JS cannot receive.
void checkReturnable(const c10::IValue& v, const std::string& fn);

// Converts a result; tensors get fresh handles in this environment's table.
Napi::Value fromIValue(EnvState& s, Napi::Env env, const c10::IValue& v);

}  // namespace tt::jit
